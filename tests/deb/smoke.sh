#!/usr/bin/env bash
# The .deb as a user gets it: install the package that was just built, check what it puts
# on the machine, start the INSTALLED window under Xvfb, send it one message, read it back
# with the INSTALLED `pigeonhole` CLI, and remove the package again. A broken package
# fails here instead of landing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$PWD"
SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
say() { echo "[deb] $*"; }
fail() { echo "[deb] FAIL: $*" >&2; exit 1; }

deb="$(ls -t target/release/bundle/deb/*.deb | head -n1)"
[ -f "$deb" ] || fail "no .deb built"
say "checking $deb"
depends="$(dpkg-deb -f "$deb" Depends)"
dups="$(tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/ .*//' | sort | uniq -d)"
[ -z "$dups" ] || fail "Depends lists packages twice: $dups ($depends)"
maintainer="$(dpkg-deb -f "$deb" Maintainer)"
[[ "$maintainer" == *"<"*"@"*">"* ]] || fail "Maintainer has no e-mail: $maintainer"
contents="$(dpkg-deb -c "$deb")"
if grep -Eq 'hicolor/[0-9]+x[0-9]+@[0-9]+/' <<<"$contents" && ! grep -Eq 'hicolor/[0-9]+x[0-9]+@[0-9]+x/' <<<"$contents"; then
  fail "an icon directory is not a hicolor theme name (NxN or NxN@2x)"
fi
for f in usr/bin/pigeonhole usr/bin/pigeonhole-desktop usr/share/doc/pigeonhole/copyright \
  usr/share/man/man1/pigeonhole.1 usr/share/man/man1/pigeonhole-desktop.1 \
  usr/share/bash-completion/completions/pigeonhole usr/share/zsh/vendor-completions/_pigeonhole \
  usr/share/fish/vendor_completions.d/pigeonhole.fish; do
  grep -q " \./$f\$\| $f\$" <<<"$contents" || fail "the package lacks /$f"
done

data="$(mktemp -d)"
app_pid=""
xvfb_pid=""
cleanup() {
  # Stop the window, its session bus and its X server, so nothing outlives the package.
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
  pkill -f "pigeonhole-desktop --data-dir $data" 2>/dev/null || true
  sleep 1
  pkill -KILL -f "pigeonhole-desktop --data-dir $data" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  app_pid="" xvfb_pid=""
  say "removing the package"
  $SUDO apt-get -c "$root/.ci/apt.conf" remove -y -q pigeonhole >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

say "installing"
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  if $SUDO apt-get -c "$root/.ci/apt.conf" install -y -q --no-install-recommends "$root/$deb" >/dev/null; then break; fi
  [ "$attempt" = 3 ] && fail "apt could not install $deb"
  sleep 5
done
cd /tmp # from here on, only what the package installed is used
for bin in /usr/bin/pigeonhole /usr/bin/pigeonhole-desktop; do [ -x "$bin" ] || fail "$bin is not installed"; done
/usr/bin/pigeonhole --version >/dev/null || fail "pigeonhole --version"
env -u DISPLAY -u WAYLAND_DISPLAY /usr/bin/pigeonhole-desktop --help | grep -q -- "--data-dir" \
  || fail "pigeonhole-desktop --help does not print its flags without a display"
set +e
nodisplay="$(env -u DISPLAY -u WAYLAND_DISPLAY timeout 20 /usr/bin/pigeonhole-desktop 2>&1)"; rc=$?
set -e
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "without a display the window must exit non-zero at once (rc=$rc)"
[ "$(wc -l <<<"$nodisplay")" -le 2 ] && grep -q "display" <<<"$nodisplay" \
  || fail "without a display the reason is one line, not a backtrace: $nodisplay"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
echo "{\"engine\":{\"smtp_addr\":\"127.0.0.1:$port\"},\"ui\":{\"notifications\":false}}" >"$data/settings.json"
say "starting the installed window on port $port"
display=""
for n in $(seq 110 160); do [ -e "/tmp/.X11-unix/X$n" ] || { display=":$n"; break; }; done
[ -n "$display" ] || fail "no free X display number"
Xvfb "$display" -screen 0 1280x1024x24 -nolisten tcp >"$data/xvfb.log" 2>&1 &
xvfb_pid=$!
sleep 1
DISPLAY="$display" dbus-run-session -- /usr/bin/pigeonhole-desktop --data-dir "$data" >"$data/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 120); do
  ss -Hltn "sport = :$port" | grep -q LISTEN && break
  kill -0 "$app_pid" 2>/dev/null || { cat "$data/app.log"; fail "the installed window exited"; }
  sleep 0.5
done
ss -Hltn "sport = :$port" | grep -q LISTEN || { cat "$data/app.log"; fail "the installed window never listened"; }
python3 - "$port" <<'PY'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.sendmail("ci@example.com", ["deb@example.com"], "Subject: from the installed package\r\n\r\nhello\r\n")
PY
listed="$(/usr/bin/pigeonhole list --data-dir "$data" --json)" || fail "the installed pigeonhole list failed"
grep -q '"from the installed package"' <<<"$listed" \
  || fail "the installed pigeonhole CLI does not see the message the installed window caught: $listed"
say "ok: installed, captured, listed"
leftover_data="$data"
cleanup
trap - EXIT
if pgrep -f "pigeonhole-desktop --data-dir $leftover_data" >/dev/null; then
  fail "the installed window outlived the test"
fi
