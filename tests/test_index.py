"""The persistent index with the real embedder and real FAISS."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from qa.documents import load_articles
from qa.index import MANIFEST, ArticleIndex, IndexCorrupt, IndexWriteError
from qa.ingest import Ingest, signature
from qa.pipeline import QA
from qa.store import SyncReport


def _index(index_dir: Path, embedder, chunk_chars: int = 400, overlap: int = 1, **options):
    return ArticleIndex(index_dir, signature(embedder.model_name, chunk_chars, overlap), **options)


def _sync(index: ArticleIndex, embedder, articles, **options) -> SyncReport:
    return Ingest(embedder, 400, 1).sync(index, articles, **options)


def _sources_found(index: ArticleIndex, embedder, query: str) -> set[str]:
    hits = index.search(embedder.encode([query])[0], 50)
    return {index.chunk(i).source for i, _ in hits}


def test_build_persist_and_reload(articles_dir: Path, tmp_path: Path, embedder):
    articles, _ = load_articles(articles_dir)
    index = _index(tmp_path / "index", embedder)
    report = _sync(index, embedder, articles)
    assert len(report.added) == 5 and report.chunks_embedded == len(index) > 0
    reloaded = _index(tmp_path / "index", embedder)
    assert reloaded.load()
    assert list(reloaded.chunk_ids()) == list(index.chunk_ids())
    assert all(reloaded.chunk(i) == index.chunk(i) for i in index.chunk_ids())
    assert set(reloaded.articles) == set(index.articles)
    query = embedder.encode(["Sullivan and Wang talks in Malta"])[0]
    assert reloaded.search(query, 3) == index.search(query, 3)


def test_add_change_remove_reembeds_only_what_changed(articles_dir: Path, tmp_path: Path, embedder):
    index = _index(tmp_path / "index", embedder)
    _sync(index, embedder, load_articles(articles_dir)[0])
    (articles_dir / "new.txt").write_text(
        "Penguins elect a mayor\nThe penguin colony of Zanzibarra elected Pingu on Tuesday.\n",
        encoding="utf-8",
    )
    report = _sync(index, embedder, load_articles(articles_dir)[0])
    assert report.added == ["new.txt"] and report.chunks_embedded == 1
    assert "new.txt" in _sources_found(index, embedder, "Who did the penguins elect as mayor?")

    path = articles_dir / "003_aeeab2822e5e7b66.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nAn added closing line.\n", "utf-8")
    report = _sync(index, embedder, load_articles(articles_dir)[0])
    assert report.changed == ["003_aeeab2822e5e7b66.txt"] and not report.added
    assert report.chunks_embedded == len(index.articles["003_aeeab2822e5e7b66.txt"].chunk_ids)

    (articles_dir / "004_6412272d63db9382.txt").unlink()
    report = _sync(index, embedder, load_articles(articles_dir)[0])
    assert report.removed == ["004_6412272d63db9382.txt"] and report.chunks_embedded == 0
    assert "004_6412272d63db9382.txt" not in _sources_found(index, embedder, "Malta talks")
    reloaded = _index(tmp_path / "index", embedder)
    assert reloaded.load()
    assert all(reloaded.chunk(i).source != "004_6412272d63db9382.txt" for i in reloaded.chunk_ids())
    assert reloaded.dense.ntotal == len(reloaded)


def test_corrupted_index_is_detected_and_rebuilt(articles_dir: Path, tmp_path: Path, embedder):
    index_dir = tmp_path / "index"
    _sync(_index(index_dir, embedder), embedder, load_articles(articles_dir)[0])
    vectors = next(index_dir.glob("seg-*.vectors.npy"))
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
    assert _index(index_dir, embedder, s.chunk_chars, s.chunk_overlap_sentences).load()


def test_a_crash_while_saving_keeps_the_old_index(
    articles_dir: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
):
    index_dir = tmp_path / "index"
    _sync(_index(index_dir, embedder), embedder, load_articles(articles_dir)[0])
    before = (index_dir / MANIFEST).read_text(encoding="utf-8")
    (articles_dir / "004_6412272d63db9382.txt").unlink()

    def disk_full(*args, **kwargs):  # a fault we cannot cause for real in a unit test
        raise OSError(28, "No space left on device")

    index = _index(index_dir, embedder)
    assert index.load()
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(IndexWriteError, match="No space left on device. The previous index"):
        _sync(index, embedder, load_articles(articles_dir)[0])
    monkeypatch.undo()
    assert (index_dir / MANIFEST).read_text(encoding="utf-8") == before
    survivor = _index(index_dir, embedder)
    assert survivor.load() and "004_6412272d63db9382.txt" in survivor.articles
    assert "004_6412272d63db9382.txt" in index.articles  # memory was rolled back too
    assert not list(index_dir.glob(".*.tmp"))


@contextlib.contextmanager
def _unwritable(folder: Path) -> Iterator[None]:
    """Make `folder` refuse new files for real: chmod for a normal user; root ignores modes,
    so as root the folder is made immutable (chattr +i)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        undo = ["chmod", "755", str(folder)]
    elif subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        undo = ["chattr", "-i", str(folder)]
    else:
        pytest.skip("cannot make a folder unwritable here (root without chattr)")
    try:
        yield
    finally:
        subprocess.run(undo, check=True)


