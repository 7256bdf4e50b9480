#!/usr/bin/env bash
# Documentation screenshots of the Pigeonhole desktop app: docs/screenshot-*.png.
#
# Runs the already-built app (target/release/pigeonhole-desktop; this script never builds)
# on its own X display, D-Bus session and notification daemon, with a throwaway data dir,
# sends it a realistic mix of mail with Python's smtplib (tags from X-Tags and a plus
# address, two messages over AUTH, one on a second, named listener, a CJK subject), pins
# one with the CLI, releases one to a second Pigeonhole (`pigeonhole serve`, standing in for
# a real server), clicks through the UI with xdotool (and types two searches) and captures
# the window with ImageMagick.
#
# Needs: Xvfb, dbus-run-session, dunst (+dunstctl), xdotool, ImageMagick, python3, ss, and
# fonts (fonts-noto-color-emoji for the emoji in subjects, fonts-wqy-microhei for CJK,
# fonts-liberation2 for Arial's metrics: without it the UI falls back to the wider DejaVu Sans
# and the labels wrap differently from the committed images).
#
# Environment:
#   DISPLAY_NUM  X display to use (default 98; the end-to-end tests use 99)
#   SMTP_PORT    port the app listens on (default 2526, so it never clashes with 1025)
#   STAGING_PORT port of the named listener "staging" (default SMTP_PORT + 1)
#   RELEASE_PORT port of the server messages are released to (default SMTP_PORT + 2)
#   APP          the app binary (default target/release/pigeonhole-desktop)
#   CLI          the headless binary, to pin a message (default target/release/pigeonhole)
#   OUT          where the PNGs go (default docs/)
#   KEEP=1       keep the temp dir (full-screen captures, logs) for debugging
#
# Click positions are window coordinates for the 1280x820 default window and the fixed
# mail below; if the layout changes, look at $WORK/*-full.png and update them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DISPLAY_NUM="${DISPLAY_NUM:-98}"
SMTP_PORT="${SMTP_PORT:-2526}"
STAGING_PORT="${STAGING_PORT:-$((SMTP_PORT + 1))}"
RELEASE_PORT="${RELEASE_PORT:-$((SMTP_PORT + 2))}"
APP="${APP:-$ROOT/target/release/pigeonhole-desktop}"
CLI="${CLI:-$ROOT/target/release/pigeonhole}"
OUT="${OUT:-$ROOT/docs}"
WORK="$(mktemp -d /tmp/pigeonhole-shots.XXXXXX)"
export DISPLAY=":$DISPLAY_NUM"
mkdir -p "$OUT"

XVFB_PID="" SESSION_PID="" REMOTE_PID=""

log() { printf '[screenshots] %s\n' "$*" >&2; }

for tool in Xvfb dbus-run-session dunst dunstctl xdotool import convert python3 ss fc-list; do
  command -v "$tool" >/dev/null || { log "needs $tool (see Needs: at the top of this script)"; exit 1; }
done
[[ -x "$CLI" ]] || { log "needs $CLI (cargo build --release -p pigeonhole-cli)"; exit 1; }
for font in "Noto Color Emoji" "WenQuanYi Micro Hei" "Liberation Sans"; do
  fc-list : family | grep -i "$font" >/dev/null || { log "needs the font $font (fonts-noto-color-emoji, fonts-wqy-microhei, fonts-liberation2)"; exit 1; }
done

stop_app() {
  if [[ -f "$WORK/app.pid" ]]; then
    kill "$(cat "$WORK/app.pid")" 2>/dev/null || true
    rm -f "$WORK/app.pid"
  fi
  if [[ -n "$SESSION_PID" ]]; then
    # inner.sh stops its dunst once the app is gone, then dbus-run-session ends.
    for _ in $(seq 50); do kill -0 "$SESSION_PID" 2>/dev/null || break; sleep 0.1; done
    kill "$SESSION_PID" 2>/dev/null || true
    wait "$SESSION_PID" 2>/dev/null || true
    SESSION_PID=""
  fi
}

