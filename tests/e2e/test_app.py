"""End-to-end: real SMTP clients against the real desktop app in WebKit."""

import json
import os
import re
import signal
import smtplib
import socket
import time
import urllib.request
from email.message import EmailMessage

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import ARTIFACTS, free_port, launch


def send(port: int, subject: str, *, html: str | None = None, attachment: bytes | None = None,
         to=("dev@example.com",), sender="app@example.com") -> None:
    m = EmailMessage()
    m["From"] = f"Test App <{sender}>"
    m["To"] = ", ".join(to)
    m["Subject"] = subject
    m.set_content(f"Plain body of {subject}\n")
    if html is not None:
        m.add_alternative(html, subtype="html")
    if attachment is not None:
        m.add_attachment(attachment, maintype="application", subtype="pdf", filename="invoice-77.pdf")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.send_message(m, from_addr=sender, to_addrs=list(to))


def open_row(app, subject: str):
    for row in app.rows():
        if subject in row.text:
            row.click()
            app.wait().until(lambda d: subject in app.find("envelope").find_element(By.XPATH, "..").text
                             or subject in d.find_element(By.TAG_NAME, "body").text)
            return row
    raise AssertionError(f"no row with subject {subject!r}; rows: {[r.text for r in app.rows()]}")


def tab(app, name: str):
    app.find(f"tab-{name}").click()


def test_mail_from_a_real_client_appears_without_a_reload(app):
    assert app.find_all("empty-state"), "a fresh store shows the empty state"
    send(app.port, "First arrival")
    rows = app.wait_rows(1)
    assert "First arrival" in rows[0].text, "the new message is listed"
    assert rows[0].get_attribute("data-unread") == "true", "a new message is unread"
    send(app.port, "Second arrival")
    rows = app.wait_rows(2)
    assert "Second arrival" in rows[0].text, "newest first, pushed live"


def test_a_long_recipient_address_shows_its_domain_in_the_sidebar(app):
    long = "corpus-000000001@holdingcompany-example.test"
    send(app.port, "To a long address", to=(long,))
    app.wait_rows(1)
    item = app.wait().until(
        lambda d: next((i for i in app.find_all("nav-inbox") if i.get_attribute("data-address") == long), None),
        "an inbox for the long address")
    label = item.find_element(By.CSS_SELECTOR, '[data-testid="nav-inbox-address"]')
    # innerText is the rendered text (WebKitWebDriver's element text is empty inside a button).
    visible = app.driver.execute_script("return arguments[0].innerText;", label).replace("\n", "")
    assert "holdingcompany-example.test" in visible, f"the domain is in the sidebar's visible text: {visible!r}"
    clipped = app.driver.execute_script(
        "const e = arguments[0]; return e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;",
        label)
    # innerText includes text an ellipsis hides, so what is cut off is read from the box sizes.
    assert not clipped, f"the address wraps whole rather than being cut: {visible!r}"
    title = item.get_attribute("title") or ""
    assert long in title, f"hovering gives the whole address: {title!r}"


def test_opening_a_message_shows_every_view(app):
    html = "<html><body><h1 id='greeting'>Hello HTML</h1><p>Rich body</p></body></html>"
    send(app.port, "All the views", html=html, attachment=b"%PDF-1.4 fake\n")
    app.wait_rows(1)
    open_row(app, "All the views")
    envelope = app.wait_for("envelope").text
    assert "app@example.com" in envelope and "dev@example.com" in envelope, f"envelope shown: {envelope}"

    tab(app, "html")
    frame = app.wait_for("html-frame")
    assert "allow-scripts" not in (frame.get_attribute("sandbox") or ""), "the mail frame never allows scripts"
    app.driver.switch_to.frame(frame)
    assert app.driver.find_element(By.ID, "greeting").text == "Hello HTML", "HTML body rendered"
    app.driver.switch_to.default_content()

    tab(app, "text")
    assert "Plain body of All the views" in app.wait_for("text-body").text

    tab(app, "headers")
    headers = app.wait_for("headers-table").text
    assert "Subject" in headers and "All the views" in headers, f"headers table: {headers[:300]}"

    tab(app, "raw")
    app.wait().until(lambda d: "Content-Type: multipart/mixed" in app.find("raw-source").text, "raw source shown")

    tab(app, "parts")
    app.wait_for("parts-tree")
    names = [a.get_attribute("textContent") for a in app.find_all("attachment")]
    assert any("invoice-77.pdf" in n for n in names), f"attachment listed: {names}"

    tab(app, "transcript")
    app.wait().until(lambda d: len(app.find_all("transcript-line")) > 5, "transcript lines shown")
    text = app.find("transcript").text
    for needle in ("EHLO", "MAIL FROM:<app@example.com>", "250 2.0.0 Ok: queued as"):
        assert needle.lower() in text.lower(), f"transcript shows {needle!r}:\n{text[:2000]}"
    dirs = {line.get_attribute("data-dir") for line in app.find_all("transcript-line")}
    assert {"in", "out"} <= dirs, f"client and server lines are told apart: {dirs}"


