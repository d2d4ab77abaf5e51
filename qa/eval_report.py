"""What an evaluation prints and saves: the tables of `python -m qa eval` and the JSON report
that `python -m qa calibrate` reads back."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

from .evaluation import ItemResult
from .metrics import BAR, auroc, by_kind, metrics, risk_coverage


def risk_coverage_table(rows: list[dict[str, float | None]]) -> str:
    names = ["threshold", "answered_precision", "coverage", "abstention_rate", "answer_accuracy"]
    lines = ["| " + " | ".join(names) + " |", "|" + " --- |" * len(names)]
    for row in rows:
        cells = ["n/a" if row[n] is None else f"{row[n]:.3f}" for n in names]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def kind_table(kinds: dict[str, dict[str, float | int]]) -> str:
    lines = [
        "| kind | questions | handled right | shown right | answered wrong | abstained "
        "| of which unsure |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind, f in kinds.items():
        lines.append(
            f"| {kind} | {f['questions']} | {f['handled_right']:.2f} "
            f"| {f.get('shown_right', 0):.2f} | {f['answered_wrong']} "
            f"| {f['abstained']} | {f.get('unsure', 0)} |"
        )
    return "\n".join(lines)


def separation_table(reports: dict[str, list[ItemResult]], features: tuple[str, ...]) -> str:
    """Per report: the AUROC of the confidence, and of each signal alone, for right against
    wrong cited drafts: how well each lever tells them apart."""
    names = ["confidence", *features]
    lines = ["| report | drafts | " + " | ".join(names) + " |", "|" + " --- |" * (len(names) + 2)]
    for report, results in reports.items():
        drafts = [r for r in results if r.signals]
        labels = [r.draft_correct for r in drafts]
        cells = []
        for name in names:
            values = [r.confidence if name == "confidence" else r.signals.get(name) for r in drafts]
            pairs = [(v, y) for v, y in zip(values, labels, strict=True) if _number(v)]
            value = auroc([v for v, _ in pairs], [y for _, y in pairs]) if pairs else None
            cells.append("n/a" if value is None else f"{value:.2f}")
        lines.append(f"| {report} | {len(drafts)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _number(value: object) -> bool:
    return isinstance(value, float | int) and value == value  # NaN is no value


def result_line(r: ItemResult) -> str:
    if r.answerable:
        verdict = "right" if r.correct else ("ABSTAINED" if r.abstained else "WRONG")
    else:
        verdict = "abstained" if r.abstained else "ANSWERED"
    if r.grade == "unsure":
        verdict = "unsure+" if r.draft_correct else "unsure-"
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


def write_json(
    path: str | Path, results: list[ItemResult], figures: dict, reader: str = ""
) -> None:
    report = {
        "reader": reader,
        "metrics": figures,
        "by_kind": by_kind(results),
        "risk_coverage": risk_coverage(results),
        "results": [asdict(r) for r in results],
    }
    Path(path).write_text(json.dumps(report, indent=2), encoding="utf-8")


def with_confidence(results: list[ItemResult], calibrator) -> list[ItemResult]:
    """The results as a `Calibrator` would have scored their drafts (offline, from signals)."""
    return [
        replace(r, confidence=calibrator.probability(r.signals)) if r.signals else r
        for r in results
    ]


def regraded(results: list[ItemResult], calibrator) -> list[ItemResult]:
    """The results of a run that showed every cited draft (`QA_MIN_CONFIDENCE=0`) as they
    would be graded with `calibrator` at its thresholds: stated, unsure or withheld."""
    graded = []
    for r in with_confidence(results, calibrator):
        kept = r.confidence is None or r.confidence >= calibrator.threshold
        if not r.signals or r.abstained or kept:
            graded.append(r)
        else:
            unsure = r.confidence >= calibrator.unsure_threshold
            graded.append(
                replace(
                    r,
                    abstained=True,
                    correct=False,
                    grade="unsure" if unsure else "not_found",
                    reason="unsure" if unsure else "low_confidence",
                    unsure_quote_right=r.quote_right if unsure and r.answerable else None,
                )
            )
    return graded


GRADE_COLUMNS = (
    "answered_precision",
    "coverage",
    "coverage_plain",
    "shown_right",
    "shown_right_plain",
    "abstention_rate",
    "auroc",
)


def grade_table(reports: dict[str, list[ItemResult]]) -> str:
    """Per report: the figures of its results as graded (see `regraded`)."""
    lines = [
        "| report | questions | " + " | ".join(GRADE_COLUMNS) + " |",
        "|" + " --- |" * (len(GRADE_COLUMNS) + 2),
    ]
    for name, results in reports.items():
        figures = metrics(results)
        cells = ["n/a" if figures[c] is None else f"{figures[c]:.2f}" for c in GRADE_COLUMNS]
        lines.append(f"| {name} | {len(results)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def read_results(path: str | Path) -> list[ItemResult]:
    """The per-question results of a `write_json` report, to refit the calibrator offline."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))["results"]
    return [ItemResult(**row) for row in rows]


def reader_of(path: str | Path) -> str:
    """The reader identity a report was made with ("" for reports from before it was kept)."""
    return str(json.loads(Path(path).read_text(encoding="utf-8")).get("reader", ""))
