"""Command line: `python -m qa index [FOLDER]`, `add URL-or-FILE`, `ask "..."`,
`eval QA_FILE.jsonl`, `calibrate`, `chat`."""

from __future__ import annotations

import argparse
import logging
import sys

from . import eval_report, evaluation, machine
from .confidence import FITTED, PACKAGED, Calibrator
from .converters import display_date
from .library import ArticleRejected
from .models import ModelUnavailable
from .pipeline import QA
from .settings import SettingError, Settings


def _progress(message: str) -> None:
    print(message, flush=True)


def _qa(args: argparse.Namespace) -> QA:
    settings = Settings.from_env(store=getattr(args, "store", None))
    return QA(args.articles, args.index, settings, progress=_progress)


def cmd_index(args: argparse.Namespace) -> int:
    qa = _qa(args)
    report = qa.refresh(force=True)
    for warning in qa.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"{len(qa.index.articles)} articles, {len(qa.index)} passages in "
        f"{qa.settings.store or qa.settings.index_dir} "
        f"({len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed)."
    )
    return 0 if qa.index.articles else 1


def cmd_add(args: argparse.Namespace) -> int:
    qa = _qa(args)
    failed = 0
    for link in args.links:
        try:
            added = qa.add_link(link)
        except ArticleRejected as exc:
            print(f"not added: {exc}", file=sys.stderr)
            failed += 1
            continue
        said = ", ".join(filter(None, (added.outlet, display_date(added.date))))
        print(
            f"added {added.source}: {added.title}{f' ({said})' if said else ''}, "
            f"{added.count} passage{'s' if added.count != 1 else ''}"
        )
    return 1 if failed else 0


def cmd_ask(args: argparse.Namespace) -> int:
    qa = _qa(args)
    history = [tuple(pair.split("|||", 1)) for pair in args.history or []]
    printed = False
    for update in qa.stream(args.question, history):  # type: ignore[arg-type]
        if update.kind == "status":
            print(update.text, file=sys.stderr)
        elif update.kind == "answer":
            result = update.answer
            print(("\n" if printed else "") + result.text)
            if result.grade == "unsure":
                print("(not sure: check the quote below before relying on it)")
            for c in result.citations:
                said = "".join(f"{part}, " for part in (c.outlet, display_date(c.date)) if part)
                print(f"\n[{c.number}] {c.title} ({said}{c.source}, characters {c.start}-{c.end})")
                print(f"    {c.quote}")
            return 0
        elif update.kind == "token" and args.stream:
            print(update.text, end="", flush=True, file=sys.stderr)
            printed = True
    return 1


