"""End-to-end: MIME shapes that used to be readable only in Raw, sent with smtplib to the real
desktop app and read in its Text and Parts tabs."""

import os
import smtplib
from email.message import EmailMessage

from selenium.webdriver.common.by import By

from conftest import ARTIFACTS


def deliver(port: int, m: EmailMessage, to=("qa@example.test",)) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.send_message(m, from_addr="ann@example.test", to_addrs=list(to))


def forwarded() -> EmailMessage:
    inner = EmailMessage()
    inner["From"] = "Bob Sender <bob@example.test>"
    inner["To"] = "Ann Example <ann@example.test>"
    inner["Subject"] = "Quarterly numbers"
    inner["Date"] = "Mon, 30 Nov 2026 17:05:00 +0100"
    inner.set_content("Revenue is up 12% this quarter.\n")
    inner.add_attachment(b"%PDF-1.4\n", maintype="application", subtype="pdf", filename="q3.pdf")
    outer = EmailMessage()
    outer["From"] = "Ann Example <ann@example.test>"
    outer["To"] = "qa@example.test"
    outer["Subject"] = "Fwd: Quarterly numbers"
    outer.set_content("Forwarding this, see below.\n")
    outer.add_attachment(inner)  # message/rfc822
    return outer


def open_subject(app, subject: str):
    app.wait().until(lambda d: any(subject in r.text for r in app.rows()), f"no row for {subject!r}")
    next(r for r in app.rows() if subject in r.text).click()
    app.wait().until(lambda d: subject in d.find_element(By.CSS_SELECTOR, "h1.subject").text)


def test_a_forwarded_message_reads_inline_in_the_text_tab(app):
    deliver(app.port, forwarded())
    open_subject(app, "Fwd: Quarterly numbers")
    app.find("tab-text").click()
    body = app.wait_for("message-body")
    app.wait().until(lambda d: "Revenue is up 12% this quarter." in body.text,
                     "the forwarded message's own text is visible in the Text tab")
    assert "Forwarding this, see below." in body.text, "the outer text is there too"
    assert body.text.index("Forwarding this") < body.text.index("Revenue is up"), "in order"
    nested = app.find("nested-message")
    headers = nested.find_element(By.CSS_SELECTOR, '[data-testid="nested-headers"]').text
    assert "Quarterly numbers" in headers, f"the inner subject is in its header block: {headers!r}"
    assert "Bob Sender" in headers, f"the inner From too: {headers!r}"
    assert "no text part" not in body.text
    app.driver.save_screenshot(os.path.join(ARTIFACTS, "mime-forwarded.png"))

    app.find("tab-parts").click()
    names = [a.get_attribute("textContent") for a in app.find_all("attachment")]
    assert any("Quarterly numbers.eml" in n for n in names), f"named after its subject: {names}"
    assert any("q3.pdf" in n for n in names), f"the inner PDF can be saved: {names}"
    ids = [a.get_attribute("data-part-id") for a in app.find_all("attachment")]
    assert "1.2.1.2" in ids, f"the inner PDF is addressable inside the forwarded part: {ids}"


def test_a_calendar_invite_shows_its_event_card(app):
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:e2e-1@example.test\r\n"
        "SUMMARY:Release planning\r\nORGANIZER;CN=Ann Example:mailto:ann@example.test\r\n"
        "ATTENDEE;CN=QA;PARTSTAT=ACCEPTED:mailto:qa@example.test\r\n"
        "DTSTART;TZID=Europe/Berlin:20261203T100000\r\nDTEND;TZID=Europe/Berlin:20261203T110000\r\n"
        "LOCATION:Room 4\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    m = EmailMessage()
    m["From"] = "Ann Example <ann@example.test>"
    m["To"] = "qa@example.test"
    m["Subject"] = "Invitation: Release planning"
    m.set_content("You are invited.\n")
    m.add_attachment(ics.encode(), maintype="text", subtype="calendar", filename="invite")
    deliver(app.port, m)
    open_subject(app, "Invitation: Release planning")
    app.find("tab-text").click()
    card = app.wait_for("calendar-card")
    assert "Release planning" in card.text
    assert "Thu 3 Dec 2026, 10:00 (Europe/Berlin)" in card.text, card.text
    assert "accepted" in card.text, card.text
    assert "invite.ics" in app.find("calendar-download").text, "downloads with an .ics name"
    app.driver.save_screenshot(os.path.join(ARTIFACTS, "mime-calendar.png"))
