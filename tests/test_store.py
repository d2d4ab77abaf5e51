"""Both passage stores, the FAISS index and Milvus (on Milvus Lite), behave the same."""

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from qa import QA
from qa.library import ArticleRejected

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["faiss", "milvus"]


def _settings(settings, backend: str, tmp_path: Path):
    store = str(tmp_path / "milvus.db") if backend == "milvus" else ""
    return dataclasses.replace(settings, store=store, index_dir=tmp_path / "index")


@pytest.fixture(params=BACKENDS)
def store_qa(request, settings, articles_dir: Path, tmp_path: Path) -> QA:
    """A pipeline over a private copy of the seeds, on one store or the other."""
    if request.param == "milvus":
        pytest.importorskip("pymilvus")
    return QA(articles_dir, settings=_settings(settings, request.param, tmp_path))


def test_sync_search_and_keyword_search(store_qa: QA):
    report = store_qa.refresh()
    assert len(report.added) == 5 and len(store_qa.index) == report.chunks_embedded > 0
    store = store_qa.index
    query = store_qa.embedder.encode(["Where did Jake Sullivan and Wang Yi hold talks?"])[0]
    best, score = store.search(query, 5)[0]
    assert store.chunk(best).source == "004_6412272d63db9382.txt"
    assert np.isclose(float(store.vector(best) @ query), score, atol=1e-4)
    chunk = store.chunk(best)
    article = (store_qa.settings.articles_dir / chunk.source).read_text(encoding="utf-8")
    assert article[chunk.start : chunk.end] == chunk.text  # offsets survive the store
    hits = store.keyword_search("Sergey Lavrov", 5)
    assert hits and store.chunk(hits[0][0]).source == "004_6412272d63db9382.txt"
    assert hits[0][2] == 2  # both terms matched


def test_article_metadata_is_stored_and_reaches_the_citations(request, settings, tmp_path: Path):
    """A saved page's date, outlet and address, kept by each store with its passages."""
    from qa.grounding import GroundedSentence, cite, evidence_sentences

    pages = Path(__file__).resolve().parent.parent / "qa" / "devsets" / "pages"
    for backend in BACKENDS:
        if backend == "milvus" and not _has_milvus():
            continue
        folder = tmp_path / backend / "articles"
        folder.mkdir(parents=True)
        for name in ("p02_post_korvane_toll_rises.html", "p07_courier_halvik_dam_explainer.html"):
            (folder / name).write_bytes((pages / name).read_bytes())
        qa = QA(folder, settings=_settings(settings, backend, tmp_path / backend))
        qa.refresh()
        again = QA(folder, settings=qa.settings)  # reopened: read back from the store
        assert not again.refresh().touched
        record = again.index.articles["p02_post_korvane_toll_rises.html"]
        assert (record.date, record.outlet) == ("2025-10-16", "Vessel Bay Post")
        assert (
            record.url
            == "https://www.vesselbaypost.example/world/2025/korvane-landslide-toll-rises-to-19"
        )
        assert again.index.articles["p07_courier_halvik_dam_explainer.html"].date is None
        passages = again.retrieve("How many people died in the Korvane landslide?")
        top = next(p for p in passages if p.chunk.source.startswith("p02"))
        assert top.chunk.meta.outlet == "Vessel Bay Post" and top.chunk.meta.date == "2025-10-16"
        evidence = next(e for e in evidence_sentences(passages) if e.source.startswith("p02"))
        _, (citation,) = cite([GroundedSentence("Nineteen died.", evidence, 1.0)], 0.5)
        assert (citation.date, citation.outlet) == ("2025-10-16", "Vessel Bay Post")
        assert citation.url == record.url
        text = (folder / citation.source).read_bytes()
        from qa.documents import decode_article

        stored = decode_article(text, citation.source).text
        assert stored[citation.start : citation.end] == citation.quote


def _has_milvus() -> bool:
    import importlib.util

    return importlib.util.find_spec("pymilvus") is not None


