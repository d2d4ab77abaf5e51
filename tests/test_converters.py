"""Converters: saved web pages and text files into stored text with dates, outlets and links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.pages import measure
from qa.chunking import chunk_article
from qa.converters import ArticleError, ArticleMeta, Limits, convert, display_date, parse_date
from qa.converters.meta import dated_line
from qa.documents import decode_article, load_articles, read_article

DATA = Path(__file__).resolve().parent / "data"
PAGES = DATA.parent.parent / "qa" / "devsets" / "pages"
EXPECTED = json.loads((DATA / "pages_expected.json").read_text(encoding="utf-8"))


def test_the_page_corpus_meets_the_bar():
    """Body text against the story as written, and the date each page states."""
    figures = measure(PAGES)
    assert figures["mean_f1"] >= 0.95, figures
    assert figures["date_found"] >= 0.95 and figures["date_right"] >= 0.95, figures
    assert figures["date_invented"] == 0  # an undated page gets no date
    assert figures["title_right"] == 1.0 and figures["outlet_right"] == 1.0


def test_a_page_gives_its_story_and_metadata_without_the_page_around_it():
    name = "p01_ledger_korvane_landslide.html"
    article = read_article(PAGES / name, name)
    gold = EXPECTED[name]
    assert article.meta == ArticleMeta(
        title=gold["title"], date="2025-10-15", author="Mira Tallis", outlet=gold["outlet"],
        url=gold["url"],
    )  # fmt: skip
    assert article.text.startswith(gold["title"] + "\n\n")
    for furniture in (
        "cookies",  # the banner
        "Share on Facebook",
        "Most read",
        "Related stories",
        "Ferry fares to rise",  # a related story's headline
        "All rights reserved",  # the footer
        "Advertisement",
        "Read more",
        "Sign up to get alerts",
        "Photo:",
        "gtag",  # an inline script
    ):
        assert furniture not in article.text, furniture


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_quotes_copied_by_offsets_are_the_stored_text(name: str):
    """What is cited is the extracted text: every chunk and sentence is a slice of it."""
    article = read_article(PAGES / name, name)
    again = decode_article((PAGES / name).read_bytes(), name)
    assert again == article  # extraction is deterministic: evaluation reads the same text
    for chunk in chunk_article(article, 400, 1):
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert chunk.meta == article.meta
    assert all(s.end <= len(article.text) for s in article.content)


def test_comments_under_a_story_stay_out():
    article = read_article(PAGES / "p08_gazette_brannock_wildfire.html", "p08.html")
    assert "firefighters are heroes" not in article.text and "Leave a reply" not in article.text
    assert "Like this" not in article.text and "Recent posts" not in article.text


def test_an_undated_page_gets_no_date_and_a_dated_line_dates_a_page_without_tags():
    assert read_article(PAGES / "p07_courier_halvik_dam_explainer.html", "p.html").meta.date is None
    library = read_article(PAGES / "p12_cawley_library_reopens.html", "p12.html")
    assert library.meta.date == "2026-03-04" and library.meta.author == "Pim Oster"


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("Published March 4, 2025", "2025-03-04"),
        ("First published on June 18, 2019", "2019-06-18"),
        ("date 2023-09-09", "2023-09-09"),
        ("Updated: 2024-01-05", "2024-01-05"),
        ("Posted Tuesday, 4 Mar. 2025", "2025-03-04"),
        ("Published: 2025/03/04 10:15", "2025-03-04"),
        ("By Lena Marsh, Coastline Herald | Published June 12, 2024, 6:15 a.m.", "2024-06-12"),
        ("By Devon Whitlock, Ashford Courier-Press | April 11, 2025", "2025-04-11"),
        ("By Jo Park | Sept. 4, 2024 · 5:30 PM EDT", "2024-09-04"),
        ("By Jo Park | Police said on March 4, 2025 that", None),  # a story's words
        ("The vote was on March 4, 2025.", None),  # a date in the story, not a dated line
        ("Updated 2024-13-45", None),  # no real day
        ("Dated maps were used.", None),
    ],
)
def test_dated_lines(line: str, date: str | None):
    assert dated_line(line) == date


def test_dates_read_and_shown():
    assert parse_date("2015-04-25T10:00:00+02:00") == "2015-04-25"
    assert parse_date("25 April 2015") == parse_date("Apr. 25th, 2015") == "2015-04-25"
    assert parse_date("no date") is None
    assert display_date("2015-04-25") == "25 Apr 2015" and display_date(None) == ""


def test_front_matter_gives_the_metadata_and_is_not_content():
    text = (
        '---\ntitle: "Dam gives way at Halvik"\ndate: 2025-11-03\nsource: The Halvik Herald\n'
        "url: https://halvikherald.example/dam\nauthor: Sune Marrow\nlayout: post\n---\n"
        "Halvik Dam breached\n\nThe dam gave way on Monday.\n"
    )
    article = decode_article(text.encode(), "dam.md")
    assert article.meta == ArticleMeta(
        "Dam gives way at Halvik", "2025-11-03", "Sune Marrow", "The Halvik Herald",
        "https://halvikherald.example/dam",
    )  # fmt: skip
    assert article.title == "Dam gives way at Halvik"
    assert article.text == text  # offsets are the file's own
    content = [article.text[s.start : s.end] for s in article.content]
    assert content == ["Halvik Dam breached", "The dam gave way on Monday."]


def test_a_text_file_without_front_matter_is_read_as_before_plus_its_dated_line():
    text = "# Festival opens\nPublished March 4, 2025\n\n---\n\nCrowds came.\n"
    article = decode_article(text.encode(), "f.md")
    assert article.title == "Festival opens" and article.meta.date == "2025-03-04"
    assert article.meta.outlet == "" and article.text == text
    plain = decode_article(b"Title\n\nThe story mentions March 4, 2025 later.\n", "p.txt")
    assert plain.meta.date is None


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_a_text_file_in_a_legacy_encoding_is_read(encoding: str, tmp_path: Path):
    text = "Café reopens in Köln\n\nThe café served crème brûlée to 40 guests on Monday.\n"
    (tmp_path / "cafe.txt").write_bytes(text.encode(encoding))
    articles, warnings = load_articles(tmp_path)
    assert warnings == [] and articles[0].text == text
    assert articles[0].title == "Café reopens in Köln"


def test_cyrillic_in_a_legacy_encoding_is_not_read_as_western():
    text = "Плотина прорвана\n\nЖители эвакуированы в понедельник. " * 3
    assert convert(text.encode("cp1251"), "ru.txt").text == text


def test_binary_is_still_refused_with_a_reason():
    with pytest.raises(ArticleError, match="looks binary"):
        convert(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "photo.txt")
    with pytest.raises(ArticleError, match="looks binary"):
        convert(bytes(range(256)) * 50, "photo.html")


GOOD = (PAGES / "p05_herald_halvik_dam_breach.html").read_bytes()
STORY = "<p>" + "The dam broke on Monday and the water rose through the valley. " * 10 + "</p>"
# Broken or hostile pages, each with what its message must say.
HOSTILE = {
    "no_body.html": (b"<html><head><title>Nothing here</title></head></html>", "no article text"),
    "scripts_only.html": (
        b"<html><body><script>var a = 1;</script><script>document.write('x')</script></body>"
        b"</html>",
        "no article text",
    ),
    "huge.html": (
        b"<html><body>" + b"<p>word word word</p>" * 1_000_000 + b"</body></html>",
        "limit",
    ),
    "deep.html": (
        (
            "<html><body>" + "<div>" * 100_000 + STORY + "</div>" * 100_000 + "</body></html>"
        ).encode(),
        "no article text",
    ),
    "binary.html": (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 40, "looks binary"),
    "empty.html": (b"", "no article text"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_broken_or_hostile_page_is_refused_with_a_clear_message(name: str):
    data, reason = HOSTILE[name]
    with pytest.raises(ArticleError, match=reason) as refused:
        convert(data, name)
    assert str(refused.value).startswith(f"{name}: ")


def test_a_page_over_the_limit_is_refused_unread(tmp_path: Path, monkeypatch):
    page = tmp_path / "huge.html"
    page.write_bytes(b" " * (6 * 2**20))
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a page over the limit"))
    with pytest.raises(ArticleError, match="over the 5 MB limit"):
        read_article(page, "huge.html")
    with pytest.raises(ArticleError, match="over the 1 MB limit"):
        read_article(page, "huge.html", Limits(page=2**20))


def test_a_wrong_declared_charset_does_not_garble_the_page():
    text = GOOD.decode().replace("Ostrel", "Östrel")
    for declared in ('charset="shift_jis"', 'charset="UTF-8"'):
        data = text.replace('charset="UTF-8"', declared).encode("cp1252")
        article = convert(data, "page.html")
        assert "villages of Östrel and Brinmouth" in article.text


def test_deep_nesting_within_the_parsers_limit_is_read():
    page = "<html><body>" + "<div>" * 200 + STORY + "</div>" * 200 + "</body></html>"
    assert "The dam broke on Monday" in convert(page.encode(), "nested.html").text
