"""The figures of an evaluation: the summary metrics against the quality bar, per question
kind, per confidence threshold (risk and coverage), and the AUROC of the confidence. They read
`ItemResult`s only, so a saved report can be scored again offline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .evaluation import ItemResult

# The quality bar every question set must meet (`--check`). Selective answering: of what it
# answers, nearly all right; most answerable questions answered; near misses declined; and the
# quote shown says the answer.
BAR: dict[str, tuple[str, float]] = {
    "answered_precision": (">=", 0.90),
    "coverage": (">=", 0.80),
    "abstention_rate": (">=", 0.85),
    "answer_in_quote": (">=", 0.95),
    "quote_validity": (">=", 1.00),
    "auroc": (">=", 0.85),  # of the confidence, right against wrong cited drafts
}
# Confidence thresholds of the risk-coverage table.
THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)

# The kinds of plain questions: one fact asked, answered from one sentence (against follow-ups,
# near misses, off-topic and the dated kinds).
PLAIN = ("factoid", "number", "date", "relation", "paraphrase")


def shown_right(r: ItemResult) -> bool:
    """The reply shows the right answer: a confident answer that is right, or an unsure reply
    whose draft is right and whose quote holds it."""
    if r.grade == "unsure":
        return r.answerable and r.draft_correct and bool(r.unsure_quote_right)
    return r.correct


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def metrics(results: list[ItemResult]) -> dict[str, float | int | None]:
    """The summary figures; None where a metric has nothing to count (no citations, say)."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    answered = [r for r in results if not r.abstained]
    plain = [r for r in answerable if r.kind in PLAIN]
    cited = [r for r in answerable if r.citations]
    right = [r for r in answerable if r.correct]
    latencies = np.array([r.latency_s for r in results]) if results else np.zeros(1)
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        # Of everything it answered, answerable or not, the share answered right.
        "answered_precision": _share(len(right), len(answered)),
        "coverage": _share(sum(not r.abstained for r in answerable), len(answerable)),
        "answer_in_quote": _share(sum(bool(r.answer_in_quote) for r in right), len(right)),
        # The ceiling retrieval leaves: a gold answer is in what the reader was given.
        "answer_in_context": _share(
            sum(bool(r.answer_in_context) for r in answerable), len(answerable)
        ),
        "retrieval_hit": _share(sum(r.gold_rank is not None for r in answerable), len(answerable)),
        "mrr": _share(sum(1 / r.gold_rank for r in answerable if r.gold_rank), len(answerable)),
        "answer_accuracy": _share(len(right), len(answerable)),
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
        # How well the confidence tells right drafts from wrong ones (0.5: not at all).
        "auroc": auroc(
            [r.confidence for r in results if r.confidence is not None],
            [r.draft_correct for r in results if r.confidence is not None],
        ),
        "unsure": sum(r.grade == "unsure" for r in results),
        # Answerable questions whose reply shows the right answer (`shown_right`), and both
        # coverage figures on the plain questions alone.
        "shown_right": _share(sum(map(shown_right, answerable)), len(answerable)),
        "coverage_plain": _share(sum(not r.abstained for r in plain), len(plain)),
        "shown_right_plain": _share(sum(map(shown_right, plain)), len(plain)),
        # Drafts grounding dropped as unsupported although the reader's reply held the answer.
        "unsupported_right": sum(r.unsupported_right for r in results),
        # The same, dropped as unsupported or as restating the question.
        "dropped_right": sum(r.dropped_right for r in results),
        # Of the unsure replies to answerable questions, the share whose quote holds the answer.
        "unsure_quote_right": _share(
            sum(bool(r.unsure_quote_right) for r in results),
            sum(r.unsure_quote_right is not None for r in results),
        ),
        "latency_p50_s": float(np.percentile(latencies, 50)),
        "latency_p95_s": float(np.percentile(latencies, 95)),
    }


def auroc(scores: list[float], labels: list[bool]) -> float | None:
    """The probability that a right draft scores above a wrong one (ties count half); None
    without both kinds."""
    right = np.array([x for x, y in zip(scores, labels, strict=True) if y])
    wrong = np.array([x for x, y in zip(scores, labels, strict=True) if not y])
    if not len(right) or not len(wrong):
        return None
    above = (right[:, None] > wrong[None, :]).sum() + 0.5 * (right[:, None] == wrong[None, :]).sum()
    return float(above / (len(right) * len(wrong)))


def by_kind(results: list[ItemResult]) -> dict[str, dict[str, float | int]]:
    """Per question kind, and all plain kinds together: how many, how many handled right
    (answered right, or abstained on an unanswerable one), shown right, answered wrongly, and
    abstained."""
    groups = {
        kind: [r for r in results if (r.kind or "-") == kind]
        for kind in sorted({r.kind or "-" for r in results})
    }
    groups["plain (all)"] = [r for r in results if r.kind in PLAIN]
    kinds: dict[str, dict[str, float | int]] = {}
    for kind, group in groups.items():
        if not group:
            continue
        good = sum(r.correct or (not r.answerable and r.abstained) for r in group)
        shown = sum(shown_right(r) or (not r.answerable and r.abstained) for r in group)
        kinds[kind] = {
            "questions": len(group),
            "handled_right": good / len(group),
            "shown_right": shown / len(group),
            "answered_wrong": sum(not r.abstained and not r.correct for r in group),
            "abstained": sum(r.abstained for r in group),
            "unsure": sum(r.grade == "unsure" for r in group),
        }
    return kinds


def risk_coverage(
    results: list[ItemResult], thresholds: tuple[float, ...] = THRESHOLDS
) -> list[dict[str, float | None]]:
    """What answering only drafts whose confidence reaches each threshold would give, as SQuAD
    2.0 systems choose their no-answer threshold. Questions abstained on before a confidence
    was computed stay abstentions."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    rows = []
    for t in thresholds:
        kept = [r for r in results if r.confidence is not None and r.confidence >= t]
        right = sum(r.draft_correct for r in kept)
        rows.append(
            {
                "threshold": t,
                "answered_precision": _share(right, len(kept)),
                "coverage": _share(sum(r.answerable for r in kept), len(answerable)),
                "abstention_rate": _share(
                    len(unanswerable) - sum(not r.answerable for r in kept), len(unanswerable)
                ),
                "answer_accuracy": _share(right, len(answerable)),
            }
        )
    return rows


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
