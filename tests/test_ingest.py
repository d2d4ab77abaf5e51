"""Change detection and the passage signature (the stores' side is in test_index/test_store)."""

import dataclasses
import importlib.util
import os
from pathlib import Path

import pytest
from test_converters import HOSTILE, PAGES

from qa import QA
from qa.documents import load_articles
from qa.ingest import _code, plan, record, signature


def test_plan_tells_added_changed_removed_and_restamped(articles_dir: Path):
    articles, _ = load_articles(articles_dir)
    stats = {a.source: (articles_dir / a.source).stat() for a in articles}
    indexed = {a.source: record(a, 10 * n, 3, stats) for n, a in enumerate(articles)}
    first, second, third, fourth = (a.source for a in articles[:4])
    indexed[first].sha256 = "0" * 64  # its text changed since it was indexed
    touched = articles_dir / second
    os.utime(touched, ns=(0, stats[second].st_mtime_ns + 10**9))  # same text, new time
    stats[second] = touched.stat()
    wanted = {a.source: a for a in articles if a.source not in (third, fourth)}
    wanted["new.txt"] = dataclasses.replace(articles[0], source="new.txt")

    report, restamped = plan(indexed, wanted, stats, unchanged={fourth})
    assert report.added == ["new.txt"] and report.changed == [first]
    assert report.removed == [third]  # the fourth was not read, not removed
    assert [r.source for r in restamped] == [second]
    assert restamped[0].mtime_ns == stats[second].st_mtime_ns
    assert indexed[second].mtime_ns != stats[second].st_mtime_ns  # the store's record untouched


def test_signature_names_what_passages_depend_on():
    base = signature("packaged:all-MiniLM-L6-v2", 600, 1)
    assert base == signature("packaged:all-MiniLM-L6-v2", 600, 1)
    assert base != signature("packaged:all-MiniLM-L6-v2", 400, 1)
    assert base != signature("other-model", 600, 1)
    assert len(str(base["code"])) == 16  # a digest of the code that makes passages


def test_code_digest_ignores_line_endings(tmp_path: Path):
    """A checkout with Windows line ends keeps the index a wheel install built."""
    modules = []
    for name, newline in (("unix_module", b"\n"), ("windows_module", b"\r\n")):
        path = tmp_path / f"{name}.py"
        path.write_bytes(newline.join([b"def f():", b"    return 1", b""]))
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    assert _code(modules[0]) == _code(modules[1]) == b"def f():\n    return 1\n"


def test_hostile_pages_are_reported_one_by_one_and_the_good_ones_indexed(tmp_path: Path, settings):
    folder = tmp_path / "articles"
    folder.mkdir()
    good = sorted(PAGES.iterdir())[:3]
    for page in good:
        (folder / page.name).write_bytes(page.read_bytes())
    for name, (data, _) in HOSTILE.items():
        (folder / name).write_bytes(data)
    (folder / "wrong-charset.html").write_bytes(
        good[0].read_text(encoding="utf-8").replace('charset="utf-8"', 'charset="koi8-r"').encode()
    )
    qa = QA(folder, tmp_path / "index", settings)
    report = qa.refresh()
    assert sorted(report.added) == sorted([p.name for p in good] + ["wrong-charset.html"])
    assert len(qa.warnings) == len(HOSTILE)
    for name, (_, reason) in HOSTILE.items():
        assert any(w.startswith(f"Skipped {name}: ") and reason in w for w in qa.warnings), name
    record = qa.index.articles[good[0].name]
    assert record.outlet == "The Ardmoor Ledger" and record.date == "2025-10-15"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [p.name for p in good] + list(HOSTILE) + ["wrong-charset.html"]
    )  # nothing written beside them
    assert {p.name for p in tmp_path.iterdir()} == {"articles", "index"}


@pytest.mark.parametrize("key", ["rows", "extractors"])
def test_the_signature_names_the_row_layout_and_the_extractors(key: str):
    assert key in signature("m", 600, 1)