def test_a_notification_reaches_the_notification_service(app):
    send(app.port, "Notify me please")
    app.wait_rows(1)
    log = os.path.join(ARTIFACTS, "notifications.log")
    deadline = time.time() + 10
    while time.time() < deadline:
        with open(log, encoding="utf-8", errors="replace") as f:
            if "Notify me please" in f.read():
                return
        time.sleep(0.2)
    raise AssertionError("no org.freedesktop.Notifications.Notify call carried the subject")


def test_deleting_removes_the_message_from_list_and_store(app):
    send(app.port, "Keep me")
    send(app.port, "Delete me")
    app.wait_rows(2)
    open_row(app, "Delete me")
    app.find("delete-button").click()
    rows = app.wait_rows(1)
    assert "Keep me" in rows[0].text, "the other message stays"
    subjects = [m["subject"] for m in app.stored()]
    assert subjects == ["Keep me"], f"the store no longer has it: {subjects}"


def test_changing_the_port_in_settings_takes_effect(app):
    old = app.port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        new = s.getsockname()[1]
    app.find("nav-settings").click()
    field = app.wait_for("settings-smtp-addr")
    field.clear()
    field.send_keys(f"127.0.0.1:{new}")
    app.find("settings-save").click()
    app.wait_for("settings-saved")
    app.wait().until(lambda d: str(new) in app.find("status-pill").get_attribute("textContent"), "status shows the new port")
    send(new, "On the new port")
    try:
        send(old, "On the old port")
        raise AssertionError("the old port still accepted mail")
    except (ConnectionRefusedError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError):
        pass
    subjects = [m["subject"] for m in app.stored()]
    assert subjects == ["On the new port"], f"mail to the new port is captured: {subjects}"


def test_a_port_in_use_is_reported_next_to_the_field(app):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    try:
        app.find("nav-settings").click()
        field = app.wait_for("settings-smtp-addr")
        field.clear()
        field.send_keys(f"127.0.0.1:{taken}")
        app.find("settings-save").click()
        err = app.wait().until(
            lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="field-error"][data-field="smtp_addr"]'))
        assert "in use" in err.text, f"the error says the port is in use: {err.text}"
        assert str(app.port) in app.find("status-pill").get_attribute("textContent"), "still capturing on the old port"
        send(app.port, "Still here")
        assert [m["subject"] for m in app.stored()] == ["Still here"], "the old listener kept working"
    finally:
        blocker.close()


def test_a_line_limit_core_refuses_is_reported_beside_the_field_and_nothing_is_saved(app):
    app.find("nav-settings").click()
    app.wait_for("settings-save")
    label = app.driver.find_element(By.XPATH, "//label[normalize-space()='Longest line']")
    field = app.driver.find_element(By.ID, label.get_attribute("for"))
    field.clear()
    field.send_keys("78")
    assert field.get_property("value") == "78", f"the box holds what was typed: {field.get_property('value')!r}"
    before = app.settings_file()
    app.find("settings-save").click()
    err = app.wait().until(
        lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="field-error"][data-field="max_line_length"]'))
    assert "512" in err.text, f"core's minimum is given beside Longest line: {err.text!r}"
    assert not app.find_all("settings-saved"), "nothing claims to be saved"
    assert field.get_property("value") == "78", "what was typed stays for the person to fix"
    assert app.settings_file() == before, "the settings file in the data dir is unchanged"


