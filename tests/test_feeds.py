"""News feeds followed from a real local HTTP server: RSS 2.0 and Atom, relative links, a feed
that grows from three pages to five, an updated item, conditional requests, and the hostile
ones (a feed that is not XML, one of 10,000 items, an item whose page is 50 MB or never
answers), each reported while the rest are added."""

from __future__ import annotations

import dataclasses
import threading
import time
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qa import QA
from qa.__main__ import main
from qa.feeds import FeedList, annotate
from qa.library import ArticleRejected

TOWNS = ["Brask", "Halvik", "Ostby", "Lenmouth", "Sallow"]
DATES = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]


def page(n: int, toll: int = 4, dated: bool = True) -> bytes:
    """A news page; the undated ones lack a date and title of their own (the item gives them)."""
    town = TOWNS[n]
    head = (
        f'<title>Storm damage in {town}</title><meta property="og:title" '
        f'content="Storm damage in {town}"><meta property="article:published_time" '
        f'content="{DATES[n]}T08:00:00Z">'
        if dated
        else ""
    )
    story = "".join(
        f"<p>{s}</p>"
        for s in (
            f"A storm swept through {town} on Sunday night, tearing roofs from houses and "
            "bringing down power lines across the town.",
            f"The mayor of {town} said {toll} people had been injured and {10 * (n + 1)} homes "
            "were damaged.",
            "Repair crews worked through the night and most streets reopened by the afternoon.",
        )
    )
    return f"<html><head>{head}</head><body><article>{story}</article></body></html>".encode()


def rss(count: int, updated: bool = False) -> bytes:
    items = "".join(
        f"<item><title>Storm in {TOWNS[n]}</title><link>/news/{n}.html</link>"
        f"<guid>story-{n}</guid><pubDate>{format_datetime(_day(DATES[n]))}</pubDate></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Valley News</title>'
        f"<link>http://valley.example/</link>{items}</channel></rss>"
    ).encode()


