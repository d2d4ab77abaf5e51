"""Search at scale: the saved index at 10k, 100k and 1M chunks of a synthetic corpus.

    .venv/bin/python benchmarks/search.py [--sizes 10000,100000,1000000] [--json OUT.json]

For each size, in its own process (so peak memory is that size's own): builds the FAISS index
through `Ingest.sync` once (cached under the cache folder; `--rebuild` to redo it), then reports
the index kind, reopening time, disk size, dense search p50/p95 and recall@10 against exact
search over the same vectors, keyword (BM25) and fused-retriever p50/p95, and peak memory.
Queries are the development questions, embedded by the real model once, before timing; the
corpus vectors come from benchmarks/synthetic.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import CorpusEmbedder, corpus  # noqa: E402
from qa import machine  # noqa: E402
from qa.index import ArticleIndex  # noqa: E402
from qa.ingest import Ingest  # noqa: E402
from qa.retrieval import Retriever  # noqa: E402
from qa.settings import ROOT, Settings  # noqa: E402
from qa.stores import open_store  # noqa: E402

DEV = ROOT / "tests" / "data" / "dev_qa.jsonl"


def _ms(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50) * 1000), float(np.percentile(values, 95) * 1000)


def _index(folder: Path, embedder, s: Settings) -> ArticleIndex:
    return open_store(dataclasses.replace(s, index_dir=folder, store=""), embedder)


def _exact_top10(index: ArticleIndex, queries: np.ndarray) -> np.ndarray:
    """Exact top-10 ids for each query by brute force over the stored vectors, in blocks."""
    best_ids = np.full((len(queries), 10), -1, dtype=np.int64)
    best = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    for segment in index.segments:
        for a in range(0, len(segment.ids), 100_000):
            scores = queries @ np.asarray(segment.vectors[a : a + 100_000]).T
            ids = np.broadcast_to(segment.ids[a : a + 100_000], scores.shape)
            scores, ids = np.hstack([best, scores]), np.hstack([best_ids, ids])
            top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
            best, best_ids = np.take_along_axis(scores, top, 1), np.take_along_axis(ids, top, 1)
    return best_ids


def measure(size: int, rebuild: bool) -> dict[str, object]:
    s = Settings.from_env()
    folder = s.cache_dir / "bench" / f"search-{size}"
    embedder = CorpusEmbedder(s, {})
    questions = [json.loads(line)["question"] for line in DEV.read_text().splitlines() if line]
    queries = embedder.real.encode(questions)
    embedder.vectors.update(zip(questions, queries, strict=True))
    result: dict[str, object] = {"size": size}
    if rebuild or not _index(folder, embedder, s).load():
        shutil.rmtree(folder, ignore_errors=True)
        articles, vectors = corpus(size, s)
        embedder.vectors.update(vectors)
        start = time.perf_counter()
        ingest = Ingest(embedder, s.chunk_chars, s.chunk_overlap_sentences)
        ingest.sync(_index(folder, embedder, s), articles, progress=lambda m: print("  " + m))
        result["build_s"] = time.perf_counter() - start
        del articles, vectors
        embedder.vectors = dict(zip(questions, queries, strict=True))

    start = time.perf_counter()
    index = _index(folder, embedder, s)
    assert index.load()
    result["reopen_s"] = time.perf_counter() - start
    result["chunks"] = len(index)
    result["kind"] = index.kind
    result["disk_mb"] = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    retriever = Retriever(index, embedder, s.candidates, s.rrf_k)
    start = time.perf_counter()
    index.keyword_search(questions[0], s.candidates)  # the first search derives the BM25 weights
    result["keyword_open_s"] = time.perf_counter() - start

    truth = _exact_top10(index, queries)

    def dense() -> tuple[list[float], float]:
        times, recalls = [], []
        for q, want in zip(queries, truth, strict=True):
            start = time.perf_counter()
            got = index.search(q, 10)
            times.append(time.perf_counter() - start)
            recalls.append(len({i for i, _ in got} & set(want.tolist())) / 10)
        return times, float(np.mean(recalls))

    if index.kind == "ivf":  # recall against speed for other numbers of lists searched
        result["nprobe_sweep"] = {}
        for nprobe in (8, 16, 32, 64, 128):
            index.dense.set_nprobe(nprobe)
            times, recall = dense()
            result["nprobe_sweep"][nprobe] = {"recall": recall, "p50_ms": _ms(times)[0]}
        index.dense.set_nprobe(s.ivf_nprobe)
        result["lists"] = index.dense.lists
    dense_t, recall = dense()
    keyword_t, fused_t = [], []
    for question in questions:
        start = time.perf_counter()
        index.keyword_search(question, s.candidates)
        keyword_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        retriever.retrieve(question, s.top_k)
        fused_t.append(time.perf_counter() - start)
    result["recall_at_10"] = recall
    result["dense_p50_ms"], result["dense_p95_ms"] = _ms(dense_t)
    result["keyword_p50_ms"], result["keyword_p95_ms"] = _ms(keyword_t)
    result["fused_p50_ms"], result["fused_p95_ms"] = _ms(fused_t)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status = Path("/proc/self/status").read_text()
    for key in ("RssAnon", "RssFile"):  # RssFile: pages of memory-mapped index files
        result[f"{key.lower()}_mb"] = int(status.split(key + ":")[1].split()[0]) / 1024
    return result


COLUMNS = [
    ("chunks", "{:,}"),
    ("kind", "{}"),
    ("recall_at_10", "{:.3f}"),
    ("dense_p50_ms", "{:.2f}"),
    ("dense_p95_ms", "{:.2f}"),
    ("keyword_p50_ms", "{:.1f}"),
    ("fused_p50_ms", "{:.1f}"),
    ("fused_p95_ms", "{:.1f}"),
    ("reopen_s", "{:.1f}"),
    ("keyword_open_s", "{:.1f}"),
    ("disk_mb", "{:,.0f}"),
    ("peak_rss_mb", "{:,.0f}"),
    ("rssanon_mb", "{:,.0f}"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the per-size child
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.rebuild)))
        return
    print(machine.describe(), flush=True)
    runs = [
        (f"{size:,} chunks", ["--one", str(size)] + ["--rebuild"] * args.rebuild)
        for size in [int(x) for x in args.sizes.split(",")]
    ]
    report(__file__, runs, COLUMNS, args.json)


def report(
    script: str, runs: list[tuple[str, list[str]]], columns: list[tuple[str, str]], out: Path | None
) -> None:
    """Run `script` once per run in its own process (each prints its figures as JSON last), then
    print the figures as a Markdown table and write them to `out`."""
    rows = []
    for title, options in runs:
        print(f"{title}...", flush=True)
        command = [sys.executable, script, *options]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"  {rows[-1]}", flush=True)
    print("| " + " | ".join(name for name, _ in columns) + " |")
    print("|" + " --- |" * len(columns))
    for row in rows:
        print("| " + " | ".join(fmt.format(row[name]) for name, fmt in columns) + " |")
    if out:
        out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
