"""Fixtures: a fresh data dir, a free SMTP port, and a WebDriver session on the real app."""

import json
import os
import socket
import subprocess
import tempfile
import time

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import WebDriverWait

APP = os.environ.get("PIGEONHOLE_APP", "target/release/pigeonhole-desktop")
CLI = os.environ.get("PIGEONHOLE_CLI", "target/release/pigeonhole")
ARTIFACTS = os.environ.get("E2E_ARTIFACTS", "/tmp")
WEBDRIVER_URL = os.environ.get("E2E_WEBDRIVER_URL", "http://127.0.0.1:4444")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings(port: int, engine: dict | None = None, ui: dict | None = None) -> dict:
    """A settings.json in the window's layout, `{"engine": {...}, "ui": {...}}`, listening
    on `port`, with the HTTP API on a port of its own choosing (port 0), so neither the
    tests nor a Mailpit on 8025 collide. Only the fields given are written: core fills in
    its own defaults for the rest, so no default is copied here."""
    return {
        "engine": {"smtp_addr": f"127.0.0.1:{port}", "http_addr": "127.0.0.1:0", **(engine or {})},
        "ui": dict(ui or {}),
    }


class App:
    """The running desktop app, its data dir and SMTP port."""

    def __init__(self, driver, data_dir: str, port: int):
        self.driver = driver
        self.data_dir = data_dir
        self.port = port

    def wait(self, timeout=15):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1)

    def find(self, testid: str):
        return self.driver.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def find_all(self, testid: str):
        return self.driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def wait_for(self, testid: str, timeout=15):
        return self.wait(timeout).until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]'))

    def rows(self):
        return self.find_all("message-row")

    def wait_rows(self, n: int, timeout=15):
        self.wait(timeout).until(lambda d: len(self.rows()) == n, f"expected {n} message rows")
        return self.rows()

    def settings_file(self) -> bytes:
        """The settings file as the app last wrote it."""
        with open(os.path.join(self.data_dir, "settings.json"), "rb") as f:
            return f.read()

    def stored(self) -> list:
        """What the store holds, read with the headless CLI (works while the app runs)."""
        out = subprocess.run([CLI, "list", "--data-dir", self.data_dir, "--json", "--limit", "1000"],
                             check=True, capture_output=True, text=True)
        return json.loads(out.stdout)


def launch(port: int, engine: dict | None = None) -> App:
    """Starts the app on a fresh data dir whose settings say to listen on `port` (and
    whatever else `engine` sets)."""
    data_dir = tempfile.mkdtemp(prefix="pigeonhole-e2e-")
    with open(os.path.join(data_dir, "settings.json"), "w") as f:
        json.dump(settings(port, engine), f)
    opts = ArgOptions()
    opts.set_capability("browserName", "wry")
    opts.set_capability("tauri:options", {"application": APP, "args": ["--data-dir", data_dir]})
    driver = webdriver.Remote(command_executor=WEBDRIVER_URL, options=opts)
    return App(driver, data_dir, port)


@pytest.fixture
def app(request):
    port = free_port()
    a = launch(port)
    driver = a.driver
    try:
        # Ready when the status pill says we are capturing on our port.
        a.wait(30).until(lambda d: str(port) in a.find("status-pill").get_attribute("textContent"), "listener never came up")
        yield a
    finally:
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            driver.save_screenshot(os.path.join(ARTIFACTS, f"{request.node.name}.png"))
        driver.quit()
        time.sleep(0.5)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
