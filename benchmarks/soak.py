"""An hour of use: the chat server under simulated users who never pause, while a news feed
grows and articles are removed.

    .venv/bin/python benchmarks/soak.py [--minutes 60] [--users 4] [--feed-every 240]
                                        [--remove-every 600] [--json OUT.json]

It starts the app in this process over a copy of the seed articles, with a local news feed
(on 127.0.0.1) that it follows and that gains a new article every `--feed-every` seconds; the
app's own poller adds them (`QA_FEED_MINUTES` is set to one minute). `--users` clients (as
separate browsers) ask the dev questions in turn with no pause between them, and every
`--remove-every` seconds the oldest article the feed added is removed through the Articles API.
Each reply is checked against its own request: the answer its question got asked alone at the
start (greedy decoding makes it reproducible; a reply that is another question's answer is
mixed up), and its citations only of articles present when it was asked. Per minute it prints
answers, p50 and p95 of the reply time, the process's memory and errors; at the end, whether
memory stayed flat (the last ten minutes within 10% of the first ten after a warm-up minute)
and the p95 steady (the last ten minutes within 20% of the first ten). Shorter runs compare
their first and last fifths.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from gradio_client import Client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load import Memory, free_port, percentile, reply_text  # noqa: E402
from qa import QA, Settings, machine  # noqa: E402
from qa.evaluation import load_items  # noqa: E402
from qa.ui import build_app, launch  # noqa: E402

PLACES = ["Brask", "Halvik", "Ostby", "Lenmouth", "Sallow", "Karsa", "Velm", "Tarsk", "Orrin"]


def story(n: int) -> bytes:
    """The feed's n-th article: a short dated local story."""
    place, day = PLACES[n % len(PLACES)], 1 + n % 27
    body = "".join(
        f"<p>{s}</p>"
        for s in (
            f"The council of {place} approved a new footbridge over the river on Tuesday, its "
            f"{n + 3}th project this year.",
            f"Mayor Anna Lind of {place} said the bridge would cost {n + 2}.5 million euros and "
            "open next spring.",
        )
    )
    return (
        f"<html><head><title>{place} approves footbridge ({n})</title><meta property="
        f'"article:published_time" content="2026-04-{day:02d}T08:00:00Z"></head>'
        f"<body><article>{body}</article></body></html>"
    ).encode()


class Feed(BaseHTTPRequestHandler):
    """A feed with `items` articles (the soak raises it), each page served from `story`."""

    items = 1

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        if self.path == "/feed.xml":
            entries = "".join(
                f"<item><title>Footbridge {n}</title><link>/story/{n}.html</link>"
                f"<guid>s{n}</guid></item>"
                for n in range(self.items)
            )
            body = f'<rss version="2.0"><channel><title>Soak</title>{entries}</channel></rss>'
            self._send(body.encode(), "application/rss+xml")
        elif self.path.startswith("/story/"):
            self._send(story(int(self.path.split("/")[2].split(".")[0])), "text/html")
        else:
            self.send_response(404)
            self.end_headers()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class Reply:
    question: str
    asked_at: float  # seconds since the start
    seconds: float
    ok: bool = True
    problem: str = ""


@dataclass
class Soak:
    replies: list[Reply] = field(default_factory=list)
    memory: list[tuple[float, float]] = field(default_factory=list)  # (minute, MB)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _indexed(qa: QA) -> set[str]:
    with qa.collection.lock:
        return set(qa.index.articles)


def _sources(page: str) -> set[str]:
    """The article names a reply's citations show (as HTML: `_` may come escaped)."""
    return {html.unescape(name) for name in re.findall(r"<code>([^<]+)</code>", page)}


def user(
    url: str,
    questions: list[str],
    expected: dict[str, str],
    qa: QA,
    soak: Soak,
    start: float,
    until: float,
    offset: int,
) -> None:
    """One person asking the questions in turn, from `offset`, until `until`."""
    client = Client(url, verbose=False)
    n = offset
    while time.monotonic() < until:
        question = questions[n % len(questions)]
        n += 1
        present = _indexed(qa)
        asked = time.monotonic()
        reply = Reply(question, asked - start, 0.0)
        try:
            page = str(client.predict(question, [], api_name="/chat"))
            reply.seconds = time.monotonic() - asked
            text = reply_text(page)
            later = _indexed(qa)
            # Another question's cited answer (an abstention's text is the same for all).
            others = [q for q, e in expected.items() if q != question and e == text]
            if text != expected[question] and others and "[1]" in text:
                reply.ok, reply.problem = False, f"mixed up with {others[0]!r}"
            elif not _sources(page) <= present | later:
                reply.ok, reply.problem = False, f"cites {sorted(_sources(page) - present - later)}"
        except Exception as exc:
            reply.seconds, reply.ok, reply.problem = time.monotonic() - asked, False, repr(exc)
        with soak.lock:
            soak.replies.append(reply)


def window(replies: list[Reply], start: float, end: float) -> list[Reply]:
    return [r for r in replies if start <= r.asked_at < end]


def p95(values: list[float]) -> float:
    return percentile(values, 0.95)


