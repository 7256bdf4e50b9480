"""End-to-end: the HTML sandbox, proved in the real WebKit window.

One hostile message carries every way mail HTML tries to run code, phone home or navigate:
<script> (in HTML and in SVG), inline handlers, javascript: and file: links, meta refresh,
<form>, <iframe>/<object>/<embed>, a remote <img>, CSS url() in a sheet and in a style
attribute, @import, <link rel=stylesheet>, <link rel=prefetch>, <audio autoplay>, <video>,
and a one-time-token link. Every remote URL points at a web server on loopback that logs each
request, so "nothing was fetched" is a fact read off its log, not an assumption.

What must hold (each assertion says which rule broke):
  - no script runs: none of the scripts' beacons is requested, the window's title is
    unchanged, and the script's call into Tauri's IPC (clear all) left the store as it was;
  - nothing is fetched before "Load remote content";
  - after it, images and style sheets load, yet scripts still do not run, nothing autoplays,
    and frames, objects, embeds, refreshes, prefetches and forms still fetch nothing;
  - no link is followed without a click, and a click hands the URL to the system browser
    (xdg-open, a stub on the e2e PATH that logs what it is given) without the frame
    navigating or the app fetching it.
"""

import http.server
import os
import threading
import time

from selenium.webdriver.common.by import By

from test_app import open_row, send, tab

# A 1x1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)

# What the server answers for each path; anything else is a 404 (and still logged).
BODIES = {
    "/img.png": ("image/png", PNG),
    "/bg.png": ("image/png", PNG),
    "/inline-bg.png": ("image/png", PNG),
    "/svg-image.png": ("image/png", PNG),
    "/poster.png": ("image/png", PNG),
    "/link.css": ("text/css", b"#styled-by-link{color:rgb(1, 2, 3)}"),
    "/import.css": ("text/css", b"#styled-by-import{color:rgb(4, 5, 6)}"),
}

# Requested only if a script, handler, javascript: URL, frame, form or refresh ran.
NEVER = [
    "/script-fetch", "/script-img", "/script-xhr", "/onerror", "/onload", "/body-onload",
    "/js-link", "/svg-script", "/svg-onload", "/iframe", "/object", "/embed", "/refresh",
    "/prefetch", "/form", "/token", "/audio.wav", "/video.mp4", "/ipc",
]

# Loaded once remote content is allowed.
AFTER_ALLOW = ["/img.png", "/bg.png", "/inline-bg.png", "/link.css", "/import.css"]


