"""Sends a realistic mix of mail to Pigeonhole (for screenshots and demos).
Usage: python3 scripts/sample-mail.py [PORT]"""

import os
import smtplib
import sys
from email.message import EmailMessage
from email.utils import make_msgid

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 1025
LOGO = open(os.path.join(os.path.dirname(__file__), "..", "icons", "32x32.png"), "rb").read()


def send(msg: EmailMessage, rcpts: list[str], login: tuple[str, str] | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as s:
        s.ehlo("app.local")
        if login:
            s.login(*login)
        s.send_message(msg, from_addr=msg["From"].addresses[0].addr_spec, to_addrs=rcpts)


def plain(frm, to, subject, body, **headers):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = frm, to, subject
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    m.set_content(body)
    return m


send(plain("Cron Daemon <root@build-01.internal>", "ops@acme.example", "Cron <deploy@build-01> /usr/local/bin/backup.sh",
           "backup: 1,204 files, 3.1 GB, finished in 00:04:12\nrotated: backup-2026-11-20.tar.zst\n"), ["ops@acme.example"])

reset = plain("Acme <no-reply@acme.example>", "Ada Lovelace <ada@customer.example>", "Reset your Acme password",
              "Someone asked to reset the password for ada@customer.example.\n\nReset it: https://acme.example/reset?t=7f3a9\n")
reset.add_alternative("""<div style="font-family:Helvetica,Arial,sans-serif;max-width:520px;margin:24px auto;color:#1f2937">
<h2 style="color:#4f46e5">Reset your password</h2><p>Someone asked to reset the password for <b>ada@customer.example</b>.</p>
<p><a href="https://acme.example/reset?t=7f3a9" style="background:#4f46e5;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">Choose a new password</a></p>
<p style="color:#6b7280;font-size:12px">If you did not ask for this, ignore this email.</p></div>""", subtype="html")
send(reset, ["ada@customer.example"], login=("acme-app", "s3cret"))

invoice = plain("Stripe <receipts@stripe.example>", "billing@acme.example", "Your receipt from Acme Inc. #1042-7731",
                "Amount paid: $49.00\nDate: Nov 21, 2026\nPayment method: Visa 4242\n")
invoice.add_attachment(b"%PDF-1.4\n% fake invoice for the demo\n", maintype="application", subtype="pdf",
                       filename="Receipt-1042-7731.pdf")
send(invoice, ["billing@acme.example", "audit@acme.example"])

send(plain("GitHub <notifications@github.example>", "dev@acme.example", "[acme/api] CI failed on main (#4821)",
           "Build #4821 failed in 3m 12s.\n\n  test store::writer::group_commit ... FAILED\n\nhttps://github.example/acme/api/actions/runs/4821\n",
           List_Id="acme/api <api.acme.github.example>"), ["dev@acme.example"])

send(plain("Jürgen Müller <juergen@kunde.example>", "support@acme.example", "Frage zur Rechnung – Größe der Datei ✓",
           "Hallo,\n\ndie Rechnung lässt sich nicht öffnen. Können Sie sie erneut senden?\n\nGrüße\nJürgen\n"),
     ["support@acme.example"])

team = plain("Acme HR <people@acme.example>", "team@acme.example", "Office closed on Friday",
             "The office is closed this Friday for maintenance. Work from home.\n", Cc="managers@acme.example")
send(team, ["team@acme.example", "managers@acme.example", "ceo@acme.example"])  # ceo is a Bcc

cid = make_msgid(domain="acme.example")
news = plain("Acme Weekly <news@acme.example>", "Ada Lovelace <ada@customer.example>", "This week at Acme: faster builds, new dashboard",
             "Faster builds, a new dashboard, and what is next.\n\nRead online: https://acme.example/weekly/48\n")
news.add_alternative(f"""<html><body style="margin:0;background:#f3f4f6;font-family:Helvetica,Arial,sans-serif">
<table width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px">
<table width="560" style="background:#fff;border-radius:10px;padding:28px;color:#1f2937">
<tr><td><img src="cid:{cid[1:-1]}" width="28" height="28" alt="Acme" style="vertical-align:middle">
<span style="font-size:18px;font-weight:bold;vertical-align:middle;margin-left:8px">Acme Weekly #48</span></td></tr>
<tr><td><h1 style="font-size:24px;margin:20px 0 8px">Builds are 3× faster</h1>
<p style="line-height:1.6;color:#4b5563">We moved CI to the new runners. Median build time dropped from 9 minutes to 3.</p>
<img src="https://cdn.acme.example/weekly/48/chart.png" width="500" height="180" alt="Build times chart" style="display:block;background:#eef2ff">
<h2 style="font-size:18px;margin:24px 0 8px">A new dashboard</h2>
<p style="line-height:1.6;color:#4b5563">Every service, its error rate and latency on one page.</p>
<p><a href="https://acme.example/weekly/48" style="background:#4f46e5;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">Read the full issue</a></p>
<img src="https://track.acme.example/open.gif?u=ada" width="1" height="1" alt="">
</td></tr></table></td></tr></table></body></html>""", subtype="html")
news.get_payload()[1].add_related(LOGO, "image", "png", cid=cid)
send(news, ["ada@customer.example"])
print("sent 7 messages")
