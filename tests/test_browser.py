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


def _browser(p):
    return p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def _ready(page, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator("#status")).to_contain_text("Ready", timeout=180_000)


def _ask(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.keyboard.press("Enter")


def _contrast(page, selector: str) -> float:
    """WCAG contrast ratio of an element's text colour on its background colour."""
    return page.evaluate(
        """(selector) => {
          const el = document.querySelector(selector);
          const style = getComputedStyle(el);
          const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
          const lum = ([r, g, b]) => {
            const f = (v) => {
              v /= 255;
              return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
            };
            return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
          };
          const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }""",
        selector,
    )


def test_ask_copy_type_ahead_add_remove_in_a_browser(app_url: str):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        context = browser.new_context(viewport={"width": 1200, "height": 1100})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url[:-1])
        page = context.new_page()
        _ready(page, app_url)
        chat = page.locator("#chat")
        box = page.locator("#question textarea")

        # An empty submit adds nothing to the chat.
        box.fill("   ")
        page.keyboard.press("Enter")
        page.wait_for_timeout(1500)
        expect(chat.locator(".message")).to_have_count(0)

        # Record whether a draft was ever shown as one while the answer streamed.
        page.evaluate(
            """() => { window.sawDraft = false; new MutationObserver(() => {
                if (document.querySelector("#chat .qa-draft")) window.sawDraft = true;
            }).observe(document.querySelector("#chat"), {subtree: true, childList: true}); }"""
        )
        _ask(page, "What share of global GDP do APEC economies account for?")
        expect(chat).to_contain_text("What share of global GDP", timeout=5_000)  # echoed at once
        box.press_sequentially("What happened next", delay=150)  # typed while it streams
        expect(chat.locator("mark").first).to_contain_text("62% of global GDP", timeout=120_000)
        expect(chat).to_contain_text("62% of global GDP")
        expect(chat.locator('a[href="#src-1-1"]')).to_have_text("[1]")
        expect(chat.locator("#src-1-1")).to_contain_text("003_aeeab2822e5e7b66.txt")
        expect(box).to_have_value("What happened next")
        assert page.evaluate("window.sawDraft")

        chat.locator(".qa-copy").first.click()
        expect(chat.locator(".qa-copy").first).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "62%" in copied.splitlines()[0] and "<" not in copied and "&#" not in copied
        assert "[1] " in copied and '(003_aeeab2822e5e7b66.txt): "' in copied

        page.get_by_role("tab", name="Articles").click()
        page.locator("#new-title textarea").fill("Harbour festival draws record crowd")
        page.locator("#new-text textarea").fill(
            "The harbour festival in Port Elwin drew 41,000 visitors on Saturday, organisers said."
        )
        page.locator("#add-text").click()
        source = "harbour-festival-draws-record-crowd.txt"
        expect(page.locator("#articles-message")).to_contain_text(f"Added {source}", timeout=60_000)
        expect(page.locator("#articles tbody tr").first).to_contain_text(source)  # newest first
        page.screenshot(path=ARTIFACTS / "browser-articles.png", full_page=True)

        page.get_by_role("tab", name="Chat").click()
        _ask(page, "How many visitors did the Port Elwin harbour festival draw?")
        expect(chat.locator("mark").last).to_contain_text("41,000 visitors", timeout=120_000)
        expect(chat.locator("#src-2-1")).to_contain_text(source)
        page.screenshot(path=ARTIFACTS / "browser-chat-light.png", full_page=True)

        # Remove asks first, naming the article by its title; Cancel keeps it.
        page.get_by_role("tab", name="Articles").click()
        picked = page.locator("#picked input")
        picked.click()
        page.get_by_role("option", name=f"Harbour festival draws record crowd ({source})").click()
        page.locator("#remove").click()
        expect(page.locator("#confirm-row")).to_be_visible()
        expect(page.locator("#articles-message")).to_contain_text("Remove 1 article?")
        expect(page.locator("#articles-message")).to_contain_text("Harbour festival draws")
        page.locator("#cancel-remove").click()
        expect(page.locator("#confirm-row")).to_be_hidden()
        expect(page.locator("#articles")).to_contain_text(source)
        page.locator("#remove").click()
        page.locator("#confirm-remove").click()
        expect(page.locator("#articles-message")).to_contain_text(f"Removed {source}")
        expect(page.locator("#articles")).not_to_contain_text(source)
        browser.close()


def test_abstention_dark_mode_and_a_narrow_window(app_url: str):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": 1200, "height": 1100})
        _ready(page, app_url + "?__theme=dark")
        chat = page.locator("#chat")
        _ask(page, "What is the capital of Australia?")  # no passage is about it
        expect(chat).to_contain_text("Nothing relevant found", timeout=60_000)
        summary = chat.locator("details summary").last
        expect(summary).to_contain_text("Passages checked")
        summary.click()
        expect(chat.locator("details .qa-source").first).to_be_visible()

        _ask(page, "What share of global GDP do APEC economies account for?")
        expect(chat.locator("mark").first).to_contain_text("62%", timeout=120_000)
        assert page.evaluate("document.body.classList.contains('dark')")
        assert _contrast(page, "#chat mark") >= 4.5
        page.screenshot(path=ARTIFACTS / "browser-chat-dark.png", full_page=True)
        header = page.locator("code").first
        expect(header).to_have_text("articles/")

        page.set_viewport_size({"width": 400, "height": 900})
        page.wait_for_timeout(500)
        question = page.locator("#question").bounding_box()
        ask = page.locator("#ask").bounding_box()
        assert question and ask and question["width"] > 2 * ask["width"]
        assert abs(question["y"] - ask["y"]) < ask["height"]  # side by side
        first_line = chat.locator(".message").last.bounding_box()
        assert first_line and first_line["x"] >= 0
        page.screenshot(path=ARTIFACTS / "browser-chat-400px.png", full_page=True)
        browser.close()


def test_a_queued_question_is_echoed_with_its_place(app_url: str):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = _browser(p)
        first, second = browser.new_page(), browser.new_page()
        _ready(first, app_url)
        _ready(second, app_url)
        _ask(first, "What did Elon Musk say about the TikTok ban?")
        expect(first.locator("#chat")).to_contain_text("Elon Musk", timeout=5_000)
        # A second question from the same page waits in its box, with a word why.
        _ask(first, "And what did Trump say?")
        expect(first.locator("body")).to_contain_text("One question at a time", timeout=5_000)
        expect(first.locator("#question textarea")).to_have_value("And what did Trump say?")
        _ask(second, "Where was Wang Yi while Blinken met Han Zheng?")
        chat = second.locator("#chat")
        expect(chat).to_contain_text("Where was Wang Yi", timeout=5_000)
        expect(chat).to_contain_text("1 question ahead of yours", timeout=5_000)
        expect(chat.locator(".qa-copy")).to_have_count(1, timeout=180_000)  # then answered
        expect(chat).not_to_contain_text("ahead of yours")
        expect(first.locator("#chat .qa-copy")).to_have_count(1)  # one question, one answer
        expect(first.locator("#chat")).not_to_contain_text("And what did Trump say?")
        browser.close()
