"""End-to-end: a fault rule made in the Faults view changes what a real SMTP client gets."""

import json
import smtplib

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_app import send, session_rows, text


def rule_rows(app):
    return app.find_all("rule-row")


def fill(app, testid: str, value: str):
    field = app.find(testid)
    field.clear()
    field.send_keys(value)


def add_rule(app, name: str, *, stage: str, address: str, code: str, enhanced: str = "", reply: str = ""):
    fill(app, "rule-name", name)
    Select(app.find("rule-stage")).select_by_value(stage)
    fill(app, "rule-address", address)
    fill(app, "rule-code", code)
    if enhanced:
        fill(app, "rule-enhanced", enhanced)
    if reply:
        fill(app, "rule-text", reply)
    app.find("rule-save").click()


def refused_code(port: int, to: str) -> int | None:
    """The code the server refused `to` with, or None when the message was accepted."""
    try:
        send(port, f"To {to}", to=(to,))
    except smtplib.SMTPRecipientsRefused as e:
        return e.recipients[to][0]
    return None


def test_a_rule_made_in_the_faults_view_refuses_the_next_message_with_its_code(app):
    app.find("nav-faults").click()
    app.wait_for("rules-empty")
    add_rule(app, "550 for blocked@*", stage="rcpt", address="blocked@*", code="550", enhanced="5.7.1", reply="Blocked by a rule")
    app.wait().until(lambda d: [r.get_attribute("data-name") for r in rule_rows(app)] == ["550 for blocked@*"],
                     "the new rule is listed")
    assert not app.find_all("rule-error"), "core took the rule"

    assert refused_code(app.port, "blocked@example.com") == 550, "the blocked address gets the rule's code"
    assert refused_code(app.port, "dev@example.com") is None, "another address is still accepted"
    subjects = [m["subject"] for m in app.stored()]
    assert subjects == ["To dev@example.com"], f"nothing was stored for the blocked address: {subjects}"

    # The counters come in on the view's next refresh.
    app.wait().until(lambda d: text(rule_rows(app)[0].find_element(By.CSS_SELECTOR, '[data-testid="rule-fired"]')) == "1",
                     "the rule fired once")

    saved = json.loads(app.settings_file())
    assert [r["name"] for r in saved["engine"]["rules"]] == ["550 for blocked@*"], f"the rule is saved: {saved['engine']}"
    assert saved["engine"]["rules"][0]["code"] == 550

    # Sessions: the refused one carries the fault badge, and its transcript says which rule fired.
    app.find("nav-sessions").click()
    app.wait().until(lambda d: len(session_rows(app)) == 2, "both sessions listed")
    newest, refused = session_rows(app)
    assert not newest.find_elements(By.CSS_SELECTOR, '[data-testid="session-faults"]'), "no rule fired in the accepted one"
    badge = refused.find_element(By.CSS_SELECTOR, '[data-testid="session-faults"]')
    assert text(badge).strip() == "1", f"one rule fired: {text(badge)!r}"
    refused.click()
    app.wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="transcript-line"].fired'),
                     "the fired line stands out")
    fired = app.driver.find_elements(By.CSS_SELECTOR, '[data-testid="transcript-line"].fired')
    assert 'rule "550 for blocked@*" fired at rcpt' in text(fired[0]), text(fired[0])


def test_a_rule_core_refuses_is_explained_beside_the_form_and_nothing_changes(app):
    app.find("nav-faults").click()
    app.wait_for("rules-empty")
    add_rule(app, "bad code", stage="rcpt", address="*", code="700")
    error = app.wait_for("rule-error")
    assert 'rules[0] "bad code": code: 700 is outside 200-599' in text(error), text(error)
    assert not rule_rows(app), "the refused rule is not listed"
    saved = json.loads(app.settings_file())
    assert not saved["engine"].get("rules"), f"nothing was saved: {saved['engine']}"
    assert refused_code(app.port, "dev@example.com") is None, "mail is accepted as before"


def test_switching_a_rule_off_and_clearing_all_put_normal_answers_back(app):
    app.find("nav-faults").click()
    app.wait_for("rules-empty")
    add_rule(app, "452 for everyone", stage="rcpt", address="*", code="452")
    app.wait().until(lambda d: len(rule_rows(app)) == 1, "the rule is listed")
    assert refused_code(app.port, "dev@example.com") == 452, "the rule is in force"

    rule_rows(app)[0].find_element(By.CSS_SELECTOR, '[data-testid="rule-enabled"]').click()
    app.wait().until(lambda d: "off" in (rule_rows(app)[0].get_attribute("class") or ""), "the rule shows as off")
    assert refused_code(app.port, "dev@example.com") is None, "a rule switched off does nothing"
    assert json.loads(app.settings_file())["engine"]["rules"][0]["enabled"] is False, "off is saved"

    app.find("rules-clear").click()
    app.wait_for("confirm-button").click()
    app.wait_for("rules-empty")
    assert json.loads(app.settings_file())["engine"].get("rules", []) == [], "no rules are saved"
