"""Command line: `python -m qa index [FOLDER]`, `add URL-or-FILE`, `feeds`, `ask "..."`,
`eval QA_FILE.jsonl`, `calibrate`, `serve`, `chat` (the commands are in `commands.py`)."""

from __future__ import annotations

import argparse
import logging
import sys

from . import commands, evaluation
from .library import ArticleRejected
from .models import ModelUnavailable
from .readers import ReaderUnavailable
from .settings import SettingError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa", description=__doc__)
    parser.add_argument("--articles", help="articles folder (default: seeds/)")
    parser.add_argument("--index", help="index folder (default: index/)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="build or update the index")
    p.add_argument("folder", nargs="?", help="articles folder (default: seeds/)")
    p.add_argument(
        "--store", help="a Milvus Lite .db path or a Milvus URI (default: FAISS in index/)"
    )
    p.set_defaults(func=commands.cmd_index)
    p = sub.add_parser(
        "add", help="fetch web pages or PDFs, follow feeds, or copy files into the articles"
    )
    p.add_argument(
        "links",
        nargs="+",
        metavar="URL-or-FILE",
        help="an http(s) address (a page, PDF or RSS/Atom feed) or a path",
    )
    p.set_defaults(func=commands.cmd_add)
    p = sub.add_parser("feeds", help="list the followed news feeds, poll or remove them")
    p.add_argument("--poll", action="store_true", help="poll each followed feed once now")
    p.add_argument("--remove", metavar="FEED_URL", help="stop following a feed")
    p.add_argument(
        "--delete-articles", action="store_true", help="with --remove: delete its articles too"
    )
    p.set_defaults(func=commands.cmd_feeds)
    p = sub.add_parser("ask", help="answer one question and print its sources")
    p.add_argument("question")
    p.add_argument("--history", action="append", metavar="Q|||A", help="an earlier exchange")
    p.add_argument("--stream", action="store_true", help="show the draft as it is generated")
    p.set_defaults(func=commands.cmd_ask)
    p = sub.add_parser("eval", help="measure answer quality on a JSONL question file")
    p.add_argument("qa_file", metavar="QA_FILE.jsonl")
    p.add_argument("--articles", dest="eval_articles", help="articles folder (default: seeds/)")
    p.add_argument("--json", metavar="OUT.json", help="also write every result and the metrics")
    p.add_argument("--check", action="store_true", help="exit 1 when a metric misses the bar")
    p.set_defaults(func=commands.cmd_eval)
    _calibrate(sub)
    p = sub.add_parser("serve", help="serve the reader engine over HTTP (QA_READER_URL)")
    p.add_argument("--host", default="127.0.0.1", help="0.0.0.0 serves other machines")
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(func=commands.cmd_serve)
    p = sub.add_parser("chat", help="start the web chat (same options as ui.py)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=commands.cmd_chat)
    return parser


def _calibrate(sub) -> None:
    """The `calibrate` command's options."""
    p = sub.add_parser(
        "calibrate", help="fit the reader's confidence calibrator on its dev answers"
    )
    p.add_argument("reports", nargs="*", metavar="REPORT.json", help="eval --json reports")
    p.add_argument("--dev", action="store_true", help="run the packaged dev sets (resumable)")
    p.add_argument("--fresh", action="store_true", help="with --dev: ask every question again")
    p.add_argument("--out", help="where to write it (default: the cache, where the app looks)")
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
    p.set_defaults(func=commands.cmd_calibrate)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.articles = (
        getattr(args, "folder", None) or getattr(args, "eval_articles", None) or args.articles
    )
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        return args.func(args)
    except (
        ModelUnavailable,
        FileNotFoundError,
        evaluation.EvalFileError,
        SettingError,
        ReaderUnavailable,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ArticleRejected as exc:  # a feed to remove that is not followed, say
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