def _day(iso: str):
    import datetime as dt

    return dt.datetime.fromisoformat(iso).replace(hour=9, tzinfo=dt.UTC)


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Coast Wire</title><id>urn:coast</id>
<updated>2026-03-06T10:00:00Z</updated>
<entry><title>Storm in Sallow</title><id>urn:coast:4</id><link href="/news/4u.html"/>
<updated>2026-03-06T10:00:00Z</updated></entry>
</feed>"""


class Site(BaseHTTPRequestHandler):
    """A news site whose feed grows, whose story gets updated, and whose hostile corners can be
    asked for."""

    count = 3  # items in /rss.xml
    toll = 4  # the injured in story 0
    conditional: list[str] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        path = self.path
        if path == "/rss.xml":
            self.conditional.append(self.headers.get("If-None-Match", ""))
            tag = f'"v{self.count}-{self.toll}"'
            if self.headers.get("If-None-Match") == tag:
                self._send(304, b"", "application/rss+xml", tag)
                return
            self._send(200, rss(self.count), "application/rss+xml", tag)
        elif path == "/atom.xml":
            self._send(200, ATOM, "application/atom+xml")
        elif path == "/notxml.xml":
            self._send(200, b"<html><body>not a feed</body></html>", "application/xml")
        elif path == "/big.xml":
            self._send(200, BIG, "application/rss+xml")
        elif path == "/hostile.xml":
            links = ["/news/huge.html", "/news/hang.html", "/news/1.html"]
            items = "".join(
                f"<item><title>T{i}</title><link>{x}</link></item>" for i, x in enumerate(links)
            )
            self._send(
                200,
                f'<rss version="2.0"><channel><title>H</title>{items}</channel></rss>'.encode(),
                "application/rss+xml",
            )
        elif path == "/news/huge.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()  # 50 MB, no length said: the limit stops the reading
            for _ in range(50):
                self.wfile.write(b"<p>" + b"x" * (1 << 20) + b"</p>")
        elif path == "/news/hang.html":
            time.sleep(5)
        elif path.startswith("/news/"):
            name = path.removeprefix("/news/").removesuffix(".html")
            if name == "4u":
                self._send(200, page(4, dated=False), "text/html")
            else:
                n = int(name)
                self._send(200, page(n, self.toll if n == 0 else 4, dated=n != 2), "text/html")
        else:
            self._send(404, b"", "text/html")

    def _send(self, code: int, body: bytes, kind: str, etag: str = "") -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


BIG = (
    '<rss version="2.0"><channel><title>Big</title>'
    + "".join(
        f"<item><title>Story {i}</title><link>/news/{i % 5}.html?i={i}</link>"
        f"<guid>big-{i}</guid></item>"
        for i in range(10_000)
    )
    + "</channel></rss>"
).encode()


@pytest.fixture
def site():
    handler = type("Handler", (Site,), {"count": 3, "toll": 4, "conditional": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def qa(tmp_path: Path, settings) -> QA:
    folder = tmp_path / "articles"
    folder.mkdir()
    fast = dataclasses.replace(settings, fetch_timeout=2.0, feed_max_items=3)
    return QA(folder, tmp_path / "index", fast)


def test_a_feed_of_three_pages_then_five_adds_each_once(site, qa: QA, tmp_path, capsys):
    url, handler = site
    argv = ["--articles", str(qa.settings.articles_dir), "--index", str(tmp_path / "index")]
    assert main([*argv, "add", f"{url}/rss.xml"]) == 0
    assert "following the feed" in capsys.readouterr().out
    folder = qa.settings.articles_dir
    assert len(list(folder.iterdir())) == 3
    handler.count = 5
    assert main([*argv, "feeds", "--poll"]) == 0
    out = capsys.readouterr().out
    assert "2 new pages" in out and "Valley News: 5 pages" in out
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 5 and len(set(names)) == 5
    assert main([*argv, "feeds", "--poll"]) == 0  # nothing new: the feed says so (304)
    assert "unchanged since the last poll" in capsys.readouterr().out
    assert handler.conditional[-1] == '"v5-4"' and len(list(folder.iterdir())) == 5
    dates = {a.title: a.date for a in qa.articles()}
    assert dates["Storm damage in Lenmouth"] == DATES[3] and dates["Storm damage in Sallow"]
    # Story 2's page has no title or date of its own: the item's are used.
    assert dates["Storm in Ostby"] == DATES[2]


def test_an_updated_item_is_kept_as_the_newer_report(site, qa: QA):
    url, handler = site
    qa.add_link(f"{url}/rss.xml")
    handler.toll = 9  # the story of Brask now says 9 injured
    (done,) = qa.feeds.poll()
    assert len(done.added) == 1
    brask = sorted((a for a in qa.articles() if "Brask" in a.title), key=lambda a: a.indexed_at)
    assert len(brask) == 2 and brask[0].date == DATES[0] and brask[1].date > DATES[0]
    texts = [(qa.settings.articles_dir / a.source).read_text() for a in brask]
    assert "said 4 people" in texts[0] and "said 9 people" in texts[1]


def test_atom_feeds_and_relative_links(site, qa: QA):
    url, _ = site
    done = qa.add_link(f"{url}/atom.xml")
    assert len(done.added) == 1
    (article,) = qa.articles()
    assert article.title == "Storm in Sallow" and article.date == "2026-03-06"
    assert article.url == f"{url}/news/4u.html"
    assert [f.title for f in qa.feeds.list()] == ["Coast Wire"]


def test_a_feed_that_is_not_xml_is_refused(site, qa: QA):
    url, _ = site
    with pytest.raises(ArticleRejected, match="not an RSS or Atom feed"):
        qa.add_link(f"{url}/notxml.xml")
    assert qa.feeds.list() == [] and not list(qa.settings.articles_dir.iterdir())


def test_a_feed_of_ten_thousand_items_adds_a_few_per_poll(site, qa: QA):
    url, _ = site
    started = time.monotonic()
    done = qa.add_link(f"{url}/big.xml")
    assert time.monotonic() - started < 60
    assert len(done.added) + len(done.skipped) >= 3  # at most feed_max_items new pages
    assert len(list(qa.settings.articles_dir.iterdir())) <= 3


def test_a_huge_page_and_one_that_never_answers_are_skipped_and_the_rest_added(site, qa: QA):
    url, _ = site
    done = qa.add_link(f"{url}/hostile.xml")
    assert [Path(s).stem for s in done.added] == ["t2"]
    said = " ".join(done.skipped)
    assert "huge.html: the page is more than" in said and "no answer within 2 seconds" in said
    (feed,) = qa.feeds.list()
    assert "huge.html" in feed.last_error
    assert qa.answer("What is the capital of Australia?").reason  # still answering


def test_removing_a_feed_keeps_its_articles_unless_asked(site, qa: QA):
    url, _ = site
    qa.add_link(f"{url}/rss.xml")
    qa.add_link(f"{url}/atom.xml")
    assert qa.feeds.remove(f"{url}/rss.xml") == []
    assert len(qa.articles()) == 4
    deleted = qa.feeds.remove(f"{url}/atom.xml", delete_articles=True)
    assert len(deleted) == 1 and len(qa.articles()) == 3
    with pytest.raises(ArticleRejected, match="not a followed feed"):
        qa.feeds.remove(f"{url}/atom.xml")


def test_the_feed_list_is_written_whole_and_a_damaged_one_is_said(tmp_path: Path):
    feeds = FeedList(tmp_path)
    feeds.update("u", lambda fs: fs.setdefault("u", __import__("qa.feeds").feeds.Feed("u")))
    assert list(feeds.load()) == ["u"] and not list(tmp_path.glob(".feeds.json.*"))
    feeds.path.write_text("{oops")
    with pytest.raises(ArticleRejected, match="list of feeds cannot be read"):
        feeds.load()


def test_an_annotated_page_gives_the_items_title_date_and_link_where_it_lacks_them():
    from qa.converters import convert

    bare = page(2, dated=False)
    converted = convert(
        annotate(bare, "Storm in Ostby", "2026-03-04", "http://v/2", None), "p.html"
    )
    assert converted.meta.title == "Storm in Ostby" and converted.meta.date == "2026-03-04"
    assert converted.meta.url == "http://v/2"
    own = convert(annotate(page(1), "Other", "2020-01-01", "http://v/1", None), "p.html")
    assert own.meta.title == "Storm damage in Halvik" and own.meta.date == DATES[1]
    newer = convert(annotate(page(1), "", None, "", "2026-03-09"), "p.html")
    assert newer.meta.date == "2026-03-09"


def test_the_articles_tab_follows_lists_polls_and_unfollows_feeds(site, qa: QA):
    from gradio_client import Client

    from benchmarks.load import free_port
    from qa.ui import build_app, launch

    url, handler = site
    app = build_app(qa)
    port = free_port()
    launch(app, qa, port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        said = client.predict(f"{url}/rss.xml", api_name="/add_link")[0]
        assert "Following the feed" in said and "3 new pages" in said
        handler.count = 4
        said, *_, feeds, _ = client.predict(api_name="/poll_feeds")
        assert "1 new page" in said
        assert feeds["data"][0][:3] == [f"{url}/rss.xml", "Valley News", 4]
        said, *_ = client.predict(f"{url}/rss.xml", False, api_name="/unfollow")
        assert "its articles are kept" in said and qa.feeds.list() == []
        assert len(qa.articles()) == 4
    finally:
        app.close()


def test_a_page_cannot_pass_itself_off_as_a_newer_report():
    from qa.converters import convert

    spoofed = b'<meta name="qa:feed-updated" content="2099-01-01">\n' + page(1)
    own = convert(b"<html>\n" + spoofed, "p.html")  # not in the block a feed writes first
    assert own.meta.date == DATES[1]
    first = b'<meta name="qa:feed-updated" content="2099-01-01">\n' + page(1)
    saved = annotate(first, "A title", "2026-03-03", "http://v/1", None)
    assert convert(saved, "p.html").meta.date == DATES[1]  # the feed's block came first