def run(minutes: float, users: int, feed_every: float, remove_every: float) -> dict[str, object]:
    feed = ThreadingHTTPServer(("127.0.0.1", 0), type("F", (Feed,), {"items": 1}))
    threading.Thread(target=feed.serve_forever, daemon=True).start()
    feed_url = f"http://127.0.0.1:{feed.server_address[1]}/feed.xml"
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    shutil.copytree(ROOT / "seeds", work / "articles")
    settings = Settings.from_env(feed_minutes=1.0)
    qa = QA(work / "articles", work / "index", settings)
    qa.add_link(feed_url)
    app = build_app(qa)
    port = free_port()
    launch(app, qa, port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    qa.warm_up()
    items = [i for i in load_items(ROOT / "tests/data/dev_qa.jsonl") if not i.history]
    questions = [i.question for i in items[:12]]
    solo = Client(url, verbose=False)
    expected = {q: reply_text(solo.predict(q, [], api_name="/chat")) for q in questions}

    soak, start = Soak(), time.monotonic()
    until = start + minutes * 60
    threads = [
        threading.Thread(
            target=user, args=(url, questions, expected, qa, soak, start, until, i * 3)
        )
        for i in range(users)
    ]
    for t in threads:
        t.start()
    with Memory() as memory:
        next_feed, next_remove, next_minute = start + feed_every, start + remove_every, start
        while time.monotonic() < until:
            now = time.monotonic()
            if now >= next_feed:
                feed.RequestHandlerClass.items += 1
                next_feed += feed_every
            if now >= next_remove:
                with qa.collection.lock:
                    added = sorted(
                        (
                            a
                            for a in qa.index.articles.values()
                            if a.source.startswith("footbridge")
                        ),
                        key=lambda a: a.indexed_at,
                    )
                if added:
                    solo.predict([added[0].source], api_name="/remove")
                next_remove += remove_every
            if now >= next_minute:
                soak.memory.append(((now - start) / 60, memory.now / 2**20))
                next_minute += 60
            time.sleep(1)
    for t in threads:
        t.join()
    app.close()
    feed.shutdown()
    return summarize(soak, minutes, qa)


def summarize(soak: Soak, minutes: float, qa: QA) -> dict[str, object]:
    per_minute = []
    for m in range(int(minutes)):
        got = window(soak.replies, m * 60, (m + 1) * 60)
        times = [r.seconds for r in got]
        mem = next((mb for at, mb in soak.memory if m <= at < m + 1), 0.0)
        per_minute.append(
            {
                "minute": m + 1,
                "answers": len(got),
                "p50_s": statistics.median(times) if times else 0.0,
                "p95_s": p95(times),
                "memory_mb": mem,
                "errors": sum(not r.ok for r in got),
            }
        )
    span = max(1.0, min(10.0, minutes / 5)) * 60  # ten minutes, or a fifth of a short run
    warm = min(60.0, span)
    first = window(soak.replies, warm, warm + span)
    last = window(soak.replies, minutes * 60 - span, minutes * 60)
    first_mb = [mb for at, mb in soak.memory if warm / 60 <= at < (warm + span) / 60]
    last_mb = [mb for at, mb in soak.memory if at >= (minutes * 60 - span) / 60]
    mem_ratio = (
        (statistics.mean(last_mb) / statistics.mean(first_mb)) if first_mb and last_mb else 1.0
    )
    p95_ratio = p95([r.seconds for r in last]) / max(p95([r.seconds for r in first]), 1e-9)
    return {
        "minutes": minutes,
        "answers": len(soak.replies),
        "answers_per_minute": len(soak.replies) / minutes,
        "errors": sum(not r.ok for r in soak.replies),
        "problems": sorted({r.problem for r in soak.replies if r.problem})[:10],
        "memory_last_over_first": mem_ratio,
        "p95_last_over_first": p95_ratio,
        "feed_articles_indexed": sum(s.startswith("footbridge") for s in _indexed(qa)),
        "per_minute": per_minute,
        "replies": [asdict(r) for r in soak.replies],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--feed-every", type=float, default=240, help="seconds between articles")
    parser.add_argument("--remove-every", type=float, default=600, help="seconds between removals")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(machine.describe(), flush=True)
    figures = run(args.minutes, args.users, args.feed_every, args.remove_every)
    print("\n| minute | answers | p50 s | p95 s | memory MB | errors |")
    print("| --- | --- | --- | --- | --- | --- |")
    for m in figures["per_minute"]:
        print(
            f"| {m['minute']} | {m['answers']} | {m['p50_s']:.1f} | {m['p95_s']:.1f} "
            f"| {m['memory_mb']:.0f} | {m['errors']} |"
        )
    print("\n| figure | value |\n| --- | --- |")
    for name in (
        "answers",
        "answers_per_minute",
        "errors",
        "memory_last_over_first",
        "p95_last_over_first",
        "feed_articles_indexed",
    ):
        value = figures[name]
        print(f"| {name} | {value:.2f} |" if isinstance(value, float) else f"| {name} | {value} |")
    for problem in figures["problems"]:
        print(f"problem: {problem}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
