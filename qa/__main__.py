"""Command line: `python -m qa index [FOLDER]`, `python -m qa ask "..."`, `python -m qa chat`."""

from __future__ import annotations

import argparse
import logging
import runpy
import sys

from .models import ModelUnavailable
from .pipeline import QA
from .settings import ROOT


def _qa(args: argparse.Namespace) -> QA:
    return QA(articles_dir=args.articles, index_dir=args.index, progress=print)


def cmd_index(args: argparse.Namespace) -> int:
    qa = _qa(args)
    report = qa.refresh(force=True)
    for warning in qa.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"{len(qa.index.articles)} articles, {len(qa.index)} passages in {qa.settings.index_dir} "
        f"({len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed)."
    )
    return 0 if qa.index.articles else 1


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
            for c in result.citations:
                print(f"\n[{c.number}] {c.title} ({c.source}, characters {c.start}-{c.end})")
                print(f"    {c.quote}")
            return 0
        elif update.kind == "token" and args.stream:
            print(update.text, end="", flush=True, file=sys.stderr)
            printed = True
    return 1


def cmd_chat(args: argparse.Namespace) -> int:
    sys.argv = ["ui.py", *args.rest]
    runpy.run_path(str(ROOT / "ui.py"), run_name="__main__")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa", description=__doc__)
    parser.add_argument("--articles", help="articles folder (default: seeds/)")
    parser.add_argument("--index", help="index folder (default: index/)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="build or update the index")
    p.add_argument("folder", nargs="?", help="articles folder (default: seeds/)")
    p.set_defaults(func=cmd_index)
    p = sub.add_parser("ask", help="answer one question and print its sources")
    p.add_argument("question")
    p.add_argument("--history", action="append", metavar="Q|||A", help="an earlier exchange")
    p.add_argument("--stream", action="store_true", help="show the draft as it is generated")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("chat", help="start the web chat (same options as ui.py)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_chat)
    args = parser.parse_args(argv)
    if getattr(args, "folder", None):
        args.articles = args.folder
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        return args.func(args)
    except (ModelUnavailable, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
