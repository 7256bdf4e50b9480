#!/usr/bin/env bash
# Desktop weight benchmark: PSS of the app and its WebKit processes 8 s after launch on an
# empty store, their idle CPU, and PSS after opening the 20 largest messages of a store of
# ~100 000 (the store bench/ui.sh fills, plus 20 large messages imported here). Not a test.
# Usage: bench/weight.sh            (run bench/ui.sh once first for the 100 000-message store)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
app="$root/target/release/pigeonhole-desktop"
cli="$root/target/release/pigeonhole"
[ -x "$app" ] && [ -x "$cli" ] || { echo "bench/weight.sh: build first (npx tauri build --bundles deb)" >&2; exit 1; }
src=$(ls -d "$here"/out/ui-store/.filled-* 2>/dev/null | head -1 || true)
[ -n "$src" ] || { echo "bench/weight.sh: run bench/ui.sh once first (it fills bench/out/ui-store)" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
settings() { python3 -c "import json; json.dump({'engine': {'smtp_addr': '127.0.0.1:$(free_port)', 'http_addr': '127.0.0.1:0'}, 'ui': {'notifications': False}}, open('$1/settings.json', 'w'))"; }

empty=$(mktemp -d); settings "$empty"
big="$here/out/weight-store"
if [ ! -f "$big/.weight-ready" ]; then
  rm -rf "$big"; cp -r "$here/out/ui-store" "$big"
  eml=$(mktemp -d)
  python3 - "$eml" <<'PY'
import os, sys
from email.message import EmailMessage
out = sys.argv[1]
for i in range(20):
    m = EmailMessage(); m["From"] = "weight@example.com"; m["To"] = "inbox@example.com"
    m["Subject"] = f"Large message {i + 1}"
    rows = "".join(f"<tr><td>{j}</td><td>Row {j} of message {i}</td><td><img src='cid:logo'></td></tr>" for j in range(2000 + 400 * i))
    m.set_content(f"Large message {i + 1}, plain part.\n" * 200)
    m.add_alternative(f"<html><body><h1>Large {i + 1}</h1><table>{rows}</table></body></html>", subtype="html")
    m.add_attachment(os.urandom(1_000_000 + 400_000 * i), maintype="application", subtype="octet-stream", filename=f"data-{i}.bin")
    with open(os.path.join(out, f"{i}.eml"), "wb") as f:
        f.write(bytes(m))
PY
  "$cli" import "$eml" --data-dir "$big" >/dev/null
  rm -rf "$eml"
  touch "$big/.weight-ready"
fi
settings "$big"

venv="$root/tests/e2e/.venv"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q -r "$root/tests/e2e/requirements.txt"; }
display=95
while [ -e "/tmp/.X11-unix/X$display" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true; rm -rf "$empty"' EXIT
sleep 1
export DISPLAY=":$display"
driver_port=$(free_port); native_port=$(free_port)
dbus-run-session -- bash -c "
  /usr/libexec/at-spi-bus-launcher >/dev/null 2>&1 &
  sleep 0.5
  '$venv/bin/python' '$here/weight.py' launch '$app' '$empty'
  tauri-driver --port $driver_port --native-port $native_port >/dev/null 2>&1 &
  d=\$!; sleep 1
  '$venv/bin/python' '$here/weight.py' browse '$app' '$big' 'http://127.0.0.1:$driver_port'; s=\$?
  kill \$d; exit \$s"