def test_script_and_onerror_in_html_mail_never_run(app):
    hostile = """<html><head><title>hostile</title></head><body>
      <p id="content">Looks harmless</p>
      <script>document.getElementById('content').textContent = 'SCRIPT RAN'; window.parent.document.title = 'pwned';</script>
      <img src="nonexistent.png" onerror="document.body.setAttribute('data-pwned','onerror'); window.parent.document.title='pwned'">
      <svg onload="document.body.setAttribute('data-pwned','svg')"></svg>
      <a id="link" href="javascript:document.body.setAttribute('data-pwned','link')">click</a>
    </body></html>"""
    send(app.port, "Hostile HTML", html=hostile)
    app.wait_rows(1)
    open_row(app, "Hostile HTML")
    tab(app, "html")
    frame = app.wait_for("html-frame")
    title_before = app.driver.title
    app.driver.switch_to.frame(frame)
    time.sleep(1)  # give any handler a chance to run
    content = app.driver.find_element(By.ID, "content").text
    pwned = app.driver.find_element(By.TAG_NAME, "body").get_attribute("data-pwned")
    links = app.driver.find_elements(By.ID, "link")
    if links:
        links[0].click()
        time.sleep(0.5)
        pwned = pwned or app.driver.find_element(By.TAG_NAME, "body").get_attribute("data-pwned")
    app.driver.switch_to.default_content()
    assert content == "Looks harmless", f"<script> must not run: {content!r}"
    assert pwned is None, f"no event handler or javascript: link may run: {pwned!r}"
    assert app.driver.title == title_before != "pwned", "the app document was not touched"
    has_ipc = app.driver.execute_script(
        "const f=document.querySelector('[data-testid=html-frame]');"
        "try { return !!(f.contentWindow && f.contentWindow.__TAURI_INTERNALS__); } catch (e) { return false; }")
    assert not has_ipc, "the mail frame has no Tauri IPC bridge"


def test_keyboard_moves_through_the_list(app):
    for i in range(3):
        send(app.port, f"Keyboard {i}")
    app.wait_rows(3)
    body = app.driver.find_element(By.TAG_NAME, "body")
    body.send_keys("j")
    body.send_keys(Keys.ENTER)
    app.wait().until(lambda d: "Keyboard 2" in d.find_element(By.TAG_NAME, "body").text)
    body.send_keys("j")
    body.send_keys(Keys.ENTER)
    app.wait().until(lambda d: any(r.get_attribute("aria-selected") == "true" and "Keyboard 1" in r.text
                                   for r in app.rows()), "j moves down to the second message")


def test_a_port_taken_at_launch_is_explained_and_can_be_changed():
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    app = launch(taken)
    try:
        banner = app.wait_for("port-error", 30)
        text = banner.get_attribute("textContent")
        assert str(taken) in text and "in use" in text, f"the window says the port is taken: {text}"
        assert "Capturing" not in app.find("status-pill").get_attribute("textContent"), "not claiming to capture"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            free = s.getsockname()[1]
        field = banner.find_element(By.CSS_SELECTOR, "input")
        field.clear()
        field.send_keys(str(free))
        field.send_keys(Keys.ENTER)
        app.wait().until(lambda d: str(free) in app.find("status-pill").get_attribute("textContent"),
                         "capturing on the newly chosen port")
        send(free, "After choosing a port")
        app.wait_rows(1)
    finally:
        app.driver.quit()
        blocker.close()


def api_url(app, timeout=15) -> str:
    """The API address the status bar shows, once it shows one."""
    return app.wait(timeout).until(
        lambda d: app.find("api-url").get_attribute("textContent").strip() or False, "the status bar shows the API URL")


def test_the_status_bar_shows_the_api_url_and_the_api_answers(app):
    url = api_url(app)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and not url.endswith(":0"), \
        f"the bound loopback address with its real port, not the asked-for 0: {url!r}"
    with urllib.request.urlopen(f"{url}/api/v1/info", timeout=10) as r:
        assert r.status == 200, f"info answers 200, not {r.status}"
        assert r.headers.get_content_type() == "application/json", f"JSON: {r.headers.get('Content-Type')}"
        info = json.load(r)
    assert info.get("Version"), f"info names the version, as Mailpit's does: {info}"


def test_an_api_port_taken_at_launch_is_shown_and_a_new_address_in_settings_serves():
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    port = free_port()
    app = launch(port, engine={"http_addr": f"127.0.0.1:{taken}"})
    try:
        api = app.wait(30).until(
            lambda d: (e := app.find("api-status")).get_attribute("data-state") == "error" and e, "the API failure shows")
        assert "in use" in api.get_attribute("textContent"), f"says the port is in use: {api.get_attribute('textContent')}"
        assert str(taken) in api.get_attribute("title"), f"the whole reason on hover: {api.get_attribute('title')}"
        assert str(port) in app.find("status-pill").get_attribute("textContent"), "mail is still captured"

        api.click()
        field = app.wait_for("settings-http-addr")
        err = app.wait().until(
            lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="field-error"][data-field="http_addr"]'))
        assert str(taken) in err.text and "in use" in err.text, f"Settings says it beside the address: {err.text}"
        field.clear()
        field.send_keys("127.0.0.1:0")
        app.find("settings-save").click()
        app.wait_for("settings-saved")
        url = api_url(app)
        with urllib.request.urlopen(f"{url}/api/v1/info", timeout=10) as r:
            assert json.load(r).get("Version"), "the API serves on the new address"
        assert not app.find_all("field-error"), "the failure is gone from Settings"
    finally:
        app.driver.quit()
        blocker.close()


