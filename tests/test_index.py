"""The persistent index with the real embedder and real FAISS."""

from pathlib import Path

import faiss
import pytest

from qa.documents import load_articles
from qa.index import MANIFEST, ArticleIndex, IndexCorrupt
from qa.pipeline import QA


def _index(index_dir: Path, embedder) -> ArticleIndex:
    return ArticleIndex(index_dir, embedder, chunk_chars=400, overlap=1)


def _sources_found(index: ArticleIndex, embedder, query: str) -> set[str]:
    hits = index.search(embedder.encode([query])[0], 50)
    return {index.chunks[i].source for i, _ in hits}


def test_build_persist_and_reload(articles_dir: Path, tmp_path: Path, embedder):
    articles, _ = load_articles(articles_dir)
    index = _index(tmp_path / "index", embedder)
    report = index.sync(articles)
    assert len(report.added) == 5 and report.chunks_embedded == len(index) > 0
    reloaded = _index(tmp_path / "index", embedder)
    assert reloaded.load()
    assert reloaded.chunks == index.chunks
    assert set(reloaded.articles) == set(index.articles)
    query = embedder.encode(["Sullivan and Wang talks in Malta"])[0]
    assert reloaded.search(query, 3) == index.search(query, 3)


def test_add_change_remove_reembeds_only_what_changed(articles_dir: Path, tmp_path: Path, embedder):
    index = _index(tmp_path / "index", embedder)
    index.sync(load_articles(articles_dir)[0])
    (articles_dir / "new.txt").write_text(
        "Penguins elect a mayor\nThe penguin colony of Zanzibarra elected Pingu on Tuesday.\n",
        encoding="utf-8",
    )
    report = index.sync(load_articles(articles_dir)[0])
    assert report.added == ["new.txt"] and report.chunks_embedded == 1
    assert "new.txt" in _sources_found(index, embedder, "Who did the penguins elect as mayor?")

    path = articles_dir / "003_aeeab2822e5e7b66.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nAn added closing line.\n", "utf-8")
    report = index.sync(load_articles(articles_dir)[0])
    assert report.changed == ["003_aeeab2822e5e7b66.txt"] and not report.added
    assert report.chunks_embedded == len(index.articles["003_aeeab2822e5e7b66.txt"].chunk_ids)

    (articles_dir / "004_6412272d63db9382.txt").unlink()
    report = index.sync(load_articles(articles_dir)[0])
    assert report.removed == ["004_6412272d63db9382.txt"] and report.chunks_embedded == 0
    assert "004_6412272d63db9382.txt" not in _sources_found(index, embedder, "Malta talks")
    reloaded = _index(tmp_path / "index", embedder)
    assert reloaded.load()
    assert all(c.source != "004_6412272d63db9382.txt" for c in reloaded.chunks.values())
    assert reloaded._vectors.ntotal == len(reloaded.chunks)


def test_corrupted_index_is_detected_and_rebuilt(articles_dir: Path, tmp_path: Path, embedder):
    index_dir = tmp_path / "index"
    _index(index_dir, embedder).sync(load_articles(articles_dir)[0])
    vectors = next(index_dir.glob("vectors-*.faiss"))
    vectors.write_bytes(vectors.read_bytes()[: vectors.stat().st_size // 2])
    with pytest.raises(IndexCorrupt):
        _index(index_dir, embedder).load()
    (index_dir / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorrupt):
        _index(index_dir, embedder).load()

    qa = QA(articles_dir, index_dir, progress=lambda _: None)
    qa.refresh()
    assert len(qa.index.articles) == 5
    s = qa.settings
    assert ArticleIndex(index_dir, embedder, s.chunk_chars, s.chunk_overlap_sentences).load()


def test_a_crash_while_saving_keeps_the_old_index(
    articles_dir: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
):
    index_dir = tmp_path / "index"
    _index(index_dir, embedder).sync(load_articles(articles_dir)[0])
    before = (index_dir / MANIFEST).read_text(encoding="utf-8")
    (articles_dir / "004_6412272d63db9382.txt").unlink()

    def disk_full(*args, **kwargs):  # a fault we cannot cause for real in a unit test
        raise OSError(28, "No space left on device")

    index = _index(index_dir, embedder)
    assert index.load()
    monkeypatch.setattr(faiss, "write_index", disk_full)
    with pytest.raises(OSError):
        index.sync(load_articles(articles_dir)[0])
    monkeypatch.undo()
    assert (index_dir / MANIFEST).read_text(encoding="utf-8") == before
    survivor = _index(index_dir, embedder)
    assert survivor.load() and "004_6412272d63db9382.txt" in survivor.articles
    assert not list(index_dir.glob(".*.tmp"))


def test_settings_change_means_rebuild(articles_dir: Path, tmp_path: Path, embedder):
    _index(tmp_path / "index", embedder).sync(load_articles(articles_dir)[0])
    other = ArticleIndex(tmp_path / "index", embedder, chunk_chars=250, overlap=0)
    assert other.load() is False
