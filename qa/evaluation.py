"""Built-in evaluation: is the answer right, does its citation say it, does it abstain when it
should. Runs a JSONL question file through the same pipeline as `qa.answer`.

Each line: `{"id", "question", "answers": [...], "sources": [...], "history": [[q, a], ...]}`;
an empty `answers` list means the articles do not hold the answer and the bot should abstain.
"""

from __future__ import annotations

import json
import re
import string
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .answers import Answer
from .documents import load_articles

# The quality bar the development set must meet (tests/test_evaluation.py enforces it).
BAR: dict[str, tuple[str, float]] = {
    "answer_accuracy": (">=", 0.90),
    "abstention_rate": (">=", 0.90),
    "false_abstention_rate": ("<=", 0.05),
    "retrieval_hit": (">=", 0.97),
    "citation_precision": (">=", 0.95),
    "quote_validity": (">=", 1.00),
}

# Abstentions decided before the reader saw any passage.
_NOT_READ = {"invalid_question", "no_articles", "no_relevant_passages"}
_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_PUNCTUATION = set(string.punctuation) | set("’‘“”…")


class EvalFileError(ValueError):
    """The question file cannot be used as it is."""


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    answers: list[str]  # empty: unanswerable, the right behaviour is to abstain
    sources: list[str]  # article file names that hold the answer
    history: list[tuple[str, str]] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class ItemResult:
    id: str
    question: str
    answerable: bool
    text: str
    abstained: bool
    reason: str
    gold_rank: int | None  # 1-based rank of the first gold-source passage given to the reader
    correct: bool  # answerable, not abstained, and a gold answer is in the text
    f1: float
    citations: int
    gold_citations: int
    valid_quotes: int
    latency_s: float
    decline_probability: float | None = None  # the reader's P(NOT FOUND), to tune its threshold
    support_probability: float | None = None  # the verifier's P(yes), to tune its threshold
    reply: str = ""  # what the reader drafted, before grounding


def load_items(path: str | Path) -> list[EvalItem]:
    """Read and check a question file; errors name the line."""
    items, seen = [], set()
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            item = EvalItem(
                id=str(raw["id"]),
                question=str(raw["question"]),
                answers=[str(a) for a in raw.get("answers", [])],
                sources=[str(s) for s in raw.get("sources", [])],
                history=[(str(q), str(a)) for q, a in raw.get("history", [])],
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise EvalFileError(f"{path}, line {n}: {exc!r}") from exc
        if item.id in seen:
            raise EvalFileError(f"{path}, line {n}: duplicate id {item.id!r}")
        if item.answerable and not item.sources:
            raise EvalFileError(f"{path}, line {n}: an answerable question needs its sources")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise EvalFileError(f"{path} holds no questions")
    return items


def normalize_answer(text: str) -> str:
    """SQuAD normalization: lower case, no punctuation, no articles, single spaces. Hyphens
    and dashes split words ("six-day" -> "six day") rather than glue them ("sixday")."""
    text = re.sub(r"[-‐‑–—]", " ", _MARKER.sub("", text).lower())
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def contains_answer(text: str, gold: list[str]) -> bool:
    """A gold answer occurs in `text` as whole words after normalization."""
    padded = f" {normalize_answer(text)} "
    return any(normalize_answer(g) and f" {normalize_answer(g)} " in padded for g in gold)


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 between two strings."""
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def score(item: EvalItem, answer: Answer, texts: dict[str, str], latency: float) -> ItemResult:
    """Judge one answer against its item."""
    read = answer.reason not in _NOT_READ
    gold_rank = None
    if read:
        for rank, passage in enumerate(answer.passages, 1):
            if passage.chunk.source in item.sources:
                gold_rank = rank
                break
    answered = not answer.abstained
    correct = item.answerable and answered and contains_answer(answer.text, item.answers)
    f1 = max((token_f1(answer.text, g) for g in item.answers), default=0.0) if answered else 0.0
    return ItemResult(
        id=item.id,
        question=item.question,
        answerable=item.answerable,
        text=answer.text,
        abstained=answer.abstained,
        reason=answer.reason,
        gold_rank=gold_rank,
        correct=correct,
        f1=f1 if item.answerable else 0.0,
        citations=len(answer.citations),
        gold_citations=sum(c.source in item.sources for c in answer.citations),
        valid_quotes=sum(
            texts.get(c.source, "")[c.start : c.end] == c.quote for c in answer.citations
        ),
        latency_s=latency,
        decline_probability=answer.decline_probability,
        support_probability=answer.support_probability,
        reply=answer.reply,
    )


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def metrics(results: list[ItemResult]) -> dict[str, float | int | None]:
    """The summary figures; None where a metric has nothing to count (no citations, say)."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    cited = [r for r in answerable if r.citations]
    latencies = np.array([r.latency_s for r in results]) if results else np.zeros(1)
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "retrieval_hit": _share(sum(r.gold_rank is not None for r in answerable), len(answerable)),
        "mrr": _share(sum(1 / r.gold_rank for r in answerable if r.gold_rank), len(answerable)),
        "answer_accuracy": _share(sum(r.correct for r in answerable), len(answerable)),
        "answer_f1": _share(sum(r.f1 for r in answerable), len(answerable)),
        # Citations of answerable questions only: an unanswerable one has no gold source, and
        # answering it at all is already counted against abstention_rate.
        "citation_precision": _share(
            sum(r.gold_citations for r in cited), sum(r.citations for r in cited)
        ),
        "quote_validity": _share(
            sum(r.valid_quotes for r in results), sum(r.citations for r in results)
        ),
        "abstention_rate": _share(sum(r.abstained for r in unanswerable), len(unanswerable)),
        "false_abstention_rate": _share(sum(r.abstained for r in answerable), len(answerable)),
        "latency_p50_s": float(np.percentile(latencies, 50)),
        "latency_p95_s": float(np.percentile(latencies, 95)),
    }


