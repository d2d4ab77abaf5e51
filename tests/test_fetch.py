"""Adding by link: pages fetched from a real local HTTP server, local files copied in."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qa import QA
from qa.__main__ import main
from qa.converters import Limits
from qa.fetch import fetch_page, page_name
from qa.library import ArticleRejected

PAGES = Path(__file__).resolve().parent.parent / "qa" / "devsets" / "pages"
STORY = (PAGES / "p05_herald_halvik_dam_breach.html").read_bytes()
LIMIT = 64 * 1024
LIMITS = Limits(page=LIMIT, pdf=LIMIT)


class Handler(BaseHTTPRequestHandler):
    """Each path is one way a page can be had, or not."""

    def do_GET(self):  # noqa: N802 - the standard library's name
        if self.path == "/slow":
            time.sleep(3)
        routes = {
            "/news/halvik-dam-breached.html": (200, "text/html; charset=utf-8", STORY),
            "/slow": (200, "text/html", STORY),
            "/report.pdf": (200, "application/pdf", b"%PDF-1.7"),
            "/photo.png": (200, "image/png", b"\x89PNG"),
            "/big": (200, "text/html", b"<html><body>" + b"<p>word</p>" * LIMIT),
            "/gone": (404, "text/html", b"<h1>Not found</h1>"),
            "/to-file": (302, "text/html", b""),
        }
        code, kind, body = routes.get(self.path, (500, "text/plain", b"oops"))
        self.send_response(code)
        self.send_header("Content-Type", kind)
        if self.path == "/to-file":
            self.send_header("Location", "ftp://127.0.0.1/story.html")
        if self.path != "/big":  # no length said: the limit is kept while reading
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_page_is_fetched(server):
    page = fetch_page(f"{server}/news/halvik-dam-breached.html", LIMITS, 5)
    assert page.data == STORY and page.kind == "html" and page.url.endswith("breached.html")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/photo.png", "not a web page or a PDF (the server sent image/png)"),
        ("/big", "over the 0.0625 MB limit for pages"),
        ("/gone", "the server answered 404"),
        ("/slow", "no answer within 1 seconds"),
        ("/to-file", "which is not a web page"),
    ],
)
def test_failures_are_said_plainly(server, path: str, reason: str):
    with pytest.raises(ArticleRejected, match=reason.replace("(", r"\(").replace(")", r"\)")):
        fetch_page(f"{server}{path}", LIMITS, 1)


def test_no_connection_is_said_plainly():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ArticleRejected, match="cannot connect to 127.0.0.1"):
        fetch_page(f"http://127.0.0.1:{port}/", LIMITS, 2)
    with pytest.raises(ArticleRejected, match="only http:// and https://"):
        fetch_page("ftp://example.invalid/x.html", LIMITS, 2)


def test_page_names():
    assert page_name("https://a.example/news/2025/dam-breach") == "dam-breach.html"
    assert page_name("https://a.example/news/dam.php?id=3") == "dam.html"
    assert page_name("https://a.example/") == "a.example.html"
    assert page_name("https://a.example/x/index.html") == "a.example.html"
    assert page_name("https://a.example/files/report.pdf", "pdf") == "report.pdf"


def test_add_by_link_and_by_path_through_the_pipeline_and_the_cli(
    server, tmp_path: Path, settings, capsys
):
    folder = tmp_path / "articles"
    folder.mkdir()
    qa = QA(folder, tmp_path / "index", settings)
    added = qa.add_link(f"{server}/news/halvik-dam-breached.html")
    assert added.source == "halvik-dam-breached.html" and added.outlet == "The Halvik Herald"
    assert added.date == "2025-11-03" and (folder / added.source).read_bytes() == STORY
    with pytest.raises(ArticleRejected, match="already in the collection"):
        qa.add_link(f"{server}/news/halvik-dam-breached.html")
    with pytest.raises(ArticleRejected, match="report.pdf: not a readable PDF"):
        qa.add_link(f"{server}/report.pdf")
    with pytest.raises(ArticleRejected, match="not a web page or a PDF"):
        qa.add_link(f"{server}/photo.png")
    with pytest.raises(ArticleRejected, match="no such file"):
        qa.add_link(str(tmp_path / "missing.html"))
    assert sorted(p.name for p in folder.iterdir()) == ["halvik-dam-breached.html"]

    local = PAGES / "p08_gazette_brannock_wildfire.html"
    argv = ["--articles", str(folder), "--index", str(tmp_path / "index"), "add"]
    assert main([*argv, str(local), f"{server}/gone"]) == 1
    out, err = capsys.readouterr()
    assert "added p08_gazette_brannock_wildfire.html" in out and "The Brannock Gazette" in out
    assert "21 Jul 2026" in out and "404" in err
    assert (folder / local.name).read_bytes() == local.read_bytes()
