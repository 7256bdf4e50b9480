"""End-to-end: the HTML check and Links tabs, the on-request link check against a local web
server, and the sanitiser's file: links and media in the real WebKit frame."""

import http.server
import threading
import time

from selenium.webdriver.common.by import By

from test_app import open_row, send, tab


class _Handler(http.server.BaseHTTPRequestHandler):
    requests = []

    def _answer(self):
        _Handler.requests.append((self.command, self.path))
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = _answer
    do_GET = _answer

    def log_message(self, *args):
        pass


def local_web():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_html_check_tab_scores_the_message_and_expands_a_feature(app):
    send(app.port, "Flex news", html='<html><body><div style="display:flex">x</div><svg></svg></body></html>')
    app.wait_rows(1)
    open_row(app, "Flex news")
    tab(app, "html-check")
    score = app.wait_for("html-check-score")
    assert score.text.endswith("%"), score.text
    features = app.wait().until(lambda d: app.find_all("html-feature"))
    slugs = [f.get_attribute("data-slug") for f in features]
    assert "css-display-flex" in slugs, slugs
    flex = next(f for f in features if f.get_attribute("data-slug") == "css-display-flex")
    flex.find_element(By.CSS_SELECTOR, "button").click()
    detail = app.wait_for("html-feature-detail")
    assert "Outlook" in detail.text, detail.text


def test_links_are_flagged_and_checked_only_when_asked(app):
    server, base = local_web()
    _Handler.requests.clear()
    try:
        html = (f'<a href="{base}/ok">https://bank.example.com</a> <a href="{base}/gone">gone</a> '
                '<a href="file:///etc/passwd">local file</a>')
        send(app.port, "Link review", html=html)
        app.wait_rows(1)
        open_row(app, "Link review")
        tab(app, "html")
        app.wait_for("html-frame")
        tab(app, "links")
        rows = app.wait().until(lambda d: app.find_all("link-row"))
        texts = [r.text for r in rows]
        assert any("text shows another site" in t for t in texts), texts
        assert any("file" in t and "local file" in t for t in texts), texts
        time.sleep(0.5)
        assert _Handler.requests == [], f"nothing is requested before Check links: {_Handler.requests}"
        app.find("check-links-button").click()
        app.wait().until(lambda d: len(app.find_all("link-status")) >= 2)
        statuses = [s.text for s in app.find_all("link-status")]
        assert "200 OK" in statuses and "404 Not Found" in statuses, statuses
        assert all(path != "/etc/passwd" for _, path in _Handler.requests)
    finally:
        server.shutdown()


def test_a_file_link_in_the_frame_is_not_clickable_and_media_does_not_autoplay(app):
    html = ('<a id="f" href="file:///etc/passwd">local</a>'
            '<audio id="a" autoplay src="data:audio/wav;base64,UklGRiQAAABXQVZFZm10IBAAAAABAAEA"></audio>')
    send(app.port, "File link", html=html)
    app.wait_rows(1)
    open_row(app, "File link")
    tab(app, "html")
    frame = app.wait_for("html-frame")
    app.driver.switch_to.frame(frame)
    try:
        link = app.driver.find_element(By.ID, "f")
        assert link.get_attribute("href") is None, "no href stays on a file: link"
        audio = app.driver.find_element(By.ID, "a")
        assert audio.get_attribute("autoplay") is None
        assert audio.get_attribute("preload") == "none"
        paused = app.driver.execute_script("return document.getElementById('a').paused")
        assert paused, "audio does not play by itself"
    finally:
        app.driver.switch_to.default_content()


def test_a_large_html_body_stays_behind_until_render_anyway_and_then_renders(app):
    # Over the 1,000,000-byte limit: get_message holds the body back; Render anyway fetches
    # it through get_message_html, which the window's capability must grant.
    # The bulk is a comment, so WebKit has next to nothing to lay out once it renders.
    padding = "<!--" + "pad " * 262_500 + "-->"
    html = f"<html><body><h1 id='big'>Big body</h1>{padding}<script>document.title='ran'</script></body></html>"
    assert len(html.encode()) > 1_000_000
    send(app.port, "Huge HTML", html=html)
    app.wait_rows(1)
    open_row(app, "Huge HTML")
    assert app.find("tab-text").get_attribute("aria-selected") == "true", "it opens on its text part"
    tab(app, "html")
    notice = app.wait_for("large-html")
    assert "MB" in notice.text and not app.find_all("html-frame"), notice.text
    app.find("render-large-button").click()
    frame = app.wait_for("html-frame")
    app.driver.switch_to.frame(frame)
    try:
        heading = app.wait().until(lambda d: d.find_elements(By.ID, "big"))
        assert heading[0].text == "Big body", "the fetched body rendered"
        assert app.driver.execute_script("return document.title") != "ran", "and its script did not run"
    finally:
        app.driver.switch_to.default_content()