def test_add_change_remove_and_reopen(store_qa: QA):
    store_qa.refresh()
    folder = store_qa.settings.articles_dir
    (folder / "penguins.txt").write_text(
        "Penguin colony elects mayor\nThe penguin colony of Zanzibarra elected Pingu mayor.\n"
    )
    changed = folder / "003_aeeab2822e5e7b66.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA closing line.\n")
    (folder / "004_6412272d63db9382.txt").unlink()
    report = store_qa.refresh()
    assert report.added == ["penguins.txt"] and report.changed == ["003_aeeab2822e5e7b66.txt"]
    assert report.removed == ["004_6412272d63db9382.txt"]
    sources = {p.chunk.source for p in store_qa.retrieve("Sergey Lavrov in Moscow with Wang Yi")}
    assert "004_6412272d63db9382.txt" not in sources
    assert store_qa.retrieve("Zanzibarra mayor")[0].chunk.source == "penguins.txt"

    again = QA(folder, settings=store_qa.settings)
    assert not again.refresh().touched  # reopened: nothing to redo
    assert again.index.articles.keys() == store_qa.index.articles.keys()
    assert len(again.index) == len(store_qa.index)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_answers_with_citations_on_both_stores(backend, settings, tmp_path: Path):
    if backend == "milvus":
        pytest.importorskip("pymilvus")
    qa = QA(ROOT / "seeds", settings=_settings(settings, backend, tmp_path))
    result = qa.answer("What share of global GDP do APEC economies account for?")
    assert "62" in result.text and result.citations
    article = (ROOT / "seeds" / result.citations[0].source).read_text(encoding="utf-8")
    c = result.citations[0]
    assert article[c.start : c.end] == c.quote
    assert qa.answer("What is the capital of Australia?").abstained


@pytest.mark.slow
def test_milvus_fill_resumes_after_a_kill_without_duplicates(tmp_path: Path, articles_dir: Path):
    """`python -m qa index --store` killed midway, then run again: every passage once."""
    pytest.importorskip("pymilvus")
    for n in range(40):  # enough articles that the kill lands in the middle
        (articles_dir / f"extra-{n:02d}.txt").write_text(
            f"Harbour report {n}\n\nThe ferry number {n} to Port Elwin carried {n * 37} people "
            f"on day {n}. Officials counted them twice.\n"
        )
    db = tmp_path / "fill.db"
    command = [sys.executable, "-m", "qa", "index", str(articles_dir), "--store", str(db)]
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "unused"), "QA_STORE_BATCH": "8"}
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    for line in first.stdout:  # wait until it is really writing, then kill it
        if "Indexed" in line:
            break
    os.kill(first.pid, signal.SIGKILL)
    done_then, todo = map(int, line.split()[1].split("/"))
    assert done_then < todo  # killed in the middle
    first.wait()
    time.sleep(0.5)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    from pymilvus import MilvusClient

    from qa.settings import Settings

    settings = Settings.from_env(store=str(db))
    qa = QA(articles_dir, settings=settings)
    assert not qa.refresh().touched
    passages = qa.index._names[0]
    rows = MilvusClient(str(db)).query(passages, filter="id >= 0", output_fields=["id"])
    ids = sorted(r["id"] for r in rows)
    assert ids == list(range(len(qa.index)))  # every passage exactly once, no orphans


def test_a_second_server_follows_a_shared_store_without_changing_it(store_qa: QA, tmp_path):
    store_qa.refresh()
    reader_settings = dataclasses.replace(store_qa.settings, watch_folder=False)
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    reader = QA(empty, settings=reader_settings)  # its own folder is empty: never synced
    assert len(reader.articles()) == 5
    (store_qa.settings.articles_dir / "penguins.txt").write_text(
        "Penguin colony elects mayor\nThe penguin colony of Zanzibarra elected Pingu mayor.\n"
    )
    store_qa.refresh()
    reader.refresh(force=True)
    assert reader.retrieve("Zanzibarra mayor")[0].chunk.source == "penguins.txt"
    with pytest.raises(ArticleRejected, match="shared store"):
        reader.add_text("Title", "Some text for the article.")
