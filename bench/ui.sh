#!/usr/bin/env bash
# Desktop UI benchmark: fills a store with ~100 000 messages (Postfix's smtp-source against
# `pigeonhole serve`), adds two ~10 MB messages, then drives the real desktop app over
# WebDriver (Xvfb + tauri-driver) and prints launch, open and scroll timings as JSON.
# Not a test. Usage: bench/ui.sh [COUNT] [LAUNCH_RUNS]   (defaults: 100000 3)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
count="${1:-100000}"
runs="${2:-3}"
app="$root/target/release/pigeonhole-desktop"
cli="$root/target/release/pigeonhole"
[ -x "$app" ] && [ -x "$cli" ] || { echo "bench/ui.sh: build first (npx tauri build --bundles deb)" >&2; exit 1; }
pfx="$here/.cache/postfix"
[ -x "$pfx/usr/sbin/smtp-source" ] || bash "$here/smtp.sh" --only 0 --no-build >/dev/null 2>&1 || true
[ -x "$pfx/usr/sbin/smtp-source" ] || { echo "bench/ui.sh: smtp-source missing; run bench/smtp.sh once" >&2; exit 1; }
export LD_LIBRARY_PATH="$pfx/usr/lib/postfix"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
data="$here/out/ui-store"
if [ ! -f "$data/.filled-$count" ]; then
  rm -rf "$data"; mkdir -p "$data"
  port=$(free_port)
  "$cli" serve --smtp "127.0.0.1:$port" --data-dir "$data" 2>"$here/out/ui-serve.log" &
  serve=$!
  for _ in $(seq 100); do grep -q capturing "$here/out/ui-serve.log" && break; sleep 0.1; done
  echo "bench: sending $count messages" >&2
  t0=$(date +%s.%N)
  "$pfx/usr/sbin/smtp-source" -c -s 8 -m "$count" -l 1024 -S "Load test message" \
      -f load@example.com -t inbox@example.com "127.0.0.1:$port" >/dev/null
  echo "bench: filled in $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s" >&2
  python3 - "$port" <<'PY'
import smtplib, sys, os
from email.message import EmailMessage
port = int(sys.argv[1])
m = EmailMessage(); m["From"] = "big@example.com"; m["To"] = "inbox@example.com"; m["Subject"] = "Big attachment"
m.set_content("A message with a 10 MB attachment.\n")
m.add_attachment(os.urandom(7_500_000), maintype="application", subtype="octet-stream", filename="blob.bin")
h = EmailMessage(); h["From"] = "big@example.com"; h["To"] = "inbox@example.com"; h["Subject"] = "Big HTML"
rows = "".join(f"<tr><td>{i}</td><td>Item number {i}</td><td style='color:#555'>$ {i*3 % 997}.00</td></tr>" for i in range(110_000))
h.set_content("See the HTML part.\n"); h.add_alternative(f"<html><body><table>{rows}</table></body></html>", subtype="html")
with smtplib.SMTP("127.0.0.1", port) as s:
    s.send_message(m); s.send_message(h)
print("sizes:", len(m.as_bytes()), len(h.as_bytes()), file=sys.stderr)
PY
  kill -TERM "$serve"; wait "$serve" || true
  touch "$data/.filled-$count"
fi
python3 -c "import json; json.dump({'smtp_addr': '127.0.0.1:$(free_port)', 'notifications': False}, open('$data/settings.json', 'w'))"

venv="$root/tests/e2e/.venv"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q -r "$root/tests/e2e/requirements.txt"; }
display=97
while [ -e "/tmp/.X11-unix/X$display" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=":$display"
# A desktop login session already runs the accessibility bus; start it up front so launch
# times do not include its one-off activation.
# Free ports for tauri-driver and WebKitWebDriver, so a driver elsewhere cannot interfere.
driver_port=$(free_port)
native_port=$(free_port)
while [ "$native_port" = "$driver_port" ]; do native_port=$(free_port); done
export UI_WEBDRIVER_URL="http://127.0.0.1:$driver_port"
dbus-run-session -- bash -c "
  /usr/libexec/at-spi-bus-launcher >/dev/null 2>&1 &
  sleep 0.5
  tauri-driver --port $driver_port --native-port $native_port >'$here/out/ui-driver.log' 2>&1 &
  d=\$!; sleep 1
  '$venv/bin/python' '$here/ui.py' '$app' '$data' '$runs'; s=\$?
  kill \$d; exit \$s"