cleanup() {
  stop_app
  [[ -n "$REMOTE_PID" ]] && { kill "$REMOTE_PID" 2>/dev/null || true; wait "$REMOTE_PID" 2>/dev/null || true; }
  [[ -n "$XVFB_PID" ]] && { kill "$XVFB_PID" 2>/dev/null || true; wait "$XVFB_PID" 2>/dev/null || true; }
  if [[ "${KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# --- wait for a finished binary (another build may be replacing it) -----------------------
wait_for_binary() {
  local prev="" cur
  for _ in $(seq 300); do
    if [[ -x "$APP" ]]; then
      cur="$(stat -c '%s %Y' "$APP")"
      if [[ "$cur" == "$prev" ]] && (( $(date +%s) - $(stat -c %Y "$APP") > 5 )); then return 0; fi
      prev="$cur"
    fi
    sleep 2
  done
  log "no usable $APP"; exit 1
}

for port in "$SMTP_PORT" "$STAGING_PORT" "$RELEASE_PORT"; do
  if ss -Hltn "sport = :$port" | grep -q LISTEN; then
    log "port $port is already in use; set SMTP_PORT / STAGING_PORT / RELEASE_PORT"; exit 1
  fi
done

# --- X server ------------------------------------------------------------------------------
if [[ -e "/tmp/.X11-unix/X$DISPLAY_NUM" ]]; then
  log "display :$DISPLAY_NUM is already in use"; exit 1
fi
Xvfb "$DISPLAY" -screen 0 1440x900x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 50); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done

# Notifications go to a narrow column at the right edge of the screen, outside the
# 1280-pixel-wide window, and are closed before every capture anyway.
cat >"$WORK/dunstrc" <<'RC'
[global]
    origin = top-right
    offset = 4x4
    width = 150
    font = DejaVu Sans 8
    timeout = 4
RC

# Runs inside dbus-run-session: dunst, then the app in the foreground.
cat >"$WORK/inner.sh" <<'INNER'
#!/usr/bin/env bash
work="$1"; shift
echo "$DBUS_SESSION_BUS_ADDRESS" >"$work/bus"
dunst -config "$work/dunstrc" >>"$work/dunst.log" 2>&1 &
dunst_pid=$!
"$@" &
echo $! >"$work/app.pid"
wait $!
kill "$dunst_pid" 2>/dev/null
wait "$dunst_pid" 2>/dev/null
INNER
chmod +x "$WORK/inner.sh"

DATA="$WORK/data"
mkdir -p "$DATA"

# A second, named listener, so the sidebar has a Listeners group; where releases go; and a
# few fault rules for the Faults view, matching only addresses the mail below never uses
# (the fault traffic further down makes two of them fire). Written only at the first start:
# after that the file is the app's, as the Faults view and the Release dialog save into it.
write_settings() { # theme
  if [[ -f "$DATA/settings.json" ]]; then
    python3 - "$DATA/settings.json" "$1" <<'PYSET'
import json, sys
path, theme = sys.argv[1], sys.argv[2]
with open(path) as f:
    s = json.load(f)
s.setdefault("ui", {})["theme"] = theme
with open(path, "w") as f:
    json.dump(s, f)
PYSET
    return
  fi
  cat >"$DATA/settings.json" <<JSON
{"engine":{"smtp_addr":"127.0.0.1:$SMTP_PORT","listeners":[{"name":"staging","smtp":"127.0.0.1:$STAGING_PORT"}],
 "rules":[
  {"name":"550 for nobody@*","stage":"rcpt","address":"nobody@*","action":"reply","code":550,"enhanced":"5.1.1","text":"No such user"},
  {"name":"452 on the 2nd RCPT","stage":"rcpt","address":"*@lists.example.com","nth":2,"action":"reply","code":452,"enhanced":"4.5.3","text":"Too many recipients"},
  {"name":"tempfail twice then accept","stage":"end_of_data","address":"retry@example.com","action":"tempfail","attempts":2},
  {"name":"slow server 5 s","enabled":false,"stage":"helo","action":"delay","delay_ms":5000}
 ],
 "release":{"host":"127.0.0.1","port":$RELEASE_PORT,"tls":"none","allowed_domains":["example.com","*.staging.example.com"]}},
 "ui":{"theme":"$1"}}
JSON
}

# The "real" server releases go to: another Pigeonhole, on its own data dir.
start_remote() {
  "$CLI" serve --smtp "127.0.0.1:$RELEASE_PORT" --no-http --no-starttls --data-dir "$WORK/remote" \
    >"$WORK/remote.log" 2>&1 &
  REMOTE_PID=$!
  for _ in $(seq 100); do ss -Hltn "sport = :$RELEASE_PORT" | grep -q LISTEN && return 0; sleep 0.1; done
  log "the release server did not start; see $WORK/remote.log"; exit 1
}

# Whether the app listens yet (asked of the kernel: a test connection would show up as an
# empty session in the Sessions view).
port_open() {
  ss -Hltn "sport = :$SMTP_PORT" | grep -q LISTEN
}

WIN=""
start_app() { # theme
  write_settings "$1"
  for attempt in 1 2 3; do
    wait_for_binary
    rm -f "$WORK/app.pid" "$WORK/bus"
    dbus-run-session -- "$WORK/inner.sh" "$WORK" "$APP" --data-dir "$DATA" >>"$WORK/app.log" 2>&1 &
    SESSION_PID=$!
    for _ in $(seq 150); do
      WIN="$(xdotool search --name '^Pigeonhole$' 2>/dev/null | head -n1 || true)"
      [[ -n "$WIN" ]] && port_open && break
      kill -0 "$SESSION_PID" 2>/dev/null || break
      sleep 0.2
    done
    if [[ -n "$WIN" ]] && port_open; then
      sleep 3 # let the webview load and paint
      return 0
    fi
    log "the app did not come up (attempt $attempt); see $WORK/app.log"
    stop_app
    sleep 5
  done
  KEEP=1; exit 1
}

# Window geometry as "WxH+X+Y" from xdotool.
window_geometry() {
  local x y w h
  eval "$(xdotool getwindowgeometry --shell "$WIN")"
  x=$X y=$Y w=$WIDTH h=$HEIGHT
  echo "${w}x${h}+${x}+${y}"
}

# Click at window coordinates.
click() {
  xdotool mousemove --window "$WIN" "$1" "$2" click 1
  sleep "${3:-1}"
}

# Types a query into the search box (at the top of the list) and presses Enter. Keys go
# to the window under the pointer (no window manager; WebKit ignores synthetic events sent
# with --window).
search() {
  click 350 22 0.5
  xdotool key ctrl+a BackSpace
  xdotool type --delay 30 "$1"
  xdotool key Return
  sleep 1.5
}

# Capture the window into $OUT/$1.
shoot() {
  local name="$1"
  DBUS_SESSION_BUS_ADDRESS="$(cat "$WORK/bus")" dunstctl close-all 2>/dev/null || true
  xdotool mousemove 1430 890 # no hover highlight in the picture
  sleep 0.6
  import -window root "$WORK/$name-full.png"
  convert "$WORK/$name-full.png" -crop "$(window_geometry)" +repage -strip \
    -define png:compression-level=9 "$OUT/$name.png"
  log "wrote $OUT/$name.png ($(stat -c %s "$OUT/$name.png") bytes)"
}

# --- the mail ------------------------------------------------------------------------------
cat >"$WORK/send_mail.py" <<'PYEOF'
"""Sends a realistic mix of mail to a local SMTP server (for documentation screenshots)."""
import smtplib, ssl, sys, time, os
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from email.headerregistry import Address

HOST, PORT = sys.argv[1], int(sys.argv[2])
ASSETS = sys.argv[3]
ONLY = sys.argv[4] if len(sys.argv) > 4 else None


def pdf_bytes():
    """A small valid one-page PDF invoice."""
    content = (b"BT /F1 20 Tf 72 760 Td (Northwind Hosting - Invoice INV-2024-0042) Tj ET\n"
               b"BT /F1 12 Tf 72 720 Td (Pro plan, March 2024 ........ EUR 49.00) Tj ET\n"
               b"BT /F1 12 Tf 72 700 Td (VAT 19% ........................ EUR 9.31) Tj ET\n"
               b"BT /F1 12 Tf 72 670 Td (Total due ...................... EUR 58.31) Tj ET\n")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def base(frm, to, subject, cc=None, **extra):
    m = EmailMessage()
    m["From"] = frm
    m["To"] = to
    if cc:
        m["Cc"] = cc
    m["Subject"] = subject
    m["Date"] = formatdate(localtime=True)
    m["Message-ID"] = make_msgid(domain=frm.split("@")[-1].rstrip(">"))
    for k, v in extra.items():
        m[k.replace("_", "-")] = v
    return m


def cron_report():
    m = base("Cron Daemon <root@web-01.internal>", "ops@example.com",
             "Cron <root@web-01> /usr/local/bin/backup-db.sh --nightly",
             X_Cron_Env="<SHELL=/bin/sh>")
    m.set_content(
        "[2024-03-14 02:00:01] backup-db: starting nightly dump of 'shop_production'\n"
        "[2024-03-14 02:00:01] pg_dump -Fc shop_production > /var/backups/shop-20240314.dump\n"
        "[2024-03-14 02:03:47] dump complete: 1.84 GiB in 226 s\n"
        "[2024-03-14 02:03:48] uploading to s3://acme-backups/db/shop-20240314.dump\n"
        "[2024-03-14 02:05:12] upload complete (etag 9f2c41a07be3)\n"
        "[2024-03-14 02:05:12] pruning backups older than 14 days: 1 removed\n"
        "[2024-03-14 02:05:13] WARNING: /var/backups is 87% full\n"
        "[2024-03-14 02:05:13] backup-db: done, exit 0\n")
    return m


def password_reset():
    m = base("Acme Accounts <no-reply@acme.test>", "alice@example.com", "Reset your Acme password",
             X_Tags="auth")
    link = "https://app.acme.test/reset?token=7f3e9c2ab1d84e0f"
    m.set_content(f"Hi Alice,\n\nSomeone (hopefully you) asked to reset the password for your Acme account.\n\n"
                  f"Reset it here: {link}\n\nThis link expires in 30 minutes. If you didn't ask, ignore this email.\n\n- The Acme team\n")
    m.add_alternative(f"""<!doctype html><html><body style="margin:0;background:#f4f5f7;font-family:Helvetica,Arial,sans-serif">
<table width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:40px 16px">
<table width="480" cellpadding="0" cellspacing="0" style="background:#fff;border-radius:8px;padding:32px">
<tr><td><h1 style="font-size:22px;color:#111;margin:0 0 16px">Reset your password</h1>
<p style="color:#444;line-height:1.5">Hi Alice, someone (hopefully you) asked to reset the password for your Acme account.</p>
<p style="margin:28px 0"><a href="{link}" style="background:#2563eb;color:#fff;padding:12px 22px;border-radius:6px;text-decoration:none;font-weight:bold">Choose a new password</a></p>
<p style="color:#888;font-size:13px">This link expires in 30 minutes. If you didn't ask, you can ignore this email.</p>
</td></tr></table></td></tr></table></body></html>""", subtype="html")
    return m


def invoice():
    m = base("Northwind Billing <billing@northwind.test>", "ops@example.com",
             "Your invoice INV-2024-0042 for March 2024", X_Tags="billing")
    m.set_content("Hello,\n\nThanks for your business. Your invoice INV-2024-0042 is attached.\n\n"
                  "  Pro plan (March 2024)   EUR 49.00\n  VAT 19%                 EUR  9.31\n"
                  "  Total due               EUR 58.31\n\nPayment is due by 28 March 2024.\n\nNorthwind Hosting\n")
    m.add_alternative("""<html><body style="font-family:Arial,sans-serif;color:#222">
<p>Hello,</p><p>Thanks for your business. Your invoice <b>INV-2024-0042</b> is attached.</p>
<table cellpadding="6" style="border-collapse:collapse;border:1px solid #ddd">
<tr><td>Pro plan (March 2024)</td><td align="right">EUR 49.00</td></tr>
<tr><td>VAT 19%</td><td align="right">EUR 9.31</td></tr>
<tr style="font-weight:bold;border-top:1px solid #ddd"><td>Total due</td><td align="right">EUR 58.31</td></tr></table>
<p>Payment is due by 28 March 2024.</p><p>Northwind Hosting</p></body></html>""", subtype="html")
    m.add_attachment(pdf_bytes(), maintype="application", subtype="pdf", filename="INV-2024-0042.pdf")
    return m


def github():
    m = base("Mona Lisa <notifications@git.example>", "dev-team@example.com",
             "Re: [acme/shop] Checkout fails when the cart has a gift card (Issue #482)",
             cc="ops@example.com",
             List_ID="acme/shop <shop.acme.git.example>",
             List_Unsubscribe="<https://git.example/notifications/unsubscribe/482>",
             X_GitHub_Reason="subscribed")
    m.set_content("@octocat I can reproduce this on main. The gift card total is applied twice when\n"
                  "the cart also has a discount code, so the order total goes negative and the\n"
                  "payment provider rejects it with 422.\n\nRepro:\n  1. add any item\n  2. apply code SPRING10\n"
                  "  3. pay with a gift card\n\nI'll open a PR with a failing test.\n\n-- \n"
                  "Reply to this email directly or view it on GitHub:\nhttps://git.example/acme/shop/issues/482#issuecomment-1999\n")
    m.add_alternative("""<p><a href="https://git.example/octocat">@octocat</a> I can reproduce this on <code>main</code>. The gift card total is applied twice when the cart also has a discount code, so the order total goes negative and the payment provider rejects it with <code>422</code>.</p>
<p>Repro:</p><ol><li>add any item</li><li>apply code <code>SPRING10</code></li><li>pay with a gift card</li></ol>
<p>I'll open a PR with a failing test.</p>
<p style="font-size:small;color:#666">&mdash;<br>Reply to this email directly, <a href="https://git.example/acme/shop/issues/482#issuecomment-1999">view it on GitHub</a>, or <a href="https://git.example/notifications/unsubscribe/482">unsubscribe</a>.</p>""", subtype="html")
    return m


def newsletter():
    m = base("The Pigeon Post <hello@news.pigeonpost.test>", "alice@example.com",
             "The Pigeon Post #37: Spring release, faster search and a new look", X_Tags="newsletter",
             List_Unsubscribe="<https://news.pigeonpost.test/u/8c1f>")
    m.set_content("The Pigeon Post #37\n\nSpring release is out: faster search, dark mode and a new look.\n\n"
                  "Read online: https://news.pigeonpost.test/issues/37\n")
    cid = make_msgid(domain="news.pigeonpost.test")
    html = f"""<!doctype html><html><body style="margin:0;padding:0;background:#eef0f4">
<table width="100%" cellpadding="0" cellspacing="0" style="background:#eef0f4"><tr><td align="center" style="padding:24px 12px">
<table width="600" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:10px;overflow:hidden;font-family:Helvetica,Arial,sans-serif">
<tr><td><img src="cid:{cid[1:-1]}" width="600" height="200" alt="Spring release" style="display:block;width:100%;height:auto"></td></tr>
<tr><td style="padding:28px 36px 8px">
<p style="color:#6b7280;font-size:12px;letter-spacing:.08em;text-transform:uppercase;margin:0">Issue 37 &middot; March 2024</p>
<h1 style="font-size:26px;color:#111827;margin:8px 0 12px">Spring release: faster search and a new look</h1>
<p style="color:#374151;font-size:15px;line-height:1.6">Search now answers in under 10&nbsp;ms on a million messages, the inbox has a dark mode, and attachments open with one click.</p>
</td></tr>
<tr><td style="padding:8px 36px">
<table width="100%" cellpadding="0" cellspacing="0"><tr>
<td width="50%" valign="top" style="padding-right:10px"><h3 style="margin:8px 0 4px;color:#4f46e5;font-size:15px">&#9889; Faster search</h3><p style="color:#4b5563;font-size:14px;line-height:1.5;margin:0">A new index makes every query instant.</p></td>
<td width="50%" valign="top" style="padding-left:10px"><h3 style="margin:8px 0 4px;color:#4f46e5;font-size:15px">&#127769; Dark mode</h3><p style="color:#4b5563;font-size:14px;line-height:1.5;margin:0">Easy on the eyes after sunset.</p></td>
</tr></table></td></tr>
<tr><td align="center" style="padding:28px 36px">
<a href="https://news.pigeonpost.test/issues/37?utm_source=newsletter" style="background:#4f46e5;color:#ffffff;padding:12px 26px;border-radius:6px;text-decoration:none;font-weight:bold;font-size:15px">Read the full issue</a>
</td></tr>
<tr><td style="padding:18px 36px;background:#f9fafb;color:#9ca3af;font-size:12px;text-align:center">
You get this because you subscribed at pigeonpost.test. <a href="https://news.pigeonpost.test/u/8c1f" style="color:#6b7280">Unsubscribe</a>
<img src="https://t.pigeonpost.test/open.gif?u=8c1f&amp;i=37" width="1" height="1" alt="">
</td></tr></table></td></tr></table></body></html>"""
    m.add_alternative(html, subtype="html")
    with open(os.path.join(ASSETS, "banner.png"), "rb") as f:
        m.get_payload()[1].add_related(f.read(), maintype="image", subtype="png", cid=cid, filename="banner.png")
    return m


def shipping_de():
    m = base("Café Olé Versand <versand@cafe-ole.test>", "juergen@example.com",
             "Ihre Bestellung ist unterwegs 📦 – Größe M, Farbe Grün")
    m.set_content("Hallo Jürgen,\n\ngute Nachrichten: Ihre Bestellung Nr. 10-4711 wurde heute verschickt.\n\n"
                  "  1 × Kapuzenpullover „Morgenrot“, Größe M, Grün   49,90 €\n  Versand (DHL)                                   4,90 €\n\n"
                  "Sendungsnummer: 00340434161094042557\n\nViele Grüße\nIhr Café-Olé-Team ☕\n")
    return m


def meeting_invite():
    m = base("Priya Raman <priya@example.com>", "alice@example.com, bob@example.com",
             "Invitation: Q2 planning @ Tue 2 Apr 2024 10:00–11:00 (CET)", cc="ops@example.com")
    m.set_content("Priya Raman invited you to Q2 planning.\n\nWhen: Tuesday 2 April 2024, 10:00–11:00 CET\n"
                  "Where: Room Ada / https://meet.example.com/q2-planning\n\nAgenda:\n - roadmap review\n - hiring\n - on-call rota\n")
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Calendar//EN\r\nMETHOD:REQUEST\r\n"
           "BEGIN:VEVENT\r\nUID:q2-planning-20240402@example.com\r\nDTSTART:20240402T080000Z\r\nDTEND:20240402T090000Z\r\n"
           "SUMMARY:Q2 planning\r\nORGANIZER;CN=Priya Raman:mailto:priya@example.com\r\n"
           "ATTENDEE;CN=Alice:mailto:alice@example.com\r\nATTENDEE;CN=Bob:mailto:bob@example.com\r\n"
           "END:VEVENT\r\nEND:VCALENDAR\r\n")
    m.add_attachment(ics.encode(), maintype="text", subtype="calendar", filename="invite.ics")
    return m


def signup():
    m = base("Tiny Tasks <hello@tinytasks.test>", "new.user+signup@example.com", "Confirm your email address",
             X_Tags="auth")
    m.set_content("Welcome to Tiny Tasks!\n\nYour confirmation code is 482 913.\n\nOr click: https://tinytasks.test/confirm?c=482913\n")
    m.add_alternative("""<div style="font-family:system-ui,sans-serif;max-width:420px;margin:24px auto;text-align:center">
<h2 style="color:#0f766e">Welcome to Tiny Tasks!</h2><p>Your confirmation code is</p>
<p style="font-size:32px;letter-spacing:8px;font-weight:bold;background:#f0fdfa;padding:12px;border-radius:8px">482913</p>
<p><a href="https://tinytasks.test/confirm?c=482913">Or confirm with one click</a></p></div>""", subtype="html")
    return m


def deploy():
    m = base("CI <ci@build.acme.test>", "dev-team@example.com",
             "✅ Deployed shop-api v2.14.0 to production (build #1287)")
    m.set_content("Deploy succeeded\n\n  service:  shop-api\n  version:  v2.14.0 (3f9a2c1)\n  env:      production\n"
                  "  duration: 3m 12s\n  by:       mona\n\nChanges:\n  * Fix double-applied gift cards (#483)\n  * Bump rustls to 0.23\n")
    return m


def order_cn():
    m = base("京东商城 <noreply@shop.example.cn>", "bob@example.com", "您的订单已发货：预计 3 月 16 日送达",
             X_Tags="orders")
    m.set_content("李先生您好，\n\n您的订单 20240314-8812 已于今日发货，承运商：顺丰速运，运单号 SF1234567890。\n"
                  "预计 3 月 16 日送达。\n\n商品：机械键盘（青轴）× 1    ¥ 399.00\n\n感谢您的惠顾！\n")
    return m


def russian():
    m = base("Ольга Смирнова <olga@example.ru>", "alice@example.com", "Отчёт о продажах за март — итоги")
    m.set_content("Алиса, добрый день!\n\nВо вложении итоги продаж за март: выручка выросла на 12 %,\n"
                  "лучший канал — рассылка. Обсудим во вторник?\n\nС уважением,\nОльга\n")
    return m


STAGING = int(sys.argv[5]) if len(sys.argv) > 5 else PORT

# (builder, envelope recipients beyond the headers, use STARTTLS+AUTH, port)
PLAN = [
    (cron_report, [], False, PORT),
    (invoice, [], False, PORT),
    (russian, [], False, PORT),
    (meeting_invite, ["dev-team@example.com"], False, PORT),  # dev-team is a Bcc
    (deploy, [], False, STAGING),                          # on the named listener "staging"
    (shipping_de, [], False, PORT),
    (order_cn, [], False, PORT),
    (github, [], False, PORT),
    (signup, [], True, PORT),
    (password_reset, [], True, PORT),
    (newsletter, [], False, PORT),
]

for build, bcc, secure, port in PLAN:
    if ONLY and build.__name__ != ONLY:
        continue
    msg = build()
    rcpts = [a.addr_spec for h in ("To", "Cc") for a in (msg[h].addresses if msg[h] else ())] + bcc
    frm = msg["From"].addresses[0].addr_spec
    with smtplib.SMTP(HOST, port, local_hostname="app-server.local", timeout=10) as s:
        if secure:
            s.starttls(context=ssl._create_unverified_context())
            s.login("myapp", "s3cret-app-password")
        s.send_message(msg, from_addr=frm, to_addrs=rcpts)
    print("sent:", msg["Subject"])
    time.sleep(0.6)
PYEOF

# The newsletter's inline (cid:) banner.
convert -size 600x200 gradient:'#4f46e5'-'#9333ea' \
  -fill 'rgba(255,255,255,0.12)' -draw 'circle 520,40 600,120' -draw 'circle 80,190 140,260' \
  -font DejaVu-Sans-Bold -pointsize 40 -fill white -gravity center -annotate +0-14 'Spring Release' \
  -font DejaVu-Sans -pointsize 18 -fill '#e0e7ff' -annotate +0+32 'faster search  ·  dark mode  ·  a new look' \
  -strip "$WORK/banner.png"

# --- light theme ---------------------------------------------------------------------------
log "starting the app (light theme) on :$DISPLAY_NUM, SMTP port $SMTP_PORT"
start_remote
start_app light
shoot screenshot-empty

python3 "$WORK/send_mail.py" 127.0.0.1 "$SMTP_PORT" "$WORK" "" "$STAGING_PORT" >&2
sleep 2 # the UI batches new-message events
# Pin the invoice with the CLI, beside the running app (which hears of it and reloads).
invoice_id="$("$CLI" list --data-dir "$DATA" --json --query 'subject:INV-2024-0042' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')"
"$CLI" pin "$invoice_id" --data-dir "$DATA" >&2
sleep 2

# Newest first: the newsletter (sent last) is row 1, the password reset row 2.
click 400 100 2.5          # open the newsletter; HTML tab, remote image blocked, cid banner shown
shoot screenshot-light

click 400 157 1.5          # the password reset (sent over STARTTLS with AUTH)
click 1185 219 1.5         # its Transcript tab (below the tags and the envelope, which has an AUTH row)
shoot screenshot-transcript

click 400 389 1.5          # the German order confirmation (raw 8-bit in its body: a lint error)
click 975 219 1.5          # its Lint tab (a two-line subject, no AUTH row: the tabs sit as above)
shoot screenshot-lint

# Release the password reset: first with the CLI to a port where nothing listens (a failed
# attempt in its history), then from the dialog to the release server.
reset_id="$("$CLI" list --data-dir "$DATA" --json --query 'subject:"Reset your Acme password"' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')"
"$CLI" release "$reset_id" --server 127.0.0.1:1 --tls none --data-dir "$DATA" >&2 || true
click 1215 25 1.5          # Release… (the dialog's first field, the host, has the focus)
xdotool key Return         # submits the form
sleep 2
shoot screenshot-release
click 640 780 0.5          # the backdrop: closes the dialog

# Searching: a query with its matches (the pinned invoice open), then a
# malformed one, whose error core reports with the position of the problem.
search 'tag:billing OR has:attachment'
click 400 216 2            # the third match: the pinned invoice
shoot screenshot-search
search 'subject:(invoice OR receipt) paid'
shoot screenshot-query-error
click 350 22 0.5
xdotool key ctrl+a BackSpace Escape
sleep 1

# A client that gets everything wrong: its session is marked in the Sessions view too.
python3 - "$SMTP_PORT" <<'PYBAD'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
def line(): return f.readline()
def reply():
    while True:
        l = line()
        if l[3:4] != b"-": return l
reply()
for cmd in (b"EHLO broken-client.local", b"RCPT TO:<ops@example.com>", b"MAIL FROM:<not an address>", b"DATA", b"QUIT"):
    s.sendall(cmd + b"\r\n"); reply()
s.close()
PYBAD
sleep 1
# Fault traffic: a recipient the 550 rule refuses, and a message the tempfail rule refuses
# twice (a third try would be accepted; it is not made, so the mail list stays as it is).
python3 - "$SMTP_PORT" <<'PYFAULT'
import smtplib, sys
from email.message import EmailMessage
port = int(sys.argv[1])
def message(to):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "app@example.com", to, "Order confirmation"
    m["Message-ID"] = "<retry-1@example.com>"
    m.set_content("Thanks for your order.\n")
    return m
for to in ("retry@example.com", "retry@example.com", "nobody@example.com"):
    try:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="app-server.local", timeout=10) as s:
            s.send_message(message(to))
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as e:
        print("refused as planned:", e)
PYFAULT
sleep 2
click 66 84 1.5            # Sessions
click 400 150 1.5          # the newest session: refused by the 550 rule, marked with its fault count
shoot screenshot-sessions

click 66 112 2.5           # Faults: the rules with their counters
shoot screenshot-faults

click 62 729 1.5           # Settings
shoot screenshot-settings
stop_app

# --- dark theme ----------------------------------------------------------------------------
log "restarting the app (dark theme)"
start_app dark
click 400 100 2.5          # the newsletter again
shoot screenshot-dark
stop_app

log "done"
