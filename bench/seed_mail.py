#!/usr/bin/env python3
"""Seeds a Pigeonhole SMTP listener with varied, real-world-shaped mail for bench/search.sh.

Shapes, in a fixed pseudo-random mix (seeded, so every run sends the same mail):
plain text; multipart/alternative text+HTML; HTML only; attachments (PDF, CSV, PNG with
file names); inline images by Content-ID; Chinese, Japanese and Korean subjects and bodies;
long threads (Re: subjects with In-Reply-To/References); plus-addressed recipients; X-Tags;
Bcc-only recipients; a share sent after SMTP AUTH as one of a few users.

Usage: seed_mail.py HOST:PORT COUNT [--sessions N]
"""
import random
import smtplib
import sys
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

WORDS = ("invoice payment order shipping account password reset confirm welcome newsletter "
         "report quarterly meeting agenda release notes deploy build failed passed ticket "
         "support refund receipt subscription trial upgrade security alert login device "
         "verify code token webhook event customer product catalog discount coupon").split()
CJK = ["日本語メールテスト", "会議の議事録", "ご注文ありがとうございます", "パスワード再設定",
       "请确认您的电子邮件地址", "发票已开具", "季度报告", "안녕하세요 메일 테스트", "주문 확인"]
NAMES = ["Ann Lee", "Bob Stone", "Chen Wei", "Dana Ruiz", "Eve Müller", "Frank O'Neil",
         "Grace Hopper", "田中太郎", "김민수", "Zoë Faure"]
USERS = ["alice", "deploy-bot", "ci"]
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


COMMON = ("the of and to a in is you that it for on with as are this be at your from or "
          "have by not we an will can all please our if more here has was one about".split())
SYLLABLES = ("ka lo mi ne ru sa ti vo be da fe gi ho ju ke la mo ni pa qu re si to ul "
             "va we xi yo za ar en is on ur al el il ol st tr pl gr br").split()


def vocabulary(n=6000):
    """Pseudo-words with a Zipf-like use: a few common, most rare, as in real text."""
    rng = random.Random(7)
    seen, out = set(), []
    while len(out) < n:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randrange(2, 5)))
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


VOCAB = vocabulary()
CUM_WEIGHTS = list(__import__('itertools').accumulate(1.0 / (rank + 1) for rank in range(len(VOCAB))))


def words(rng, n):
    """Mostly common glue and long-tail vocabulary; topic words are rarer, as in real mail."""
    out = []
    picks = rng.choices(VOCAB, cum_weights=CUM_WEIGHTS, k=n)
    for k in range(n):
        r = rng.random()
        if r < 0.35:
            out.append(rng.choice(COMMON))
        elif r < 0.37:
            out.append(rng.choice(WORDS))
        else:
            out.append(picks[k])
    return " ".join(out)


def topic(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def make(rng, i, threads):
    msg = EmailMessage()
    sender_n = rng.randrange(500)
    rcpt_n = rng.randrange(2000)
    name = rng.choice(NAMES)
    msg["From"] = f"{name} <user{sender_n}@seed.test>"
    to = f"user{rcpt_n}@seed.test"
    if rng.random() < 0.1:
        to = f"user{rcpt_n}+{rng.choice(['signup', 'billing', 'alerts'])}@seed.test"
    msg["To"] = to
    rcpts = [to]
    if rng.random() < 0.2:
        cc = f"user{rng.randrange(2000)}@seed.test"
        msg["Cc"] = cc
        rcpts.append(cc)
    if rng.random() < 0.05:
        rcpts.append(f"audit{rng.randrange(10)}@hidden.test")  # Bcc: envelope only
    kind = rng.random()
    cjk = rng.random() < 0.12
    subject = (rng.choice(CJK) + " " + str(i)) if cjk else f"{topic(rng, 2).capitalize()} {words(rng, 2)} #{i}"
    thread = None
    if rng.random() < 0.25 and threads:
        thread = rng.choice(threads)
        subject = "Re: " + thread[1]
        msg["In-Reply-To"] = thread[0]
        msg["References"] = thread[0]
    msg["Subject"] = subject
    mid = make_msgid(domain="seed.test")
    msg["Message-ID"] = mid
    msg["Date"] = format_datetime(time.localtime() and
                                  __import__("datetime").datetime.now().astimezone())
    msg["X-Mailer"] = rng.choice(["Acme Mailer 2.0", "lettre", "nodemailer 6.9", "PHPMailer 6"])
    if rng.random() < 0.08:
        msg["X-Tags"] = rng.choice(["urgent", "marketing, weekly", "qa"])
    if thread is None and len(threads) < 2000:
        threads.append((mid, subject))
    body_words = rng.randrange(20, 400)
    text = (rng.choice(CJK) * rng.randrange(1, 6) + "\n") if cjk else ""
    text += words(rng, body_words) + "\n"
    if rng.random() < 0.3:
        text += f"Your code is {rng.randrange(100000, 999999)}. https://app.seed.test/verify/{i}\n"
    if kind < 0.45:
        msg.set_content(text)
    elif kind < 0.75:
        msg.set_content(text)
        msg.add_alternative(f"<html><body><p>{text}</p><a href='https://x.test/{i}'>open</a></body></html>",
                            subtype="html")
    elif kind < 0.85:
        msg.set_content(f"<html><body><h1>{subject}</h1><p>{text}</p></body></html>", subtype="html")
    else:
        msg.set_content(text)
        n = rng.randrange(1, 3)
        for k in range(n):
            ext = rng.choice(["pdf", "csv", "png"])
            fname = f"{rng.choice(['invoice', 'report', 'export', 'photo'])}-{i}-{k}.{ext}"
            size = rng.randrange(2_000, 60_000)
            data = PNG if ext == "png" else rng.randbytes(size)
            maintype, subtype = {"pdf": ("application", "pdf"), "csv": ("text", "csv"),
                                 "png": ("image", "png")}[ext]
            if maintype == "text":
                msg.add_attachment(data.hex()[:size], subtype=subtype, filename=fname)
            else:
                msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=fname)
    return msg, rcpts


def worker(host, port, start, count, step, user, errors):
    rng = random.Random(start)
    threads = []
    try:
        s = smtplib.SMTP(host, port, timeout=60)
        s.ehlo("seed.test")
        if user:
            s.login(user, "secret")
        for n in range(count):
            i = start + n * step
            msg, rcpts = make(rng, i, threads)
            s.send_message(msg, from_addr=f"bounce+{i}@seed.test", to_addrs=rcpts)
        s.quit()
    except Exception as e:  # reported by the caller
        errors.append(repr(e))


def main():
    hostport, count = sys.argv[1], int(sys.argv[2])
    sessions = int(sys.argv[sys.argv.index("--sessions") + 1]) if "--sessions" in sys.argv else 8
    host, port = hostport.rsplit(":", 1)
    errors = []
    per = count // sessions
    started = time.time()
    ts = []
    for k in range(sessions):
        n = per + (1 if k < count % sessions else 0)
        user = USERS[k % len(USERS)] if k % 4 == 3 else None
        t = threading.Thread(target=worker, args=(host, int(port), k, n, sessions, user, errors))
        t.start()
        ts.append(t)
    for t in ts:
        t.join()
    if errors:
        sys.exit("seed_mail.py: " + "; ".join(errors[:3]))
    print(f"seeded {count} messages in {time.time() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
