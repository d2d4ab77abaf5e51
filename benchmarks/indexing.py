"""Indexing cost: the pipeline against the bare model, and one article added to a large index.

    .venv/bin/python benchmarks/indexing.py [--chunks 1000] [--sizes 1000,100000] [--json OUT]

1. Throughput: `Ingest.sync` into the FAISS index over synthetic articles (chunking, embedding,
   term counts, writing the segment) against `SentenceTransformer.encode` on the same chunk texts
   with the same batch size, in the same process, alternating so both see the same machine state.
2. Incremental: a folder of synthetic article files indexed to about N chunks (their vectors from
   benchmarks/synthetic.py), then `QA.refresh(full=False)` (what runs before each question)
   after adding one real article file (embedded by the real model) and after removing one, each
   timed; then the first search after the change, and a full re-stat of every file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import CorpusEmbedder, corpus  # noqa: E402
from qa import QA, machine  # noqa: E402
from qa.chunking import chunk_article  # noqa: E402
from qa.embedding import Embedder  # noqa: E402
from qa.ingest import Ingest  # noqa: E402
from qa.settings import ROOT, Settings  # noqa: E402
from qa.stores import open_store  # noqa: E402

SEEDS = ROOT / "seeds"


def _faiss(s: Settings, index_dir: Path) -> Settings:
    return dataclasses.replace(s, index_dir=index_dir, store="")


def throughput(n_chunks: int, s: Settings, rounds: int = 2) -> dict[str, float]:
    articles, _ = corpus(n_chunks, s, seed=1)
    texts = [
        c.text for a in articles for c in chunk_article(a, s.chunk_chars, s.chunk_overlap_sentences)
    ]
    embedder = Embedder(s.embed_model)
    embedder.encode(texts[:64])  # load and warm the model outside the timings
    raw, pipeline = [], []
    ingest = Ingest(embedder, s.chunk_chars, s.chunk_overlap_sentences)
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            start = time.perf_counter()
            embedder._model.encode(texts, batch_size=64, normalize_embeddings=True)
            raw.append(time.perf_counter() - start)
            index = open_store(_faiss(s, Path(tmp) / f"index-{r}"), embedder)
            start = time.perf_counter()
            ingest.sync(index, articles, progress=lambda _: None)
            pipeline.append(time.perf_counter() - start)
    raw_rate, pipeline_rate = len(texts) / min(raw), len(texts) / min(pipeline)
    return {
        "chunks": len(texts),
        "raw_chunks_per_s": raw_rate,
        "pipeline_chunks_per_s": pipeline_rate,
        "ratio": pipeline_rate / raw_rate,
    }


def incremental(size: int, s: Settings, repeats: int = 3) -> dict[str, float]:
    """Median seconds to add one article, remove one, and search right after, at `size` chunks."""
    articles, vectors = corpus(size, s, seed=2)
    new_articles = sorted(SEEDS.glob("*.txt"))[:repeats]
    with tempfile.TemporaryDirectory() as tmp:
        folder, index_dir = Path(tmp) / "articles", Path(tmp) / "index"
        stats = {}
        for a in articles:
            path = folder / a.source
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(a.text, encoding="utf-8")
            stats[a.source] = path.stat()
        embedder = CorpusEmbedder(s, vectors)
        base = open_store(_faiss(s, index_dir), embedder)
        ingest = Ingest(embedder, s.chunk_chars, s.chunk_overlap_sentences)
        ingest.sync(base, articles, stats, progress=lambda _: None)
        del articles, vectors, base, embedder, ingest
        qa = QA(folder, index_dir, s, progress=lambda _: None)
        qa.retrieve("warm up")
        chunks = len(qa.index)
        add, search_after, remove = [], [], []
        for i, seed in enumerate(new_articles):
            (folder / f"new-{i}.txt").write_bytes(seed.read_bytes())
            start = time.perf_counter()
            report = qa.refresh(full=False)  # as before each question
            add.append(time.perf_counter() - start)
            assert report.added == [f"new-{i}.txt"], report
            start = time.perf_counter()
            qa.retrieve("Where did Jake Sullivan and Wang Yi hold talks?")
            search_after.append(time.perf_counter() - start)
        for i in range(repeats):
            (folder / f"new-{i}.txt").unlink()
            files_before = {p.name for p in index_dir.iterdir()}
            start = time.perf_counter()
            qa.refresh(full=False)
            remove.append(time.perf_counter() - start)
            assert {p.name for p in index_dir.iterdir()} == files_before  # no segment rewritten
        start = time.perf_counter()
        assert not qa.refresh().touched  # stat every file again: what finds edits in place
        full_scan = time.perf_counter() - start
    return {
        "chunks": chunks,
        "add_s": statistics.median(add),
        "remove_s": statistics.median(remove),
        "search_after_s": statistics.median(search_after),
        "full_rescan_s": full_scan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(machine.describe(), flush=True)
    s = Settings.from_env()
    result: dict[str, object] = {"throughput": throughput(args.chunks, s)}
    t = result["throughput"]
    print(
        f"throughput over {t['chunks']} chunks: model {t['raw_chunks_per_s']:.1f}/s, "
        f"pipeline {t['pipeline_chunks_per_s']:.1f}/s, ratio {t['ratio']:.3f}",
        flush=True,
    )
    rows = [incremental(int(n), s) for n in args.sizes.split(",")]
    result["incremental"] = rows
    print("| index chunks | add one article | remove one | first search after | full re-stat |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['chunks']:,} | {r['add_s']:.2f} s | {r['remove_s'] * 1000:.0f} ms "
            f"| {r['search_after_s'] * 1000:.0f} ms | {r['full_rescan_s'] * 1000:.0f} ms |"
        )
    ratio = rows[-1]["add_s"] / rows[0]["add_s"]
    result["add_ratio_largest_to_smallest"] = ratio
    print(f"add ratio {rows[-1]['chunks']:,} / {rows[0]['chunks']:,} chunks: {ratio:.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