def test_unwritable_index_folder_gives_a_clear_error_and_keeps_answering(
    articles_dir: Path, tmp_path: Path, settings
):
    index_dir = tmp_path / "index"
    QA(articles_dir, index_dir, settings).refresh()
    before = (index_dir / MANIFEST).read_text(encoding="utf-8")
    (articles_dir / "new.txt").write_text("Harbour news\n\nThe ferry to Port Elwin is back.\n")
    qa = QA(articles_dir, index_dir, settings)
    with _unwritable(index_dir):
        with pytest.raises(IndexWriteError, match=f"Cannot save the index in {index_dir}"):
            qa.refresh()
        passages = qa.retrieve("Where did Jake Sullivan and Wang Yi hold talks?")
        assert passages and "previous index is kept" in qa.warnings[0]
    assert (index_dir / MANIFEST).read_text(encoding="utf-8") == before
    assert "new.txt" not in qa.index.articles and len(qa.index.articles) == 5
    qa.refresh()  # writable again: the waiting article goes in
    assert "new.txt" in qa.index.articles


def test_a_really_full_disk_keeps_the_old_index(articles_dir: Path, tmp_path: Path, settings):
    disk = tmp_path / "disk"
    disk.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True
        ).returncode
    ):
        pytest.skip("mounting a small tmpfs needs root")  # the fsync test above still runs
    try:
        index_dir = disk / "index"
        QA(articles_dir, index_dir, settings).refresh()
        before = (index_dir / MANIFEST).read_text(encoding="utf-8")
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        (articles_dir / "new.txt").write_text("Harbour news\n\nThe ferry to Port Elwin is back.\n")
        qa = QA(articles_dir, index_dir, settings)
        with pytest.raises(IndexWriteError, match="No space left on device"):
            qa.refresh()
        assert (index_dir / MANIFEST).read_text(encoding="utf-8") == before
        survivor = _index(index_dir, qa.embedder, settings.chunk_chars, 1)
        assert survivor.load() and "new.txt" not in survivor.articles
        assert not list(index_dir.glob(".*.tmp"))
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=True)  # files stay mapped


def test_settings_change_means_rebuild(articles_dir: Path, tmp_path: Path, embedder):
    _sync(_index(tmp_path / "index", embedder), embedder, load_articles(articles_dir)[0])
    other = _index(tmp_path / "index", embedder, chunk_chars=250, overlap=0)
    assert other.load() is False
    # The tokenizer, sentence splitter or chunker changed: the stored passages are stale too.
    made_by = signature(embedder.model_name, 400, 1)
    assert _index(tmp_path / "index", embedder).load()
    assert ArticleIndex(tmp_path / "index", {**made_by, "code": "0" * 16}).load() is False


