import shutil
from pathlib import Path

from conftest import SEEDS

from qa.documents import FolderScanner, load_articles, read_article


def _content(article) -> str:
    return " ".join(article.text[s.start : s.end] for s in article.content)


def test_title_is_first_non_empty_line():
    article = read_article(SEEDS / "004_6412272d63db9382.txt", "004_6412272d63db9382.txt")
    assert article.title.startswith("Blinken meets Chinese VP")


def test_boilerplate_is_not_content_but_offsets_stay_in_original_text():
    article = read_article(SEEDS / "004_6412272d63db9382.txt", "004")
    content = _content(article)
    for junk in ("Your donation", "paywalls", "Your support makes all the difference"):
        assert junk not in content
    assert "Secretary of State Antony Blinken met Monday" in content
    assert "Your support" in article.text  # the file is untouched
    trailer = read_article(SEEDS / "001_98f127979d69c2d2.txt", "001")
    assert "Popular posts" not in _content(trailer)
    assert "Comments" not in _content(trailer)
    assert "Kamala Harris" not in _content(trailer)
    assert "balancing cooperation with competition" in _content(trailer)


def test_unreadable_binary_and_empty_files_are_skipped_with_a_warning(tmp_path: Path):
    (tmp_path / "good.txt").write_text("A title\nSomething happened in Malta.\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 100)
    (tmp_path / "empty.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    articles, warnings = load_articles(tmp_path)
    assert [a.source for a in articles] == ["good.txt"]
    joined = "\n".join(warnings)
    for name in ("binary.txt", "empty.txt", "broken.pdf: not a readable PDF"):
        assert name in joined
    assert "notes.docx" not in joined  # not an article's kind: not read at all


def test_all_seeds_load():
    articles, warnings = load_articles(SEEDS)
    assert len(articles) == 5 and warnings == []


def test_folder_scanner_sees_adds_and_removes_at_once_and_edits_on_a_full_scan(tmp_path):
    (tmp_path / "a.txt").write_text("A\n\nText.")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("B\n\nText.")
    (tmp_path / ".hidden.txt").write_text("H\n\nText.")
    (tmp_path / "notes.docx").write_bytes(b"PK")
    scanner = FolderScanner(tmp_path, full_every=3600)
    first = scanner.scan()
    assert sorted(first) == ["a.txt", "sub/b.md"]

    (tmp_path / "sub" / "deeper").mkdir()
    (tmp_path / "sub" / "deeper" / "c.txt").write_text("C\n\nText.")
    (tmp_path / "a.txt").unlink()
    assert sorted(scanner.scan()) == ["sub/b.md", "sub/deeper/c.txt"]

    path = tmp_path / "sub" / "b.md"
    path.write_text("B\n\nA longer text than before.")  # in place: its folder does not change
    assert scanner.scan()["sub/b.md"].st_size == first["sub/b.md"].st_size  # not yet
    assert scanner.scan(full=True)["sub/b.md"].st_size == path.stat().st_size

    shutil.rmtree(tmp_path / "sub")
    assert list(scanner.scan()) == []