class _Log(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def _answer(self):
        path = self.path.split("?")[0]
        _Log.hits.append(path)
        kind, body = BODIES.get(path, ("text/plain", b""))
        self.send_response(200 if path in BODIES else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = _answer

    def log_message(self, *args):
        pass


def hostile_html(b: str) -> str:
    beacon = f"new Image().src='{b}/script-img'"
    return f"""<!DOCTYPE html><html><head>
<meta http-equiv="refresh" content="0;url={b}/refresh">
<title>hostile</title>
<link rel="stylesheet" href="{b}/link.css">
<link rel="prefetch" href="{b}/prefetch">
<style>
  @import url("{b}/import.css");
  .bg {{ background: url("{b}/bg.png"); width: 10px; height: 10px }}
</style>
<script>
  document.title = 'pwned'; try {{ parent.document.title = 'pwned'; }} catch (e) {{}}
  {beacon}; fetch('{b}/script-fetch').catch(() => {{}});
  var x = new XMLHttpRequest(); x.open('GET', '{b}/script-xhr'); x.send();
  try {{ parent.__TAURI_INTERNALS__.invoke('clear_all'); }} catch (e) {{ new Image().src = '{b}/ipc'; }}
</script>
</head>
<body onload="new Image().src='{b}/body-onload'">
<p id="content">Looks harmless</p>
<p id="styled-by-link">link</p><p id="styled-by-import">import</p>
<img id="remote-img" src="{b}/img.png" alt="remote" onload="new Image().src='{b}/onload'">
<img src="missing.png" onerror="new Image().src='{b}/onerror'">
<div class="bg" id="bg"></div>
<div id="inline-bg" style="background-image:url('{b}/inline-bg.png'); width:10px; height:10px"></div>
<a id="js" href="javascript:new Image().src='{b}/js-link'">js link</a>
<a id="file" href="file:///etc/passwd">file link</a>
<a id="token" href="{b}/token?t=one-time-7f3a">Confirm your account</a>
<form id="form" action="{b}/form" method="post"><input name="q" value="x">
  <button id="submit" type="submit">Send</button></form>
<iframe src="{b}/iframe"></iframe>
<object data="{b}/object"></object>
<embed src="{b}/embed">
<audio id="audio" autoplay src="{b}/audio.wav"></audio>
<video id="video" autoplay src="{b}/video.mp4" poster="{b}/poster.png"></video>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="new Image().src='{b}/svg-onload'">
  <script>new Image().src = '{b}/svg-script';</script>
  <image href="{b}/svg-image.png" width="10" height="10"/>
</svg>
</body></html>"""


def opened_urls() -> list[str]:
    path = os.environ.get("E2E_OPENED_LOG", "")
    if not path or not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def never_fetched(when: str):
    bad = [h for h in _Log.hits if h in NEVER]
    assert not bad, f"{when}: these must never be requested, but were: {bad} (all hits: {_Log.hits})"


def in_frame(app, fn):
    app.driver.switch_to.frame(app.find("html-frame"))
    try:
        return fn()
    finally:
        app.driver.switch_to.default_content()


def test_hostile_html_runs_nothing_fetches_nothing_until_allowed_and_links_open_outside(app):
    assert os.environ.get("E2E_OPENED_LOG"), "run through tests/e2e/run.sh, which puts the xdg-open stub on PATH"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Log)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _Log.hits.clear()
    before_opened = len(opened_urls())
    try:
        send(app.port, "Hostile sandbox", html=hostile_html(base))
        app.wait_rows(1)
        title = app.driver.title
        open_row(app, "Hostile sandbox")
        tab(app, "html")
        frame = app.wait_for("html-frame")
        assert frame.get_attribute("sandbox") == "allow-same-origin", (
            f"the mail frame's sandbox grants nothing but same-origin: {frame.get_attribute('sandbox')!r}")
        time.sleep(2)  # any load, refresh or handler has had its chance

        # Nothing before "Load remote content", and no script.
        assert _Log.hits == [], f"nothing may be fetched before Load remote content: {_Log.hits}"
        assert in_frame(app, lambda: app.driver.find_element(By.ID, "content").text) == "Looks harmless"
        assert app.driver.title == title != "pwned", "a script in the mail changed the window's title"
        banner = app.wait_for("remote-banner").text
        assert "blocked" in banner, banner

        # Allow remote content: images and style sheets load, nothing else does.
        app.find("load-remote-button").click()
        app.wait(10).until(lambda d: all(p in _Log.hits for p in AFTER_ALLOW),
                           f"images and style sheets load once allowed; fetched: {_Log.hits}")
        time.sleep(1.5)
        never_fetched("after Load remote content")

        def styled():
            color = lambda i: app.driver.execute_script(  # noqa: E731
                f"return getComputedStyle(document.getElementById('{i}')).color")
            media = app.driver.execute_script(
                "return [document.getElementById('audio').paused, document.getElementById('video').paused,"
                " document.getElementById('audio').hasAttribute('autoplay')]")
            return color("styled-by-link"), color("styled-by-import"), media, \
                app.driver.find_element(By.ID, "content").text
        link_color, import_color, media, content = in_frame(app, styled)
        assert link_color == "rgb(1, 2, 3)", f"<link rel=stylesheet> applied once allowed: {link_color}"
        assert import_color == "rgb(4, 5, 6)", f"@import applied once allowed: {import_color}"
        assert media == [True, True, False], f"audio and video stay paused, autoplay removed: {media}"
        assert content == "Looks harmless", "a script ran after remote content was allowed"
        assert app.driver.title == title, "a script changed the window's title after allowing"

        # Links: javascript: does nothing, the form does not submit, file: is not a link.
        def click_inert():
            app.driver.find_element(By.ID, "js").click()
            app.driver.find_element(By.ID, "submit").click()
            return app.driver.find_element(By.ID, "file").get_attribute("href")
        assert in_frame(app, click_inert) is None, "a file: link is not a link"
        time.sleep(1)
        never_fetched("after clicking the javascript: link and the form's button")
        assert len(opened_urls()) == before_opened, f"nothing was handed to the browser: {opened_urls()}"

        # The one-time-token link: not fetched, not opened until clicked; a click hands it to
        # the system browser and the frame stays where it is.
        assert not any("/token" in u for u in opened_urls()), "the token link was opened without a click"
        # A real click (WebDriver's, at the link's place): the frame has scripts off, so no
        # listener sees it; the navigation it starts is stopped by the shell and handed to
        # the browser because the person's click put the focus in the mail frame.
        in_frame(app, lambda: app.driver.find_element(By.ID, "token").click())
        app.wait(10).until(lambda d: len(opened_urls()) > before_opened,
                           "a click on an http link opens the system browser")
        assert opened_urls()[before_opened:] == [f"{base}/token?t=one-time-7f3a"], opened_urls()
        time.sleep(0.5)
        assert "/token" not in _Log.hits, "the app itself must not fetch a clicked link"
        assert in_frame(app, lambda: app.driver.find_element(By.ID, "content").text) == "Looks harmless", \
            "the frame did not navigate away"

        # The script's IPC call (clear all) left no trace: the message is still stored.
        assert [m["subject"] for m in app.stored()] == ["Hostile sandbox"], "the store was touched by the mail"
        has_ipc = app.driver.execute_script(
            "const f=document.querySelector('[data-testid=html-frame]');"
            "try { return !!(f.contentWindow && f.contentWindow.__TAURI_INTERNALS__); } catch (e) { return false; }")
        assert not has_ipc, "the mail frame has no Tauri IPC bridge"
    finally:
        server.shutdown()
