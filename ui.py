"""The web chat: a Gradio ChatInterface over the same pipeline as `qa.answer`.

    python ui.py [--host 127.0.0.1] [--port 7860] [--articles seeds] [--index index]

Answers stream in; the supporting quotes (title, file, quote) are shown under each answer.
"""

from __future__ import annotations

import argparse
import html
import logging
import threading
from collections.abc import Iterator

import gradio as gr

from qa import QA
from qa.answers import Answer
from qa.retrieval import Passage

SOURCES_HEADING = "**Sources**"
EXAMPLES = [
    "Where did Jake Sullivan and Wang Yi hold talks?",
    "What did Elon Musk say about the TikTok ban?",
    "What share of global GDP do APEC economies account for?",
]


def _escape(text: str) -> str:
    """Article text is shown as text: no HTML or Markdown from an article ever runs."""
    escaped = html.escape(text, quote=False)
    return "".join("\\" + c if c in "\\`*_{}[]<>#|~" else c for c in escaped)


def render_sources(answer: Answer) -> str:
    lines = [SOURCES_HEADING]
    for c in answer.citations:
        lines.append(
            f"[{c.number}] *{_escape(c.title)}* — `{c.source}` (characters {c.start}–{c.end})\n"
            f"> {_escape(c.quote)}"
        )
    return "\n\n".join(lines)


def render_passages(passages: list[Passage]) -> str:
    lines = ["**Searching these passages**"]
    for n, p in enumerate(passages, 1):
        lines.append(f"{n}. *{_escape(p.chunk.title)}* — `{p.chunk.source}`")
    return "\n".join(lines)


def render_answer(answer: Answer) -> str:
    if not answer.citations:
        return _escape(answer.text)
    return f"{_escape(answer.text)}\n\n{render_sources(answer)}"


def history_pairs(history: list[dict]) -> list[tuple[str, str]]:
    """Gradio's openai-style messages -> (question, answer) pairs without the sources block."""

    def text_of(content: object) -> str:
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return " ".join(text_of(part) for part in content)
        if isinstance(content, dict):
            return str(content.get("text", ""))
        return ""

    pairs: list[tuple[str, str]] = []
    question = None
    for message in history or []:
        role, text = message.get("role"), text_of(message.get("content"))
        if role == "user":
            question = text
        elif role == "assistant" and question is not None:
            pairs.append((question, text.split(SOURCES_HEADING)[0].strip()))
            question = None
    return pairs


def build_app(qa: QA) -> gr.ChatInterface:
    def respond(message: str, history: list[dict]) -> Iterator[str]:
        draft, passages, status = "", "", ""
        try:
            for update in qa.stream(message, history_pairs(history)):
                if update.kind == "status":
                    status = f"_{update.text}_"
                elif update.kind == "sources":
                    passages = render_passages(update.passages)
                elif update.kind == "token":
                    status = ""
                    draft += update.text
                elif update.kind == "answer":
                    yield render_answer(update.answer)
                    return
                yield "\n\n".join(x for x in (status, _escape(draft), passages) if x)
        except Exception as exc:  # the chat reports the failure instead of hanging
            logging.getLogger(__name__).exception("Answering failed")
            yield f"Sorry, something went wrong: {_escape(str(exc))}"

    return gr.ChatInterface(
        fn=respond,
        title="Article QA",
        description=(
            f"Ask questions about the articles in `{qa.settings.articles_dir.name}/`. "
            "Every answer cites the exact passage it comes from; when the articles do not say, "
            "the bot says so. The first answer waits for the reader model to load."
        ),
        examples=EXAMPLES,
        api_name="chat",
        fill_height=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Chat with your articles in the browser.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--articles", help="articles folder (default: seeds/)")
    parser.add_argument("--index", help="index folder (default: index/)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    qa = QA(articles_dir=args.articles, index_dir=args.index, progress=print)
    # Index and load the model in the background so the page opens at once.
    threading.Thread(target=qa.warm_up, daemon=True).start()
    app = build_app(qa)
    app.queue(default_concurrency_limit=4)
    app.launch(server_name=args.host, server_port=args.port, inbrowser=not args.no_browser)


if __name__ == "__main__":
    main()
