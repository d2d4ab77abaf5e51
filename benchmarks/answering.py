"""Answering speed per reader backend: time to sources, to the first streamed token, to the end.

    .venv/bin/python benchmarks/answering.py [--limit 20] [--backends llama_cpp,transformers]
                                             [--json OUT.json]

Runs the real pipeline (`QA.stream`, as the chat does) over the first `--limit` questions of the
development set, once per backend, in one process, on one index built aside. The first backend
listed is the baseline the others are compared with. Model preparation is done beforehand (an
earlier run or start does it), so load times are warm starts.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from qa import QA, Settings, machine
from qa.evaluation import load_items

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_backend(backend: str, index_dir: Path, items: list) -> dict[str, float]:
    qa = QA(index_dir=index_dir, settings=Settings.from_env(reader_backend=backend))
    qa.refresh()
    t = time.perf_counter()
    qa.reader.warm_up()
    load_s = time.perf_counter() - t
    sources, first, full, pieces = [], [], [], []
    for item in items:
        t = time.perf_counter()
        n = 0
        for update in qa.stream(item.question, item.history):
            now = time.perf_counter() - t
            if update.kind == "sources":
                sources.append(now)
            elif update.kind == "token":
                n += 1
                if n == 1:
                    first.append(now)
        full.append(time.perf_counter() - t)
        pieces.append(n)
        print(f"  {backend:12} {full[-1]:6.2f}s  {item.question[:70]}")
    return {
        "load_s": load_s,
        "questions": len(items),
        "reader_called": len(first),
        "sources_p50_s": statistics.median(sources) if sources else 0.0,
        "first_token_p50_s": statistics.median(first) if first else 0.0,
        "first_token_p95_s": percentile(first, 0.95) if first else 0.0,
        "full_answer_p50_s": statistics.median(full),
        "full_answer_p95_s": percentile(full, 0.95),
        "tokens_per_answer": statistics.mean(pieces),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "tests/data/dev_qa.jsonl")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--backends", default="transformers,llama_cpp")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(machine.describe(), flush=True)
    items = load_items(args.questions)[: args.limit]
    backends = args.backends.split(",")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            results[backend] = run_backend(backend, Path(tmp) / "index", items)
    base = results[backends[0]]
    names = list(base)
    print(f"\n| figure | {' | '.join(backends)} |\n| --- |{' --- |' * len(backends)}")
    for name in names:
        row = " | ".join(f"{results[b][name]:.2f}" for b in backends)
        print(f"| {name} | {row} |")
    for b in backends[1:]:
        speedup = base["full_answer_p50_s"] / max(results[b]["full_answer_p50_s"], 1e-9)
        first = base["first_token_p50_s"] / max(results[b]["first_token_p50_s"], 1e-9)
        print(f"{b} vs {backends[0]}: full answer p50 {speedup:.1f}x, first token {first:.1f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak RSS of the process: {peak:.1f} GiB (all backends loaded)")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "peak_rss_gib": peak}, indent=1))


if __name__ == "__main__":
    main()
