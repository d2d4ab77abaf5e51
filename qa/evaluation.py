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
from dataclasses import dataclass, field
from pathlib import Path

from .answers import Answer
from .documents import load_articles
from .metrics import metrics
from .text import strip_markers
from .timeline import states_date

# Abstentions decided before the reader saw any passage.
_NOT_READ = {"invalid_question", "no_articles", "no_relevant_passages"}
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
    kind: str = ""  # what the question tests (factoid, number, near_miss, ...): figures per kind
    # Publication dates (ISO) a right answer states: the newest report's for a `latest`
    # question, each report's for a `conflict` one, whose answer holds every gold answer.
    dates: list[str] = field(default_factory=list)

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
    kind: str = ""
    # A cited quote of a right answer contains a gold answer; None unless right.
    answer_in_quote: bool | None = None
    # A gold answer occurs in the passages the reader was given; None when unanswerable.
    answer_in_context: bool | None = None
    confidence: float | None = None  # calibrated P(right) of the cited draft (confidence.py)
    draft_correct: bool = False  # the cited draft, shown or withheld, holds a gold answer
    signals: dict[str, float] = field(default_factory=dict)
    grade: str = ""  # confident | unsure | not_found (Answer.grade)
    # An unsure reply's quote holds a gold answer; None unless unsure and answerable.
    unsure_quote_right: bool | None = None
    # A quote of the cited draft, shown or not, holds a gold answer; None without one.
    quote_right: bool | None = None
    # Grounding dropped the draft (unsupported, or restating the question) although the
    # reader's reply held the answer.
    dropped_right: bool = False
    # Grounding dropped the draft as unsupported although the reader's reply held the answer.
    unsupported_right: bool = False
    standalone_question: str = ""  # as retrieved for, after follow-up rewriting
    quotes: list[str] = field(default_factory=list)  # of the citations, shown or withheld


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
                kind=str(raw.get("kind", "")),
                dates=[str(d) for d in raw.get("dates", [])],
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
    text = re.sub(r"[-‐‑–—]", " ", strip_markers(text).lower())
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


def _right(item: EvalItem, text: str) -> bool:
    """A gold answer is in `text` (every one, for a `conflict` question) and so is each date
    the item asks for."""
    held = [contains_answer(text, [g]) for g in item.answers]
    found = all(held) if item.kind == "conflict" else any(held)
    return found and all(states_date(text, d) for d in item.dates)


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
    correct = item.answerable and answered and _right(item, answer.text)
    f1 = max((token_f1(answer.text, g) for g in item.answers), default=0.0) if answered else 0.0
    draft = answer.draft or ("" if answer.abstained else answer.text)
    context = " ".join(p.chunk.text for p in answer.passages) if read else ""
    quoted = any(contains_answer(c.quote, item.answers) for c in answer.citations)
    in_reply = item.answerable and contains_answer(answer.reply, item.answers)
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
        kind=item.kind,
        answer_in_quote=quoted if correct else None,
        answer_in_context=contains_answer(context, item.answers) if item.answerable else None,
        confidence=answer.confidence,
        draft_correct=item.answerable and contains_answer(draft, item.answers),
        signals=dict(answer.signals),
        grade=answer.grade,
        standalone_question=answer.standalone_question,
        quotes=[c.quote for c in answer.citations],
        unsupported_right=answer.reason == "unsupported" and in_reply,
        unsure_quote_right=quoted if answer.grade == "unsure" and item.answerable else None,
        dropped_right=answer.reason in ("unsupported", "restated") and in_reply,
        quote_right=quoted if answer.citations and item.answerable else None,
    )


def unavailable(answer: Answer) -> None:
    """A reader that could not answer stops an evaluation: its answer is no result."""
    if answer.reason == "reader_unavailable":
        from .readers import ReaderUnavailable

        raise ReaderUnavailable(answer.text)


def evaluate(
    qa, items: list[EvalItem], on_result: Callable[[ItemResult], None] | None = None
) -> tuple[list[ItemResult], dict[str, float | int | None]]:
    """Answer every item with `qa` (a `QA`) and score it; `on_result` sees each as it lands."""
    qa.refresh()
    folder, limits = qa.settings.articles_dir, qa.settings.limits
    texts = {a.source: a.text for a in load_articles(folder, limits=limits)[0]}
    results = []
    for item in items:
        started = time.perf_counter()
        answer = qa.answer(item.question, item.history or None)
        unavailable(answer)
        result = score(item, answer, texts, time.perf_counter() - started)
        results.append(result)
        if on_result:
            on_result(result)
    return results, metrics(results)
