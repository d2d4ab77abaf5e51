"""Figures for the README and notes: index build, warm start, answer latency, peak memory.

    .venv/bin/python benchmarks/startup_and_latency.py [--limit 10] [--json OUT.json]

Runs the real pipeline over the seed articles with a fresh index in a temporary folder.
The reader must already be prepared (any earlier run does it); its one-time preparation time is
printed by the first start itself.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from qa import QA, machine

QUESTIONS = [
    "Where did Jake Sullivan and Wang Yi hold talks?",
    "What did Elon Musk say about the TikTok ban?",
    "When is APEC scheduled?",
    "Who followed Blinken to Beijing?",
    "What share of global GDP do APEC economies account for?",
    "Who did Han Zheng meet in Washington?",
    "Where did Han Zheng speak in Singapore?",
    "What did the US Supreme Court decide about TikTok?",
    "Who is Wang Wenbin?",
    "What is the capital of Australia?",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", type=Path)
    parser.add_argument("--limit", type=int, default=len(QUESTIONS), help="questions to time")
    args = parser.parse_args()
    print(machine.describe(), flush=True)
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        qa = QA(index_dir=Path(tmp) / "index", progress=lambda _: None)
        t = time.perf_counter()
        qa.refresh()
        figures["index_build_s"] = time.perf_counter() - t
        figures["passages"] = len(qa.index)
        t = time.perf_counter()
        qa.reader.warm_up()
        figures["reader_warm_start_s"] = time.perf_counter() - t
        latencies = []
        for q in QUESTIONS[: args.limit]:
            t = time.perf_counter()
            result = qa.answer(q)
            latencies.append(time.perf_counter() - t)
            print(f"{latencies[-1]:6.2f}s  {q}  ->  {result.text}")
        figures["answer_p50_s"] = statistics.median(latencies)
        figures["answer_max_s"] = max(latencies)
    figures["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print()
    print("| figure | value |\n| --- | --- |")
    for name, value in figures.items():
        print(f"| {name} | {value:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
