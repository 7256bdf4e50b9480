#!/usr/bin/env bash
# End-to-end tests against the real desktop binary, in the real WebKit webview:
# Xvfb + a D-Bus session + a notification daemon (dunst) + tauri-driver + WebKitWebDriver.
# Usage: tests/e2e/run.sh [pytest args]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tests/e2e"
app="${PIGEONHOLE_APP:-$root/target/release/pigeonhole-desktop}"
[ -x "$app" ] || { echo "e2e: $app not built (run: npm run tauri build)" >&2; exit 1; }

venv="$here/.venv"
if [ ! -x "$venv/bin/pytest" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi

export PATH="$HOME/.cargo/bin:$PATH"
command -v tauri-driver >/dev/null || { echo "e2e: tauri-driver missing (cargo install tauri-driver --locked)" >&2; exit 1; }

# A free X display number.
display=99
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1440x900x24 -nolisten tcp >"$here/.xvfb.log" 2>&1 &
xvfb_pid=$!
trap 'kill $xvfb_pid 2>/dev/null || true; rm -rf "${stubs:-}"' EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
export DISPLAY=":$display"
export PIGEONHOLE_APP="$app"
export PIGEONHOLE_CLI="$root/target/release/pigeonhole"
export E2E_ARTIFACTS="$here/artifacts"
# Free ports for tauri-driver and WebKitWebDriver, so a stray driver elsewhere cannot interfere.
read -r driver_port native_port < <(python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
export E2E_WEBDRIVER_URL="http://127.0.0.1:$driver_port"
export driver_port native_port
mkdir -p "$E2E_ARTIFACTS"
# The system browser, as the app sees it: a stub xdg-open first on PATH that only logs the
# URL it is given, so no test ever opens a real browser and a test can check what was opened.
stubs="$(mktemp -d)"
export E2E_OPENED_LOG="$stubs/opened.log"
cat >"$stubs/xdg-open" <<STUB
#!/bin/sh
printf '%s\\n' "\$1" >>"$E2E_OPENED_LOG"
STUB
chmod +x "$stubs/xdg-open"
export PATH="$stubs:$PATH"

# Everything that needs the session bus runs inside it.
dbus-run-session -- bash -c '
  set -euo pipefail
  dunst >"$E2E_ARTIFACTS/dunst.log" 2>&1 &
  dbus-monitor "interface=org.freedesktop.Notifications,member=Notify" >"$E2E_ARTIFACTS/notifications.log" 2>&1 &
  tauri-driver --port "$driver_port" --native-port "$native_port" >"$E2E_ARTIFACTS/tauri-driver.log" 2>&1 &
  driver=$!
  up=0
  for _ in $(seq 100); do
    kill -0 $driver 2>/dev/null || break
    if (exec 3<>"/dev/tcp/127.0.0.1/$driver_port") 2>/dev/null; then up=1; break; fi
    sleep 0.1
  done
  if [ "$up" != 1 ]; then echo "e2e: tauri-driver did not start:" >&2; cat "$E2E_ARTIFACTS/tauri-driver.log" >&2; exit 1; fi
  status=0
  "'"$venv"'/bin/pytest" -v -p no:cacheprovider "'"$here"'" "$@" || status=$?
  kill $driver 2>/dev/null || true
  exit $status
' e2e "$@"