def test_clicking_a_notification_opens_its_message(app):
    import subprocess
    send(app.port, "Older message")
    app.wait_rows(1)
    time.sleep(2)  # past the notification coalescing window, so the next one stands alone
    subprocess.run(["dunstctl", "close-all"], check=True)
    send(app.port, "Open me from the notification")
    app.wait_rows(2)
    deadline = time.time() + 10
    while time.time() < deadline:
        shown = subprocess.run(["dunstctl", "count", "displayed"], capture_output=True, text=True).stdout.strip()
        if shown and int(shown) > 0:
            break
        time.sleep(0.2)
    # dunst performs the default action of the newest notification: the same as a click.
    assert not app.find_all("envelope"), "no message is open before the click"
    subprocess.run(["dunstctl", "action", "0"], check=True)
    app.wait().until(lambda d: app.find_all("envelope") and any(
        r.get_attribute("aria-selected") == "true" and "Open me from the notification" in r.text for r in app.rows()),
        "the clicked notification's message is selected and open")


def test_pausing_capture_answers_421_and_resuming_captures_again(app):
    pill = app.find("status-pill")
    pill.click()
    app.wait().until(lambda d: "Paused" in app.find("status-pill").get_attribute("textContent"), "pill says paused")
    with socket.create_connection(("127.0.0.1", app.port), timeout=5) as s:
        greeting = s.recv(512).decode()
    assert greeting.startswith("421 4.3.2"), f"a paused listener refuses with 421: {greeting!r}"
    app.find("status-pill").click()
    app.wait().until(lambda d: "Capturing" in app.find("status-pill").get_attribute("textContent"), "resumed")
    send(app.port, "After resuming")
    app.wait_rows(1)