def test_an_index_saved_by_the_version_before_metadata_is_rebuilt(
    articles_dir: Path, tmp_path: Path, settings
):
    """Rows without metadata and records without dates: stale, rebuilt, never misread."""
    import json

    qa = QA(articles_dir, tmp_path / "index", settings)
    qa.refresh()
    path = tmp_path / "index" / MANIFEST
    manifest = json.loads(path.read_text())
    for key in ("rows", "extractors"):
        del manifest["signature"][key]
    manifest["signature"]["code"] = "0" * 16
    for field in ("date", "outlet", "url", "author"):
        del manifest["articles"][field]
    path.write_text(json.dumps(manifest))
    again = QA(articles_dir, tmp_path / "index", settings)
    assert len(again.refresh().added) == 5  # rebuilt from the folder
    assert again.index.load() and len(again.index) == len(qa.index)


def _files(index_dir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in index_dir.iterdir()}


def test_adding_writes_one_segment_and_removing_rewrites_none(
    articles_dir: Path, tmp_path: Path, embedder
):
    index_dir = tmp_path / "index"
    index = _index(index_dir, embedder)
    _sync(index, embedder, load_articles(articles_dir)[0])
    before = _files(index_dir)
    (articles_dir / "new.txt").write_text("Penguins elect a mayor\nPingu won.\n", "utf-8")
    _sync(index, embedder, load_articles(articles_dir)[0])
    after = _files(index_dir)
    new = set(after) - set(before)
    assert len(index.segments) == 2 and len(new) == 3  # one segment: vectors, arrays, chunks
    assert all(after[n] == before[n] for n in before if n != MANIFEST)  # old files untouched

    (articles_dir / "000_2cbac0f5d2d1e101.txt").unlink()
    _sync(index, embedder, load_articles(articles_dir)[0])
    assert set(_files(index_dir)) == set(after)  # only the manifest changed
    removed = set(index.deleted)
    assert removed and not removed & set(index.chunk_ids())
    reloaded = _index(index_dir, embedder)
    assert reloaded.load() and reloaded.deleted == removed and len(reloaded) == len(index)
    hits = reloaded.search(embedder.encode(["Elon Musk TikTok ban"])[0], len(reloaded) + 10)
    assert len(hits) == len(reloaded) and not {i for i, _ in hits} & removed


def test_large_index_switches_to_ivf_and_back(articles_dir: Path, tmp_path: Path, embedder):
    articles, _ = load_articles(articles_dir)
    exact = _index(tmp_path / "exact", embedder)
    _sync(exact, embedder, articles)
    n = len(exact)
    index_dir = tmp_path / "ivf"
    ivf = _index(index_dir, embedder, ann_threshold=n - 5, nprobe=10_000)
    _sync(ivf, embedder, articles)
    assert exact.kind == "exact" and ivf.kind == "ivf" and len(ivf.segments) == 1
    query = embedder.encode(["Where did Sullivan meet Wang Yi?"])[0]
    # With every list probed, IVF search is exact.
    assert [i for i, _ in ivf.search(query, 5)] == [i for i, _ in exact.search(query, 5)]
    reopened = _index(index_dir, embedder, ann_threshold=n - 5, nprobe=10_000)
    assert reopened.load() and reopened.kind == "ivf"
    assert reopened.search(query, 5) == ivf.search(query, 5)

    _sync(reopened, embedder, articles[:1])  # far below the threshold: exact again, compacted
    assert reopened.kind == "exact" and len(reopened.segments) == 1 and not reopened.deleted
    assert {reopened.chunk(i).source for i in reopened.chunk_ids()} == {articles[0].source}
    assert not list(index_dir.glob("centroids-*"))


