"""End-to-end: files dropped on the real desktop window are imported and listed.

WebDriver cannot drive an operating-system drag and drop, so these tests reach the drop
handler through the `pigeonhole:drop-paths` DOM event. It calls the very function the Tauri
`tauri://drag-drop` listener calls (ui/src/components/DropImport.svelte), and from there on
everything is real: the `import_paths` command, core's import, the store, the event bridge
and the list. Only the OS drag itself (and Tauri turning it into `tauri://drag-drop`) is not
exercised here."""

import os
import tempfile

from selenium.webdriver.common.by import By

DROP = "window.dispatchEvent(new CustomEvent('pigeonhole:drop-paths', {detail: {paths: arguments[0]}}))"


def write(name: str, data: bytes) -> str:
    d = tempfile.mkdtemp(prefix="pigeonhole-e2e-drop-")
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def toasts(app) -> str:
    return " | ".join(t.text for t in app.find_all("toast"))


def test_a_dropped_eml_appears_in_the_list_marked_imported(app):
    raw = (b"From: Legacy App <legacy@example.com>\r\nTo: qa@example.com\r\n"
           b"Subject: Dropped invoice 4711\r\nMessage-ID: <4711@example.com>\r\n\r\n"
           b"From the archive\r\n>From quoted\r\nbye")
    path = write("invoice.eml", raw)
    app.driver.execute_script(DROP, [path])
    rows = app.wait_rows(1)
    assert "Dropped invoice 4711" in rows[0].text, "the dropped message is listed"
    assert rows[0].find_elements(By.CSS_SELECTOR, '[data-testid="imported-mark"]'), "the row is marked Imported"
    app.wait().until(lambda d: "Imported 1 message" in toasts(app), "a toast says how many were imported")

    stored = app.stored()
    assert len(stored) == 1 and stored[0]["listener"] == "import", f"stored as imported: {stored}"
    assert stored[0]["rcpt_to"] == ["qa@example.com"], "the envelope comes from the headers"

    rows[0].click()
    app.wait_for("tab-transcript").click()
    origin = app.wait_for("import-origin")
    app.wait().until(lambda d: "invoice.eml" in origin.text, "the Transcript tab says where it came from")
    assert "no SMTP session" in origin.text


def test_a_dropped_file_that_is_not_mail_is_reported_and_nothing_is_listed(app):
    path = write("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    app.driver.execute_script(DROP, [path])
    app.wait().until(lambda d: "photo.png" in toasts(app), "the toast names the file that failed")
    assert "not a message" in toasts(app)
    assert app.rows() == [], "nothing was imported"
