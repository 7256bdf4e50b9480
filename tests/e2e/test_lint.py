"""End-to-end: a message with lint findings shows a badge in the list and its Lint tab lists them."""

import smtplib

from selenium.webdriver.common.by import By

from test_app import open_row, tab


def test_a_lint_badge_shows_and_the_lint_tab_lists_the_findings(app):
    # Sent as bytes, so smtplib leaves the bare LF and the missing Date as they are.
    raw = (b"From: Test App <app@example.com>\r\nTo: dev@example.com\r\nBcc: boss@example.com\r\n"
           b"Subject: Flawed receipt\r\nMessage-ID: <flawed@example.com>\r\n\r\n"
           b"first line\nsecond line\r\n")
    with smtplib.SMTP("127.0.0.1", app.port, timeout=10) as s:
        s.sendmail("app@example.com", ["dev@example.com"], raw)

    def badge(_):
        for row in app.rows():
            if "Flawed receipt" in row.text:
                found = row.find_elements(By.CSS_SELECTOR, '[data-testid="lint-badge"]')
                return found[0] if found else None
        return None

    # The badge arrives a moment after the message (the lint worker runs after the 250).
    shown = app.wait().until(badge, "the row shows a lint badge")
    assert shown.get_attribute("data-errors") == "2", "bare LF and the missing Date are errors"
    assert shown.get_attribute("data-warnings") == "1", "the Bcc header is a warning"
    assert shown.text.strip() == "3"

    open_row(app, "Flawed receipt")
    tab(app, "lint")
    app.wait().until(lambda d: app.find_all("lint-finding"), "the Lint tab lists findings")
    findings = {f.get_attribute("data-id"): f for f in app.find_all("lint-finding")}
    assert {"bare-lf", "missing-date", "bcc-header"} <= set(findings), list(findings)
    assert findings["bare-lf"].get_attribute("data-severity") == "error"
    assert "line 7" in findings["bare-lf"].text, findings["bare-lf"].text
    assert "RFC 5322" in findings["bcc-header"].text
    assert "Bcc" in findings["bcc-header"].text