def test_an_ivf_index_emptied_then_refilled_still_searches(
    articles_dir: Path, tmp_path: Path, embedder
):
    articles, _ = load_articles(articles_dir)
    index = _index(tmp_path / "index", embedder, ann_threshold=20, nprobe=10_000)
    _sync(index, embedder, articles)
    assert index.kind == "ivf"
    _sync(index, embedder, [])  # every article removed: exact again, nothing left
    assert len(index) == 0 and index.kind == "exact" and not index.segments
    assert index.keyword_search(articles[0].title, 5) == []
    _sync(index, embedder, articles[:1])
    reopened = _index(tmp_path / "index", embedder, ann_threshold=20, nprobe=10_000)
    assert reopened.load()
    for store in (index, reopened):
        assert _sources_found(store, embedder, articles[0].title) == {articles[0].source}


def test_many_segments_are_merged(articles_dir: Path, tmp_path: Path, embedder):
    articles, _ = load_articles(articles_dir)
    index = _index(tmp_path / "index", embedder, max_segments=3)
    for upto in range(1, len(articles) + 1):
        _sync(index, embedder, articles[:upto])
    assert len(index.segments) <= 3
    everything = _index(tmp_path / "whole", embedder)
    _sync(everything, embedder, articles)
    query = embedder.encode(["TikTok ban"])[0]
    assert np.allclose(
        [s for _, s in index.search(query, 5)], [s for _, s in everything.search(query, 5)]
    )

    def spans(store):
        return sorted((c.source, c.start, c.end) for c in map(store.chunk, store.chunk_ids()))

    assert spans(index) == spans(everything)


def test_refresh_reads_only_files_that_changed(articles_dir: Path, tmp_path: Path):
    qa = QA(articles_dir, tmp_path / "index", progress=lambda _: None)
    qa.refresh()
    # Same size and timestamp, different bytes: only a forced refresh reads it again.
    path = articles_dir / "002_288f5675482de11b.txt"
    st = path.stat()
    path.write_bytes(b"X" * st.st_size)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    (articles_dir / "new.txt").write_text("Penguins elect a mayor\nPingu won.\n", "utf-8")
    report = qa.refresh()
    assert report.added == ["new.txt"] and not report.changed and not report.removed
    report = qa.refresh(force=True)
    assert report.changed == ["002_288f5675482de11b.txt"]


CHURN = """
import sys
from collections.abc import Iterator
from pathlib import Path

from qa.documents import load_articles, parse_article
from qa.embedding import Embedder
from qa.index import ArticleIndex
from qa.ingest import Ingest, signature
from qa.settings import Settings

s = Settings.from_env()
embedder = Embedder(s.embed_model)
embedder.warm_up()
made_by = signature(embedder.model_name, 400, 1)
index = ArticleIndex(Path(sys.argv[2]), made_by, ann_threshold=40, max_segments=3)
ingest = Ingest(embedder, 400, 1)
index.load()
seeds, _ = load_articles(Path(sys.argv[1]))
print("ready", flush=True)
for n in range(10_000):  # change one article per round: new segments, deletions, compactions
    articles = list(seeds)
    a = articles[n % len(articles)]
    articles[n % len(articles)] = parse_article(a.text + f"\\nRound {n}.", a.source)
    ingest.sync(index, articles[: 3 + n % 3], progress=lambda _: None)
"""


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.2, 1.1, 2.3, 3.7])
def test_sigkill_while_indexing_leaves_an_index_that_opens(
    articles_dir: Path, tmp_path: Path, embedder, delay: float
):
    index_dir = tmp_path / "index"
    _sync(_index(index_dir, embedder), embedder, load_articles(articles_dir)[0][:2])
    child = subprocess.Popen(
        [sys.executable, "-c", CHURN, str(articles_dir), str(index_dir)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert child.stdout.readline().strip() == b"ready"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()
    survivor = _index(index_dir, embedder)
    assert survivor.load()  # never IndexCorrupt: the old generation or the new one
    assert 2 <= len(survivor.articles) <= 5
    for chunk_id in survivor.chunk_ids():
        assert survivor.chunk(chunk_id).source in survivor.articles
    query = embedder.encode(["Sullivan and Wang talks"])[0]
    assert len(survivor.search(query, 5)) == min(5, len(survivor))
