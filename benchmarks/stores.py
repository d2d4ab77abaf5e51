"""The two passage stores side by side: FAISS under index/ and Milvus Lite, same corpus, same code.

    .venv/bin/python benchmarks/stores.py [--sizes 10000,100000] [--json OUT.json]

For each size and store, in its own process: fills the store from the synthetic corpus of
benchmarks/synthetic.py through the `PassageStore` interface (`Ingest.sync`), reopens it, and times
dense search (with recall@10 against exact search over the corpus vectors), keyword search and
the fused retriever, over the development questions.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.search import DEV, _ms, report  # noqa: E402
from benchmarks.synthetic import CorpusEmbedder, corpus  # noqa: E402
from qa import machine  # noqa: E402
from qa.chunking import chunk_article  # noqa: E402
from qa.ingest import Ingest  # noqa: E402
from qa.retrieval import Retriever  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.stores import open_store  # noqa: E402


def measure(size: int, backend: str) -> dict[str, object]:
    base = Settings.from_env()
    folder = Path(tempfile.mkdtemp(prefix=f"stores-{backend}-"))
    s = dataclasses.replace(
        base,
        index_dir=folder / "index",
        store=str(folder / "milvus.db") if backend == "milvus" else "",
    )
    embedder = CorpusEmbedder(s, {})
    questions = [json.loads(line)["question"] for line in DEV.read_text().splitlines() if line]
    queries = embedder.real.encode(questions)
    articles, vectors = corpus(size, s)
    embedder.vectors.update(vectors)
    embedder.vectors.update(zip(questions, queries, strict=True))
    chunks = [
        c for a in articles for c in chunk_article(a, s.chunk_chars, s.chunk_overlap_sentences)
    ]
    texts = [c.text for c in chunks]
    matrix = np.stack([vectors[t] for t in texts])  # row i is the chunk with id i
    truth = np.argsort(-(queries @ matrix.T), axis=1, kind="stable")[:, :10]
    del vectors, matrix

    start = time.perf_counter()
    ingest = Ingest(embedder, s.chunk_chars, s.chunk_overlap_sentences)
    ingest.sync(open_store(s, embedder), articles, progress=lambda m: None)
    result: dict[str, object] = {"size": size, "store": backend}
    result["build_s"] = time.perf_counter() - start
    del articles
    start = time.perf_counter()
    store = open_store(s, embedder)
    assert store.load()
    retriever = Retriever(store, embedder, s.candidates, s.rrf_k)
    retriever.retrieve("warm up", s.top_k)  # FAISS builds its BM25 weights here
    result["reopen_s"] = time.perf_counter() - start
    result["chunks"] = len(store)
    result["disk_mb"] = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6

    dense_t, keyword_t, fused_t, recalls = [], [], [], []
    for question, q, want in zip(questions, queries, truth, strict=True):
        start = time.perf_counter()
        got = store.search(q, 10)
        dense_t.append(time.perf_counter() - start)
        recalls.append(len({i for i, _ in got} & set(want.tolist())) / 10)
        start = time.perf_counter()
        store.keyword_search(question, s.candidates)
        keyword_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        retriever.retrieve(question, s.top_k)
        fused_t.append(time.perf_counter() - start)
    result["recall_at_10"] = float(np.mean(recalls))
    result["dense_p50_ms"], result["dense_p95_ms"] = _ms(dense_t)
    result["keyword_p50_ms"], result["keyword_p95_ms"] = _ms(keyword_t)
    result["fused_p50_ms"], result["fused_p95_ms"] = _ms(fused_t)
    return result


COLUMNS = [
    ("store", "{}"),
    ("chunks", "{:,}"),
    ("build_s", "{:.1f}"),
    ("reopen_s", "{:.2f}"),
    ("recall_at_10", "{:.3f}"),
    ("dense_p50_ms", "{:.1f}"),
    ("dense_p95_ms", "{:.1f}"),
    ("keyword_p50_ms", "{:.1f}"),
    ("fused_p50_ms", "{:.1f}"),
    ("fused_p95_ms", "{:.1f}"),
    ("disk_mb", "{:,.0f}"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--stores", default="faiss,milvus")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # the per-run child
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(int(args.one[0]), args.one[1])))
        return
    print(machine.describe(), flush=True)
    runs = [
        (f"{size:,} chunks on {backend}", ["--one", str(size), backend])
        for size in [int(x) for x in args.sizes.split(",")]
        for backend in args.stores.split(",")
    ]
    report(__file__, runs, COLUMNS, args.json)


if __name__ == "__main__":
    main()
