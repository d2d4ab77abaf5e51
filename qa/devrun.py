"""The development sets that ship with the package (`qa/devsets/`), run through the configured
reader so a calibrator can be fitted for it: `python -m qa calibrate --dev`.

Each set is mixed like real use: mostly plain and paraphrased questions, about a fifth near
misses and off-topic ones, some follow-ups, over its own articles folder. Every cited draft is
kept (`min_confidence` 0), its signals saved. A run takes most of an hour on two cores, so each
answer is appended to a file in the cache as it lands, and a run that was stopped goes on from
where it was (`fresh` starts over).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from .calibrators import code_digest, reader_identity
from .documents import load_articles
from .evaluation import ItemResult, load_items, score, unavailable
from .settings import Settings

DEVSETS = Path(__file__).with_name("devsets")
# Each question file with the articles folder it asks about, both in qa/devsets/.
SETS = {
    "seeds_mixed_dev_qa.jsonl": "seeds",
    "civic_mixed_dev_qa.jsonl": "civic",
    "reports_mixed_dev_qa.jsonl": "reports",
    "pages_mixed_dev_qa.jsonl": "pages",
}


def run_dir(settings: Settings) -> Path:
    """Where a run for this reader and this signal code keeps its answers."""
    key = f"{reader_identity(settings)}\0{code_digest()}"
    return settings.cache_dir / "calibration-runs" / hashlib.sha256(key.encode()).hexdigest()[:16]


def _done(path: Path) -> dict[str, ItemResult]:
    """The answers a run saved; a line cut short by a crash is asked again."""
    done = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                result = ItemResult(**json.loads(line))
            except (ValueError, TypeError):
                continue
            done[result.id] = result
    return done


def run(
    settings: Settings, say: Callable[[str], None], fresh: bool = False
) -> dict[str, list[ItemResult]]:
    """Every dev set's results with the configured reader, asking only what is not saved."""
    from .pipeline import QA
    from .readers import ReaderUnavailable, shared_reader

    reader = shared_reader(settings, say)
    reader.warm_up()
    if not reader.scores:
        raise ReaderUnavailable(
            f"{reader.notes[0]} A calibrator reads those probabilities: none can be fitted."
        )
    work = run_dir(settings)
    work.mkdir(parents=True, exist_ok=True)
    keep_all = dataclasses.replace(settings, min_confidence=0.0, min_unsure=0.0)
    items = {name: load_items(DEVSETS / name) for name in SETS}
    total, asked = sum(map(len, items.values())), 0
    say(f"Answering {total} dev questions with {settings.reader_model}; answers are kept in {work}")
    reports: dict[str, list[ItemResult]] = {}
    for name, folder in SETS.items():
        saved = work / name.replace(".jsonl", ".results.jsonl")
        if fresh:
            saved.unlink(missing_ok=True)
        done = _done(saved)
        qa = None
        for item in items[name]:
            asked += 1
            if item.id in done:
                continue
            if qa is None:
                articles = DEVSETS / folder
                qa = QA(articles, work / f"index-{folder}", keep_all, progress=say)
                qa.refresh()
                loaded = load_articles(articles, limits=settings.limits)[0]
                texts = {a.source: a.text for a in loaded}
            started = time.perf_counter()
            answer = qa.answer(item.question, item.history or None)
            unavailable(answer)  # not saved: asked again when the run goes on
            elapsed = time.perf_counter() - started
            done[item.id] = result = score(item, answer, texts, elapsed)
            with open(saved, "a", encoding="utf-8") as out:
                out.write(json.dumps(dataclasses.asdict(result)) + "\n")
                out.flush()
                os.fsync(out.fileno())
            verdict = "right" if result.draft_correct else "-"
            text = " ".join(result.text.split())[:70]
            say(f"[{asked}/{total}] {name} {item.id}: {verdict} {text}")
        reports[name] = [done[item.id] for item in items[name]]
    return reports