def below_bar(
    figures: dict[str, float | int | None], bar: dict[str, tuple[str, float]] | None = None
) -> list[str]:
    """The metrics that miss `bar` (default: the quality bar), each as a readable line."""
    misses = []
    for name, (op, limit) in (bar or BAR).items():
        value = figures.get(name)
        if value is None:
            continue
        if (op == ">=" and value < limit - 1e-9) or (op == "<=" and value > limit + 1e-9):
            misses.append(f"{name} = {value:.3f}, bar {op} {limit:.2f}")
    return misses


def evaluate(
    qa, items: list[EvalItem], on_result: Callable[[ItemResult], None] | None = None
) -> tuple[list[ItemResult], dict[str, float | int | None]]:
    """Answer every item with `qa` (a `QA`) and score it; `on_result` sees each as it lands."""
    qa.refresh()
    texts = {a.source: a.text for a in load_articles(qa.settings.articles_dir)[0]}
    results = []
    for item in items:
        started = time.perf_counter()
        answer = qa.answer(item.question, item.history or None)
        result = score(item, answer, texts, time.perf_counter() - started)
        results.append(result)
        if on_result:
            on_result(result)
    return results, metrics(results)


def result_line(r: ItemResult) -> str:
    if r.answerable:
        verdict = "right" if r.correct else ("ABSTAINED" if r.abstained else "WRONG")
    else:
        verdict = "abstained" if r.abstained else "ANSWERED"
    rank = f"gold@{r.gold_rank}" if r.gold_rank else "gold@-"
    text = " ".join(r.text.split())
    return (
        f"{r.id:<8} {verdict:<9} {rank:<7} {r.latency_s:5.1f}s  {r.question[:60]!r} -> {text[:90]}"
    )


def summary_table(figures: dict[str, float | int | None]) -> str:
    lines = ["| metric | value | bar |", "| --- | --- | --- |"]
    for name, value in figures.items():
        bar = BAR.get(name)
        shown = (
            "n/a" if value is None else (f"{value}" if isinstance(value, int) else f"{value:.3f}")
        )
        lines.append(f"| {name} | {shown} | {f'{bar[0]} {bar[1]:.2f}' if bar else ''} |")
    return "\n".join(lines)


def write_json(path: str | Path, results: list[ItemResult], figures: dict) -> None:
    Path(path).write_text(
        json.dumps({"metrics": figures, "results": [asdict(r) for r in results]}, indent=2),
        encoding="utf-8",
    )
