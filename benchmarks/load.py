"""Load on one chat server: many people asking at once through `gradio_client`.

    .venv/bin/python benchmarks/load.py [--questions 20] [--url http://127.0.0.1:7860/]
                                        [--landed 707b4ff|none] [--json OUT.json]

Without `--url` it starts the app in this process (seed articles, an index built aside). It
first asks each question alone (the expected answers: greedy decoding makes them
reproducible), then submits all of them at once and checks that every reply is its own question's
answer, none lost or mixed up. It prints answered / failed / mixed-up counts, the queue positions
the server reported, p50/p95 of the wait in the queue and of the whole reply, the throughput
under load (answers a minute) and the server process's memory (peak and after the load).
`--landed` runs the same measure first on a landed commit's pipeline, from a git worktree in a
subprocess with the same packages, so both come from one machine in one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import socket
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from gradio_client import Client
from gradio_client.utils import Status

ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("qa") is None:  # not installed: this checkout's (a landed run
    sys.path.insert(0, str(ROOT))  # puts its own tree first, and must keep it)

from qa import QA, machine  # noqa: E402
from qa.evaluation import load_items  # noqa: E402
from qa.ui import build_app, launch  # noqa: E402
from qa.ui.render import plain_answer  # noqa: E402


@dataclass
class Reply:
    question: str
    text: str = ""
    error: str = ""
    wait_s: float = 0.0  # submitted -> the server started on it
    total_s: float = 0.0  # submitted -> the whole reply
    max_rank: int = -1  # the furthest queue position the server reported for it


def reply_text(output: object) -> str:
    """The chat endpoint's reply (its HTML) as the text a person reads."""
    return plain_answer(str(output))


def ask_all(url: str, questions: list[str]) -> tuple[list[Reply], float, int]:
    """Submit every question at once, one client each (as separate browsers would), and wait.
    Meanwhile use the Articles view once: returns the replies, the seconds that took, and how
    many replies were still unfinished when it answered."""
    replies = [Reply(q) for q in questions]
    clients = [Client(url, verbose=False) for _ in questions]
    start = time.perf_counter()
    jobs = [c.submit(q, [], api_name="/chat") for c, q in zip(clients, questions, strict=True)]

    def watch(job, reply: Reply) -> None:
        started = None
        while not job.done():
            status = job.status()
            if status.code == Status.IN_QUEUE and status.rank is not None:
                reply.max_rank = max(reply.max_rank, status.rank)
            if started is None and status.code in (Status.PROCESSING, Status.ITERATING):
                started = time.perf_counter()
            time.sleep(0.05)
        reply.total_s = time.perf_counter() - start
        reply.wait_s = (started or time.perf_counter()) - start
        try:
            reply.text = reply_text(job.result())
        except Exception as exc:
            reply.error = repr(exc)

    watchers = [
        threading.Thread(target=watch, args=(job, reply))
        for job, reply in zip(jobs, replies, strict=True)
    ]
    for t in watchers:
        t.start()
    time.sleep(1.0)
    probe = time.perf_counter()
    Client(url, verbose=False).predict([], api_name="/remove")  # nothing picked: lists articles
    probe_s = time.perf_counter() - probe
    pending = sum(not job.done() for job in jobs)
    for t in watchers:
        t.join()
    return replies, probe_s, pending


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def summarize(replies: list[Reply], expected: list[str]) -> dict[str, object]:
    answered = [r for r in replies if r.text and not r.error]
    return {
        "questions": len(replies),
        "answered": len(answered),
        "failed": len(replies) - len(answered),
        "mixed_up": sum(r.text != e for r, e in zip(replies, expected, strict=True) if r.text),
        "max_queue_position": max((r.max_rank for r in replies), default=-1),
        "wait_p50_s": percentile([r.wait_s for r in replies], 0.5),
        "wait_p95_s": percentile([r.wait_s for r in replies], 0.95),
        "total_p50_s": percentile([r.total_s for r in replies], 0.5),
        "total_p95_s": percentile([r.total_s for r in replies], 0.95),
    }


class Memory:
    """The resident memory of this process, sampled every half second while it runs."""

    def __init__(self) -> None:
        import psutil

        self.process, self.peak, self._stop = psutil.Process(), 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop.wait(0.5)

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def now(self) -> int:
        return self.process.memory_info().rss


def measure(count: int, url: str | None = None) -> dict[str, object]:
    """The load figures for `count` dev questions on the server at `url`, or on the app
    started here (whose memory is then this process's)."""
    items = [i for i in load_items(ROOT / "tests/data/dev_qa.jsonl") if not i.history]
    questions = [i.question for i in items[:count]]
    started_here = url is None
    if url is None:
        qa = QA(ROOT / "seeds", tempfile.mkdtemp(prefix="load-index-"))
        app = build_app(qa)
        port = free_port()
        launch(app, qa, port=port, prevent_thread_lock=True, quiet=True)
        url = f"http://127.0.0.1:{port}/"
        qa.warm_up()
    solo_client = Client(url, verbose=False)
    with Memory() as memory:
        began = time.perf_counter()
        expected = [reply_text(solo_client.predict(q, [], api_name="/chat")) for q in questions]
        solo_mean = (time.perf_counter() - began) / len(questions)
        replies, probe_s, pending = ask_all(url, questions)
    figures = summarize(replies, expected)
    figures["solo_mean_s"] = solo_mean
    figures["articles_view_during_load_s"] = probe_s
    figures["answers_pending_then"] = pending
    busy = max((r.total_s for r in replies), default=0.0)
    figures["answers_per_minute"] = 60 * figures["answered"] / busy if busy else 0.0
    if started_here:  # the server's memory is this process's
        figures["peak_memory_mb"] = memory.peak / 2**20
        figures["memory_after_mb"] = memory.now / 2**20
    figures["replies"] = [asdict(r) for r in replies]
    return figures


def landed_measure(count: str) -> dict[str, object]:
    """`measure` as `answering.in_landed` calls it (its argument is a string)."""
    return measure(int(count))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--url", help="a running chat server (default: start one here)")
    parser.add_argument("--landed", default="none", help="a commit to compare with, or none")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(machine.describe(), flush=True)
    runs = {}
    if args.landed != "none" and args.url is None:
        from answering import in_landed

        landed = in_landed(args.landed, "load.landed_measure", str(args.questions))
        if landed:
            runs["landed"] = landed
    runs["this"] = measure(args.questions, args.url)
    for r in runs["this"]["replies"]:
        print(f"wait {r['wait_s']:6.1f} s  total {r['total_s']:6.1f} s  {r['question'][:60]}")
        if r["error"]:
            print(f"    error: {r['error']}")
    names = [n for n in runs["this"] if n != "replies"]
    print(f"\n| figure | {' | '.join(runs)} |\n| --- |{' --- |' * len(runs)}")
    for name in names:
        cells = [runs[run].get(name) for run in runs]
        shown = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in cells]
        print(f"| {name} | {' | '.join(shown)} |")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
