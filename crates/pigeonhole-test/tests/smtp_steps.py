"""Runs SMTP conversations with Python's smtplib and prints, as JSON, what each step got.

argv: host port plan-json. A plan is a list of conversations (one connection each), a
conversation a list of steps: "EHLO name", "MAIL FROM:<a>", "RCPT TO:<b>", "DATA subject",
"STARTTLS", "AUTH user pass", "QUIT"; or a conversation of one step "RETRY n subject" (send
one message, retrying on 4xx up to n times, as a real sending app would); a first step
"PORT n" connects to another port. Each step gives [step, code, text, ms]; a
closed connection gives code -1, a TLS failure code -2, and ends the conversation.
"""
import json, smtplib, ssl, sys, time

host, port, plan = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
MESSAGE = ("From: app@example.com\r\nTo: user@example.com\r\nSubject: {subject}\r\n"
           "Message-ID: <{subject}@steps.test>\r\n\r\n" + "body line\r\n" * 40)


def data(s, subject):
    code, text = s.docmd("DATA")
    if code != 354:
        return code, text
    s.send(MESSAGE.format(subject=subject).encode() + b".\r\n")
    return s.getreply()


def converse(steps, port=port):
    out = []
    s = smtplib.SMTP(timeout=20)
    t = time.monotonic()
    try:
        code, text = s.connect(host, port)
        s._host = host  # connect() leaves it empty, and starttls() needs it for SNI
        out.append(["connect", code, text.decode(errors="replace"), int((time.monotonic() - t) * 1000)])
        for step in steps:
            t = time.monotonic()
            verb, _, arg = step.partition(" ")
            if verb == "DATA":
                code, text = data(s, arg)
            elif verb == "STARTTLS":
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                code, text = s.starttls(context=ctx)
            elif verb == "AUTH":
                user, password = arg.split(" ")
                s.ehlo_or_helo_if_needed()
                try:
                    code, text = s.login(user, password)
                except smtplib.SMTPAuthenticationError as e:
                    code, text = e.smtp_code, e.smtp_error
            else:
                code, text = s.docmd(step)
            if isinstance(text, bytes):
                text = text.decode(errors="replace")
            out.append([step, code, text, int((time.monotonic() - t) * 1000)])
    except smtplib.SMTPServerDisconnected as e:
        out.append([step if out else "connect", -1, str(e), int((time.monotonic() - t) * 1000)])
    except (ssl.SSLError, ConnectionResetError) as e:
        out.append([step, -2, type(e).__name__ + ": " + str(e), int((time.monotonic() - t) * 1000)])
    finally:
        try:
            s.close()
        except Exception:
            pass
    return out


def retry(times, subject):
    """One message, sent again on a 4xx reply (new connection each time)."""
    out = []
    for attempt in range(times + 1):
        got = converse(["EHLO retry.test", "MAIL FROM:<app@example.com>", "RCPT TO:<user@example.com>",
                        "DATA " + subject, "QUIT"])
        final = [g for g in got if g[0].startswith("DATA")]
        code = final[0][1] if final else -1
        out.append(["attempt %d" % (attempt + 1), code, final[0][2] if final else "", 0])
        if code < 400 and code > 0:
            break
    return out


results = []
for conv in plan:
    if conv and conv[0].startswith("RETRY "):
        _, n, subject = conv[0].split(" ", 2)
        results.append(retry(int(n), subject))
    elif conv and conv[0].startswith("PORT "):
        results.append(converse(conv[1:], int(conv[0].split(" ")[1])))
    else:
        results.append(converse(conv))
print(json.dumps(results))
