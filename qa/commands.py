"""What each command of `python -m qa` does (see `__main__.py` for their options): build the
index, add articles and follow feeds, answer, evaluate, fit a calibrator, serve the reader."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

from . import calibrators, devrun, eval_report, evaluation, feeds, machine, metrics
from .confidence import FITTED, Calibrator
from .converters import display_date
from .feeds import Poll
from .library import ArticleRejected
from .pipeline import QA
from .settings import Settings


def _progress(message: str) -> None:
    print(message, flush=True)


def _qa(args: argparse.Namespace) -> QA:
    settings = Settings.from_env(store=getattr(args, "store", None))
    return QA(args.articles, args.index, settings, progress=_progress)


def cmd_index(args: argparse.Namespace) -> int:
    qa = _qa(args)
    report = qa.refresh(force=True)
    for done in qa.feeds.poll() if qa.settings.watch_folder else []:  # see "News feeds"
        print(f"{done.feed}: {feeds.describe(done)}")
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
        if isinstance(added, Poll):
            print(f"following the feed {link}: {feeds.describe(added)}")
            for source in added.added:
                print(f"added {source}")
            continue
        said = ", ".join(filter(None, (added.outlet, display_date(added.date))))
        print(
            f"added {added.source}: {added.title}{f' ({said})' if said else ''}, "
            f"{added.count} passage{'s' if added.count != 1 else ''}"
        )
    return 1 if failed else 0


def cmd_feeds(args: argparse.Namespace) -> int:
    qa = _qa(args)
    if args.remove:
        deleted = qa.feeds.remove(args.remove, args.delete_articles)
        kept = "its articles deleted" if args.delete_articles else "its articles kept"
        print(
            f"no longer following {args.remove} ({kept}{': ' if deleted else ''}"
            f"{', '.join(deleted)})"
        )
        return 0
    if args.poll:
        for done in qa.feeds.poll():
            print(f"{done.feed}: {feeds.describe(done)}")
            for source in done.added:
                print(f"  added {source}")
    followed = qa.feeds.list()
    if not followed:
        print("No feeds followed: `python -m qa add FEED_URL` follows one.")
    for feed in followed:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(feed.last_poll))
        print(
            f"{feed.url}  {feed.title or '(untitled)'}: {feed.pages} pages, last polled "
            f"{when if feed.last_poll else 'never'}"
            + (f", last error: {feed.last_error}" if feed.last_error else "")
        )
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    qa = _qa(args)
    loaded = qa.load_reader_aside()  # while the index is brought up to date
    try:
        return _ask(qa, args)
    finally:
        with contextlib.suppress(Exception):  # a failure was the answer's to report
            loaded()  # never exit mid-load: the model's assembly would be left half written


def _ask(qa: QA, args: argparse.Namespace) -> int:
    history = [tuple(pair.split("|||", 1)) for pair in args.history or []]
    printed = False
    for update in qa.stream(args.question, history):  # type: ignore[arg-type]
        if update.kind == "status":
            print(update.text, file=sys.stderr)
        elif update.kind == "answer":
            result = update.answer
            if result.reason == "reader_unavailable":
                print(f"error: {result.text}", file=sys.stderr)
                return 2
            for note in qa.answerer.notes:
                print(f"note: {note}", file=sys.stderr)
            print(("\n" if printed else "") + result.text)
            if result.grade == "unsure":
                print("(not sure: check the quote below before relying on it)")
            for c in result.citations:
                said = "".join(f"{part}, " for part in (c.outlet, display_date(c.date)) if part)
                where = f"{c.source}, {f'page {c.page}, ' if c.page else ''}characters"
                print(f"\n[{c.number}] {c.title} ({said}{where} {c.start}-{c.end})")
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
    for note in qa.answerer.notes:
        print(f"note: {note}")
    results, figures = evaluation.evaluate(
        qa, items, on_result=lambda r: print(eval_report.result_line(r), flush=True)
    )
    print()
    print(eval_report.summary_table(figures))
    print()
    print(eval_report.kind_table(metrics.by_kind(results)))
    calibrator = qa.calibrator
    if calibrator is not None:
        threshold = qa.settings.min_confidence
        threshold = calibrator.threshold if threshold < 0 else threshold
        print(f"\nRisk and coverage by confidence threshold (answering at {threshold:.2f}):")
        print(eval_report.risk_coverage_table(metrics.risk_coverage(results)))
    if args.json:
        reader = calibrators.reader_identity(qa.settings)
        eval_report.write_json(args.json, results, figures, reader)
        print(f"\nWrote {args.json}")
    misses = metrics.below_bar(figures)
    for miss in misses:
        print(f"below the bar: {miss}")
    return 1 if args.check and misses else 0


def _fitting_reports(args: argparse.Namespace, settings: Settings) -> dict | None:
    """The results to fit on, by report: the dev sets run now, or `eval --json` reports made
    with the configured reader. None, with a message, when there are none such."""
    if args.dev:
        runs = devrun.run(settings, _progress, fresh=args.fresh)
        return {f"{name} (dev)": results for name, results in runs.items()}
    if not args.reports:
        print("error: give eval --json reports, or --dev to run the dev sets", file=sys.stderr)
        return None
    reader = calibrators.reader_identity(settings)
    for path in args.reports:
        identity = eval_report.reader_of(path)
        if identity and identity != reader:
            print(
                f"error: {path} was made with the reader {identity}, not the one configured "
                f"({reader}): set QA_READER_MODEL (and QA_READER_URL) as for that run",
                file=sys.stderr,
            )
            return None
    return {p: eval_report.read_results(p) for p in args.reports}


def cmd_calibrate(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    reports = _fitting_reports(args, settings)
    if reports is None:
        return 2
    drafts = [r for results in reports.values() for r in results if r.signals]
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
    out = calibrators.save(
        calibrator,
        settings,
        Path(args.out) if args.out else None,
        fitted_on=list(reports),
        drafts=len(drafts),
        rule=f"lowest confident threshold with answered precision >= {args.target:.2f} "
        "on the dev drafts' out-of-fold probabilities",
    )
    if not calibrator.trees:
        for name, weight in sorted(zip(calibrator.features, calibrator.weights, strict=True)):
            print(f"{name:22} {weight:+.3f}")
    print(
        f"thresholds: confident {calibrator.threshold:.2f}, unsure "
        f"{calibrator.unsure_threshold:.2f}; fitted on {len(drafts)} cited drafts"
    )
    print(f"Wrote {out}")
    thresholds = tuple(sorted({*metrics.THRESHOLDS, calibrator.threshold}))
    for path in args.check:
        reports[f"{path} (held out)"] = eval_report.read_results(path)
    scored = {name: eval_report.with_confidence(r, calibrator) for name, r in reports.items()}
    for name, results in scored.items():
        print(f"\n{name}:")
        print(eval_report.risk_coverage_table(metrics.risk_coverage(results, thresholds)))
    print("\nAs graded at these thresholds (each draft shown in the runs):")
    regraded = {name: eval_report.regraded(r, calibrator) for name, r in reports.items()}
    print(eval_report.grade_table(regraded))
    print("\nAUROC, right against wrong cited drafts (each signal alone; below 0.5: inverted):")
    print(eval_report.separation_table(scored, calibrator.features))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .models import reader_gguf
    from .readers.engine import serve

    settings = Settings.from_env()
    gguf = reader_gguf(settings.reader_model, settings.cache_dir, _progress)
    serve(settings, gguf, args.host, args.port, _progress)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from .ui import main as chat

    chat(args.rest)
    return 0