def smtp_lines(port: int, lines: list[str]) -> list[str]:
    """Speaks raw SMTP: the greeting, then each line and its reply; returns every reply."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        f = s.makefile("rb")

        def reply() -> str:
            text = ""
            while True:
                line = f.readline().decode()
                text += line
                if len(line) < 4 or line[3] == " ":
                    return text

        replies.append(reply())
        for line in lines:
            s.sendall(f"{line}\r\n".encode())
            replies.append(reply())
    return replies


def session_rows(app):
    return app.find_all("session-row")


def text(el) -> str:
    return el.get_attribute("textContent") or ""


def test_a_session_of_only_refusals_is_marked_failed_with_its_count(app):
    from selenium.webdriver.support.ui import Select

    send(app.port, "A good one")
    replies = smtp_lines(app.port, ["EHLO refused.test", "RCPT TO:<dev@example.com>", "DATA", "QUIT"])
    assert replies[2].startswith("503") and replies[3].startswith("503"), f"refused: {replies}"
    assert replies[4].startswith("221"), f"ends politely: {replies}"

    app.find("nav-sessions").click()
    app.wait().until(lambda d: len(session_rows(app)) == 2 and "refused.test" in text(session_rows(app)[0]),
                     "both sessions listed, newest first")
    failed, good = session_rows(app)
    assert failed.get_attribute("data-failed") == "true", "the refused session is marked"
    assert good.get_attribute("data-failed") == "false", "the good session is not"
    marks = [text(m) for m in failed.find_elements(By.CSS_SELECTOR, '[data-testid="session-problem"]')]
    assert marks == ["2 refused"], f"the mark counts both refusals: {marks}"

    Select(app.find("session-show")).select_by_value("errors")
    app.wait().until(lambda d: len(session_rows(app)) == 1, "only the failed session is shown with errors")
    assert "refused.test" in text(session_rows(app)[0])

    failed = session_rows(app)[0]
    failed.click()
    app.wait_for("fact-problems")
    app.wait().until(lambda d: text(app.find("fact-problems")) == "2 refused", "the facts count the refusals")


def test_a_long_tls_cipher_in_the_facts_grid_is_not_clipped(app):
    import ssl

    m = EmailMessage()
    m["From"] = "app@example.com"
    m["To"] = "dev@example.com"
    m["Subject"] = "Over TLS"
    m.set_content("sent after STARTTLS\n")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", app.port, local_hostname="a-rather-long-client-name.example.test", timeout=10) as s:
        s.starttls(context=ctx)
        s.send_message(m)
    app.wait_rows(1)

    def unclipped(testid: str):
        # The grid can be drawn again as the open message's read state and the session's
        # close arrive; wait for the element rather than catch it between two renders.
        def measure(_):
            try:
                el = app.find(testid)
                sw, cw = app.driver.execute_script("return [arguments[0].scrollWidth, arguments[0].clientWidth]", el)
                return sw, cw, text(el), el.get_attribute("title")
            except (NoSuchElementException, StaleElementReferenceException):
                return False

        sw, cw, shown, title = app.wait().until(measure)
        assert sw <= cw, f"{testid} is cut: {shown!r} needs {sw}px, has {cw}px"
        assert title, f"{testid} has a tooltip"

    # In the Sessions view ...
    app.find("nav-sessions").click()
    app.wait().until(lambda d: len(session_rows(app)) == 1)
    session_rows(app)[0].click()
    app.wait().until(lambda d: "TLS13_" in text(app.find("fact-tls")), "the cipher is shown")
    for testid in ["fact-tls", "fact-ehlo", "fact-started", "fact-ended", "fact-peer"]:
        unclipped(testid)

    # ... and in the message's Transcript tab, a narrower pane.
    app.find("nav-all").click()
    open_row(app, "Over TLS")
    tab(app, "transcript")
    app.wait().until(lambda d: "TLS13_" in text(app.find("fact-tls")), "the cipher is shown")
    for testid in ["fact-tls", "fact-ehlo", "fact-started", "fact-ended", "fact-peer"]:
        unclipped(testid)


def search_for(app, text: str):
    """Types into the search box (as a person does, key by key) and presses Enter."""
    box = app.find("search-input")
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    return box


def row_subjects(app) -> list[str]:
    """The listed subjects, top first, read in one go (rows are replaced as the list updates)."""
    return app.driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=message-row] [data-testid=message-subject]')]"
        ".map(e => e.textContent);")


def test_typing_a_query_filters_the_list(app):
    send(app.port, "Invoice 42 is ready", sender="billing@acme.test")
    send(app.port, "Welcome aboard")
    send(app.port, "Your invoice was paid")
    app.wait_rows(3)
    search_for(app, "subject:invoice -paid")
    app.wait().until(lambda d: row_subjects(app) == ["Invoice 42 is ready"],
                     "only the unpaid invoice matches")
    summary = text(app.find("list-summary"))
    assert "matching" in summary and "subject:invoice -paid" in summary, f"the list says what it matches: {summary!r}"
    search_for(app, "from:billing@acme.test OR welcome")
    app.wait().until(lambda d: sorted(row_subjects(app)) == ["Invoice 42 is ready", "Welcome aboard"],
                     "OR and a whole address")


def test_a_malformed_query_is_shown_next_to_the_box_and_the_list_stays(app):
    send(app.port, "Keep showing me")
    send(app.port, "And me")
    app.wait_rows(2)
    box = search_for(app, "invoice nope:x")
    err = app.wait_for("query-error")
    message = text(app.find("query-error-message"))
    assert 'unknown operator "nope:"' in message, f"core's sentence is shown: {message!r}"
    assert text(app.find("query-error-span")) == "nope:", "the operator is the marked part"
    assert err.get_attribute("data-pos") == "8", "at core's position"
    assert box.get_attribute("aria-invalid") == "true", "the box is marked invalid"
    # Right under the box: the error's top is within a few pixels of the toolbar's bottom.
    gap = app.driver.execute_script(
        "const b = arguments[0].getBoundingClientRect(), e = arguments[1].getBoundingClientRect();"
        "return [e.top - b.bottom, e.left < b.right && e.right > b.left];", box, err)
    assert gap[0] < 20 and gap[1], f"the error sits right under the search box: {gap}"
    assert len(app.rows()) == 2, "the last results stay instead of an empty list"
    assert app.find("message-list").get_attribute("data-stale") == "true", "and are marked stale"
    assert not app.find_all("list-empty"), "nothing says there is no mail"
    assert not app.find_all("toast"), "the error is not a toast"
    box.send_keys(Keys.END)
    for _ in range(len("nope:x")):
        box.send_keys(Keys.BACKSPACE)
    app.wait().until(lambda d: not app.find_all("query-error"), "the error goes as soon as the text parses")


def test_a_recipient_inbox_shows_only_its_mail(app):
    send(app.port, "For Alice", to=("alice@example.com",))
    send(app.port, "For Bob", to=("bob@example.com",))
    send(app.port, "For both", to=("alice@example.com", "bob@example.com"))
    app.wait_rows(3)

    def inbox(key):
        return next((i for i in app.find_all("nav-inbox")
                     if i.get_attribute("data-kind") == "recipient" and i.get_attribute("data-key") == key), None)

    alice = app.wait().until(lambda d: inbox("alice@example.com"), "an inbox for alice")
    headings = [text(h) for h in app.find_all("nav-group-heading")]
    assert headings[0] == "Recipients", f"the recipients group comes first: {headings}"
    alice.click()
    app.wait().until(lambda d: sorted(row_subjects(app)) == ["For Alice", "For both"], "only alice's mail")
    send(app.port, "Bob again", to=("bob@example.com",))
    send(app.port, "Alice again", to=("alice@example.com",))
    app.wait().until(lambda d: row_subjects(app)[:1] == ["Alice again"], "new mail for alice appears live")
    assert "Bob again" not in row_subjects(app), "mail for bob does not"
    app.find("nav-all").click()
    app.wait_rows(5)


def test_a_pinned_message_survives_clear_all(app):
    send(app.port, "Pin me")
    send(app.port, "Let me go")
    app.wait_rows(2)
    open_row(app, "Pin me")
    app.find("pin-button").click()
    app.wait().until(lambda d: app.find("pin-button").get_attribute("aria-pressed") == "true", "the button says pinned")
    app.wait().until(lambda d: any(r.get_attribute("data-pinned") == "true" and "Pin me" in r.text for r in app.rows()),
                     "the row is marked pinned")
    app.find("clear-all-button").click()
    dialog = app.wait().until(lambda d: d.find_element(By.CSS_SELECTOR, '[role="alertdialog"]'))
    assert "1 pinned message is kept" in text(dialog), f"the confirmation says the pin is kept: {text(dialog)!r}"
    app.find("confirm-button").click()
    app.wait().until(lambda d: row_subjects(app) == ["Pin me"], "only the pinned message is left")
    subjects = [m["subject"] for m in app.stored()]
    assert subjects == ["Pin me"], f"the store kept only the pinned message: {subjects}"


def test_mail_sent_after_a_search_was_typed_appears_in_the_filtered_list(app):
    send(app.port, "Something else")
    app.wait_rows(1)
    search_for(app, "subject:latecomer")
    app.wait().until(lambda d: app.find_all("list-empty"), "nothing matches yet")
    send(app.port, "Not this one either")
    send(app.port, "The latecomer arrives")
    app.wait().until(lambda d: row_subjects(app) == ["The latecomer arrives"],
                     "the matching message appears without a reload")
    assert app.find("search-input").get_attribute("value") == "subject:latecomer", "the search is still there"


def app_pid(data_dir: str) -> int:
    """The desktop process running on `data_dir`."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(b"pigeonhole-desktop") and data_dir.encode() in argv:
            return int(pid)
    raise AssertionError(f"no pigeonhole-desktop process on {data_dir}")


def test_sigterm_quits_like_quit_and_closes_the_store_cleanly():
    port = free_port()
    app = launch(port)
    try:
        app.wait(30).until(lambda d: str(port) in app.find("status-pill").get_attribute("textContent"))
        send(port, "Before the logout")
        app.wait_rows(1)
        pid = app_pid(app.data_dir)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            # A zombie left for tauri-driver to reap has exited too.
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        break
            except OSError:
                break
            time.sleep(0.05)
        else:
            assert not os.path.exists(f"/proc/{pid}"), "SIGTERM did not end the app within 10 s"
        db = os.path.join(app.data_dir, "pigeonhole.sqlite3")
        assert os.path.exists(db + ".clean"), "the store was closed cleanly (the next launch skips its check)"
        wal = db + "-wal"
        assert not os.path.exists(wal) or os.path.getsize(wal) == 0, "the WAL was checkpointed at the close"
        assert [m["subject"] for m in app.stored()] == ["Before the logout"], "the message is in the store"
    finally:
        try:
            app.driver.quit()
        except Exception:
            pass  # the app is gone already; the driver may say so
