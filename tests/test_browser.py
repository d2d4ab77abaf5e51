"""The chat in a real browser: `ui.py` started on a free port, driven by Playwright in headless
Chromium (Debian's `chromium` package, which `.ci/run` installs)."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from benchmarks.load import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("QA_TEST_ARTIFACTS", ROOT / "tests" / "artifacts"))
# Flags for a headless Chromium as root on a machine with no outside network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> str:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("browser")
    shutil.copytree(ROOT / "seeds", folder / "articles")
    port = free_port()
    log = open(folder / "ui.log", "w")  # noqa: SIM115 (closed below, after the server)
    server = subprocess.Popen(
        [sys.executable, "ui.py", "--no-browser", "--port", str(port)]
        + ["--articles", str(folder / "articles"), "--index", str(folder / "index")],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("ui.py did not start:\n" + (folder / "ui.log").read_text())
            time.sleep(0.5)
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()


def test_ask_add_an_article_and_ask_about_it_in_a_browser(app_url: str):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1100})
        page.goto(app_url)
        expect(page.locator("#status")).to_contain_text("Ready", timeout=180_000)
        chat = page.locator("#chat")

        page.locator("#question textarea").fill("Where did Jake Sullivan and Wang Yi hold talks?")
        page.keyboard.press("Enter")
        expect(chat.locator("mark").first).to_contain_text(
            "Jake Sullivan in Malta", timeout=120_000
        )
        expect(chat).to_contain_text("held talks in Malta")
        expect(chat.locator('a[href="#src-1-1"]')).to_have_text("[1]")
        expect(chat.locator("#src-1-1")).to_contain_text("004_6412272d63db9382.txt")

        page.get_by_role("tab", name="Articles").click()
        page.locator("#new-title textarea").fill("Harbour festival draws record crowd")
        page.locator("#new-text textarea").fill(
            "The harbour festival in Port Elwin drew 41,000 visitors on Saturday, organisers said."
        )
        page.locator("#add-text").click()
        source = "harbour-festival-draws-record-crowd.txt"
        expect(page.locator("#articles-message")).to_contain_text(f"Added {source}", timeout=60_000)
        expect(page.locator("#articles")).to_contain_text(source)
        page.screenshot(path=ARTIFACTS / "browser-articles.png", full_page=True)

        page.get_by_role("tab", name="Chat").click()
        page.locator("#question textarea").fill(
            "How many visitors did the Port Elwin harbour festival draw?"
        )
        page.keyboard.press("Enter")
        expect(chat.locator("mark").last).to_contain_text("41,000 visitors", timeout=120_000)
        expect(chat.locator("#src-2-1")).to_contain_text(source)
        page.screenshot(path=ARTIFACTS / "browser-chat.png", full_page=True)
        browser.close()
