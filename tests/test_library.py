"""Adding and removing articles: hostile names and content are refused with a message."""

from pathlib import Path

import pytest

from qa import QA
from qa.converters import Limits
from qa.library import ArticleRejected, check_article, name_for_title, safe_name, save_article

PAGE = Path(__file__).parent.parent / "qa/devsets/pages/p11_tribune_telmar_lantern_festival.html"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../x.txt", "x.txt"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        ("/etc/cron.d/job.txt", "job.txt"),
        ("my report (final).TXT", "my-report-final.txt"),
        ("..hidden.txt", "hidden.txt"),
        ("Saved Page.HTML", "Saved-Page.html"),
        ("../story.htm", "story.htm"),
    ],
)
def test_names_are_reduced_to_plain_file_names(name: str, expected: str):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name", ["x.exe", "notes", "../.txt", "....md", ""])
def test_unusable_names_are_refused(name: str):
    with pytest.raises(ArticleRejected):
        safe_name(name)


def test_pasted_titles_become_file_names():
    assert name_for_title("Ports reopen after the storm!") == "ports-reopen-after-the-storm.txt"
    assert name_for_title("???") == "article.txt"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"   \n\n  ", "empty"),
        (b"Only a title", "no article text"),
        (b"  \n  Only a title  ", "no article text"),
        (b"T\n\n" + b"word " * 400_000, "limit"),
    ],
)
def test_bad_content_is_refused_with_a_reason(data: bytes, reason: str):
    with pytest.raises(ArticleRejected, match=reason):
        check_article("a.txt", data, max_bytes=1_000_000)


def test_a_taken_name_gets_a_number_and_nothing_is_overwritten(tmp_path: Path):
    assert save_article(tmp_path, "a.txt", b"first") == "a.txt"
    assert save_article(tmp_path, "a.txt", b"second") == "a-2.txt"
    assert (tmp_path / "a.txt").read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-2.txt", "a.txt"]  # no temp files


def test_add_and_remove_through_the_pipeline(articles_dir: Path, tmp_path: Path, settings):
    qa = QA(articles_dir, tmp_path / "index", settings)
    before = {a.source for a in qa.articles()}
    text = "Harbour festival draws record crowd\n\nThe festival in Port Elwin drew 41,000 people."
    added = qa.add_text("Harbour festival draws record crowd", text.split("\n\n")[1])
    assert added.source == "harbour-festival-draws-record-crowd.txt" and added.count >= 1
    assert (articles_dir / added.source).read_text().startswith("Harbour festival")
    assert qa.retrieve("How many people came to the Port Elwin festival?")[0].chunk.source == (
        added.source
    )

    with pytest.raises(ArticleRejected, match="already in the collection"):
        qa.add_article("copy.txt", (articles_dir / added.source).read_bytes())
    seed = sorted(before)[0]
    with pytest.raises(ArticleRejected, match="already in the collection"):
        qa.add_article("again.txt", (articles_dir / seed).read_bytes())
    with pytest.raises(ArticleRejected, match="binary"):
        qa.add_article("../../evil.txt", b"\x00\x01\x02binary")
    assert not (tmp_path / "evil.txt").exists() and not (articles_dir / "evil.txt").exists()

    qa.remove_article(added.source)
    assert {a.source for a in qa.articles()} == before
    assert not (articles_dir / added.source).exists()
    with pytest.raises(ArticleRejected, match="no such article"):
        qa.remove_article("../seeds/" + seed)


def test_a_page_is_allowed_the_larger_page_limit_and_checked_like_a_file():
    page = PAGE
    data = page.read_bytes()
    article = check_article("p.html", data, max_bytes=len(data) - 1, limits=Limits(page=len(data)))
    assert article.meta.outlet == "Port Telmar Tribune"
    with pytest.raises(ArticleRejected, match="over the"):
        check_article("p.html", data, max_bytes=10, limits=Limits(page=len(data) - 1))
    with pytest.raises(ArticleRejected, match="already in the collection"):
        check_article("p.html", data, 10**6, known_urls={article.meta.url})
    with pytest.raises(ArticleRejected, match="no article text"):
        check_article("p.html", b"<html><body><nav>Menu</nav></body></html>", 10**6)


def test_a_saved_article_is_readable_by_others_like_any_file(tmp_path: Path):
    save_article(tmp_path, "a.txt", b"text")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