def cmd_eval(args: argparse.Namespace) -> int:
    items = evaluation.load_items(args.qa_file)
    qa = _qa(args)
    print(f"Evaluating {len(items)} questions from {args.qa_file} on {qa.settings.articles_dir}")
    print(machine.describe())
    results, figures = evaluation.evaluate(
        qa, items, on_result=lambda r: print(eval_report.result_line(r), flush=True)
    )
    print()
    print(eval_report.summary_table(figures))
    print()
    print(eval_report.kind_table(evaluation.by_kind(results)))
    calibrator = qa.calibrator
    if calibrator is not None:
        threshold = qa.settings.min_confidence
        threshold = calibrator.threshold if threshold < 0 else threshold
        print(f"\nRisk and coverage by confidence threshold (answering at {threshold:.2f}):")
        print(eval_report.risk_coverage_table(evaluation.risk_coverage(results)))
    if args.json:
        eval_report.write_json(args.json, results, figures)
        print(f"\nWrote {args.json}")
    misses = evaluation.below_bar(figures)
    for miss in misses:
        print(f"below the bar: {miss}")
    return 1 if args.check and misses else 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    results = [r for path in args.reports for r in eval_report.read_results(path)]
    drafts = [r for r in results if r.signals]
    right = sum(r.draft_correct for r in drafts)
    if min(right, len(drafts) - right) < 5:
        print("error: the reports need at least 5 right and 5 wrong cited drafts", file=sys.stderr)
        return 2
    calibrator = Calibrator.fit(
        [r.signals for r in drafts],
        [r.draft_correct for r in drafts],
        strength=args.strength,
        target=args.target,
        features=tuple(args.features.split(",")) if args.features else FITTED,
        unsure_target=args.unsure_target,
        boosted=args.boosted,
    )
    calibrator.save(args.out, fitted_on=[str(p) for p in args.reports], drafts=len(drafts))
    if not calibrator.trees:
        for name, weight in sorted(zip(calibrator.features, calibrator.weights, strict=True)):
            print(f"{name:22} {weight:+.3f}")
    print(
        f"thresholds: confident {calibrator.threshold:.2f}, unsure "
        f"{calibrator.unsure_threshold:.2f}; fitted on {len(drafts)} cited drafts"
    )
    print(f"Wrote {args.out}")
    thresholds = tuple(sorted({*evaluation.THRESHOLDS, calibrator.threshold}))
    reports = {}
    for path in [*args.reports, *args.check]:
        rescored = eval_report.with_confidence(eval_report.read_results(path), calibrator)
        reports[f"{path}{' (held out)' if path in args.check else ''}"] = rescored
        print(f"\n{path}{' (held out)' if path in args.check else ''}:")
        print(eval_report.risk_coverage_table(evaluation.risk_coverage(rescored, thresholds)))
    print("\nAUROC, right against wrong cited drafts (each signal alone; below 0.5: inverted):")
    print(eval_report.separation_table(reports, calibrator.features))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from .ui import main as chat

    chat(args.rest)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa", description=__doc__)
    parser.add_argument("--articles", help="articles folder (default: seeds/)")
    parser.add_argument("--index", help="index folder (default: index/)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="build or update the index")
    p.add_argument("folder", nargs="?", help="articles folder (default: seeds/)")
    p.add_argument(
        "--store", help="a Milvus Lite .db path or a Milvus URI (default: FAISS in index/)"
    )
    p.set_defaults(func=cmd_index)
    p = sub.add_parser("add", help="fetch web pages or copy files into the articles, and index")
    p.add_argument("links", nargs="+", metavar="URL-or-FILE", help="an http(s) address or a path")
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("ask", help="answer one question and print its sources")
    p.add_argument("question")
    p.add_argument("--history", action="append", metavar="Q|||A", help="an earlier exchange")
    p.add_argument("--stream", action="store_true", help="show the draft as it is generated")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("eval", help="measure answer quality on a JSONL question file")
    p.add_argument("qa_file", metavar="QA_FILE.jsonl")
    p.add_argument("--articles", dest="eval_articles", help="articles folder (default: seeds/)")
    p.add_argument("--json", metavar="OUT.json", help="also write every result and the metrics")
    p.add_argument("--check", action="store_true", help="exit 1 when a metric misses the bar")
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("calibrate", help="fit the confidence calibrator on eval --json reports")
    p.add_argument("reports", nargs="+", metavar="REPORT.json")
    p.add_argument("--out", default=str(PACKAGED), help="where to write it (default: packaged)")
    p.add_argument("--target", type=float, default=0.90, help="answered precision to aim for")
    p.add_argument("--strength", type=float, default=0.1, help="inverse L2 penalty (C)")
    p.add_argument("--features", help="comma-separated signals (default: confidence.FITTED)")
    p.add_argument("--boosted", action="store_true", help="gradient-boosted trees, not logistic")
    p.add_argument(
        "--unsure-target", type=float, default=0.5, help="share right among unsure replies"
    )
    p.add_argument(
        "--check", nargs="*", default=[], metavar="REPORT.json", help="held-out reports to score"
    )
    p.set_defaults(func=cmd_calibrate)
    p = sub.add_parser("chat", help="start the web chat (same options as ui.py)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_chat)
    args = parser.parse_args(argv)
    args.articles = (
        getattr(args, "folder", None) or getattr(args, "eval_articles", None) or args.articles
    )
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        return args.func(args)
    except (ModelUnavailable, FileNotFoundError, evaluation.EvalFileError, SettingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
