"""The web chat: a Gradio app over the same pipeline as `qa.answer`.

    python ui.py [--host 127.0.0.1] [--port 7860] [--articles seeds] [--index index] [--store URI]

Chat tab: the retrieved passages show at once, then the answer streams in above them; each `[n]`
links to its source (title, file, the quote highlighted in its passage). Articles tab: what is
indexed, with upload, paste and remove; the index updates in place and the next question sees
it. Answers are generated one at a time (`QA_CHAT_CONCURRENCY`); other questions wait in
Gradio's queue, which shows each its position.
"""

from __future__ import annotations

import argparse
import html
import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from qa import QA
from qa.answers import Answer, Citation
from qa.index import IndexWriteError
from qa.library import ArticleRejected
from qa.retrieval import Passage
from qa.settings import Settings

log = logging.getLogger(__name__)

EXAMPLES = [
    "Where did Jake Sullivan and Wang Yi hold talks?",
    "What did Elon Musk say about the TikTok ban?",
    "What share of global GDP do APEC economies account for?",
]
SOURCES_CLASS = "qa-sources"  # the answer text of a chat message is everything before this
# Failures of adding or removing an article that the user is told about, not crashes.
USER_ERRORS = (ArticleRejected, IndexWriteError, OSError)
CONTEXT_CHARS = 280  # surrounding text shown on each side of a quote
CSS = """
.qa-sources { margin-top: .8em; font-size: .92em; border-top: 1px solid #ddd; padding-top: .4em; }
.qa-source { margin: .5em 0; }
.qa-source blockquote { margin: .2em 0 0 .6em; padding-left: .6em; border-left: 3px solid #ccc; }
.qa-source mark { background: #ffe58a; }
.qa-cursor { opacity: .6; }
"""
# HTML, Markdown and LaTeX syntax characters, written as HTML entities so that text from an
# article or the model is shown exactly as written and never formatted or run.
_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+|~$!"})


def _escape(text: str) -> str:
    """Article and model text shown as text, on one line: no HTML or Markdown from it runs."""
    return " ".join(text.split()).translate(_ENTITIES)


def _link_markers(text: str, turn: int) -> str:
    """The answer text, escaped, with each `[n]` a link to its source below."""
    parts = re.split(r"\[(\d+)\]", text)
    out = [
        _escape(p) if i % 2 == 0 else f'<a href="#src-{turn}-{p}">[{p}]</a>'
        for i, p in enumerate(parts)
    ]
    return "".join(out)


def _in_context(c: Citation, passages: list[Passage]) -> str:
    """The quote highlighted inside the sentences around it, from the passage that holds it."""
    for p in passages:
        chunk = p.chunk
        if chunk.source == c.source and chunk.start <= c.start and c.end <= chunk.end:
            before = chunk.text[: c.start - chunk.start][-CONTEXT_CHARS:]
            after = chunk.text[c.end - chunk.start :][:CONTEXT_CHARS]
            return f"{_escape(before)} <mark>{_escape(c.quote)}</mark> {_escape(after)}"
    return f"<mark>{_escape(c.quote)}</mark>"


def render_sources(answer: Answer, turn: int) -> str:
    items = [
        f'<div class="qa-source" id="src-{turn}-{c.number}"><b>[{c.number}]</b> '
        f"<i>{_escape(c.title)}</i> — <code>{_escape(c.source)}</code> "
        f"(characters {c.start}–{c.end})<blockquote>{_in_context(c, answer.passages)}"
        "</blockquote></div>"
        for c in answer.citations
    ]
    return f'<div class="{SOURCES_CLASS}"><b>Sources</b>{"".join(items)}</div>'


def render_passages(passages: list[Passage]) -> str:
    """What the reader is reading, shown while it writes."""
    items = [
        f'<div class="qa-source"><b>{n}.</b> <i>{_escape(p.chunk.title)}</i> — '
        f"<code>{_escape(p.chunk.source)}</code><blockquote>{_escape(p.chunk.text[:300])}"
        f"{'…' if len(p.chunk.text) > 300 else ''}</blockquote></div>"
        for n, p in enumerate(passages, 1)
    ]
    return f'<div class="{SOURCES_CLASS}"><b>Reading these passages</b>{"".join(items)}</div>'


def render_answer(answer: Answer, turn: int = 1) -> str:
    text = f"<div>{_link_markers(answer.text, turn)}</div>"
    return text + render_sources(answer, turn) if answer.citations else text


def render_draft(draft: str, note: str, passages: list[Passage]) -> str:
    head = f"<div><i>{_escape(note)}</i></div>" if note else ""
    body = f'<div>{_escape(draft)}<span class="qa-cursor"> ▌</span></div>' if draft else ""
    return head + body + (render_passages(passages) if passages else "")


def _plain(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_plain(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return ""


def history_pairs(history: list[dict]) -> list[tuple[str, str]]:
    """Chat messages -> (question, answer) pairs of plain text, without the sources."""
    pairs: list[tuple[str, str]] = []
    question = None
    for message in history or []:
        role, text = message.get("role"), _plain(message.get("content"))
        if role == "user":
            question = text
        elif role == "assistant" and question is not None:
            pairs.append((question, plain_answer(text)))
            question = None
    return pairs


def plain_answer(message: str) -> str:
    """A rendered answer as the text a person reads, without the sources under it."""
    text = message.split(f'<div class="{SOURCES_CLASS}"')[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


class WarmUp:
    """Indexes and loads the reader in the background so the page opens at once; remembers a
    failure so the status line can show it."""

    def __init__(self, qa: QA):
        self.qa = qa
        self.error: str | None = None
        self.thread = threading.Thread(target=self._run, daemon=True, name="warm-up")

    def _run(self) -> None:
        try:
            self.qa.warm_up()
        except Exception as exc:
            log.exception("Warm-up failed")
            self.error = str(exc)

    def status(self) -> tuple[str, bool]:
        """The status line, and whether it is final."""
        qa = self.qa
        if self.error:
            return f"Could not start: {_escape(self.error)}", True
        if not qa.index_loaded:
            return "Indexing the articles…", False
        articles = f"{len(qa.index.articles)} articles, {len(qa.index):,} passages indexed"
        warnings = "".join(f"<br>Warning: {_escape(w)}" for w in qa.warnings)
        if not qa.reader.loaded:
            return f"Loading the reader model… ({articles}){warnings}", False
        return f"Ready: {articles}.{warnings}", True


def _passages(n: int) -> str:
    return f"{n} passage" if n == 1 else f"{n} passages"


def article_rows(qa: QA) -> list[list[object]]:
    return [
        [
            a.title,
            a.source,
            a.count,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(a.indexed_at)),
        ]
        for a in qa.articles()
    ]


def build_app(qa: QA, warm_up: bool = True) -> gr.Blocks:
    warm = WarmUp(qa)
    if warm_up:
        warm.thread.start()

    def respond(message: str, history: list[dict]) -> Iterator[tuple[list[dict], str]]:
        pairs = history_pairs(history)
        turn = len(pairs) + 1
        chat = [*history, {"role": "user", "content": message}]
        reply = {"role": "assistant", "content": ""}
        draft, passages, note = "", [], "Searching the articles…"
        try:
            for update in qa.stream(message, pairs):
                if update.kind == "status":
                    note = update.text
                elif update.kind == "sources":
                    passages, note = update.passages, "Writing the answer…"
                elif update.kind == "token":
                    note, draft = "", draft + update.text
                elif update.kind == "answer":
                    assert update.answer is not None
                    reply["content"] = render_answer(update.answer, turn)
                    yield [*chat, reply], ""
                    return
                reply["content"] = render_draft(draft, note, passages)
                yield [*chat, reply], ""
        except Exception as exc:  # the chat reports the failure instead of hanging
            log.exception("Answering failed")
            reply["content"] = f"Sorry, something went wrong: {_escape(str(exc))}"
            yield [*chat, reply], ""

    def status_line():
        text, final = warm.status()
        return text, gr.Timer(active=not final)

    def table_and_choices(message: str):
        rows = article_rows(qa)
        choices = [row[1] for row in rows]
        return message, rows, gr.Dropdown(choices=choices, value=[]), warm.status()[0]

    def add_files(files: list[str] | None):
        results = []
        for path in files or []:
            name = Path(path).name
            try:
                if Path(path).stat().st_size > qa.settings.max_upload_bytes:
                    raise ArticleRejected(
                        f"{name}: over the {qa.settings.max_upload_bytes / 1e6:g} MB limit."
                    )
                added = qa.add_article(name, Path(path).read_bytes())
                results.append(f"Added {_escape(added.source)} ({_passages(added.count)}).")
            except USER_ERRORS as exc:
                results.append(f"Not added: {_escape(str(exc))}")
        return (*table_and_choices("<br>".join(results) or "Choose files first."), None)

    def add_text(title: str, text: str):
        try:
            added = qa.add_text(title, text)
        except USER_ERRORS as exc:
            return (*table_and_choices(f"Not added: {_escape(str(exc))}"), title, text)
        return (
            *table_and_choices(f"Added {_escape(added.source)} ({_passages(added.count)})."),
            "",
            "",
        )

    def remove(sources: list[str] | None):
        results = []
        for source in sources or []:
            try:
                qa.remove_article(source)
                results.append(f"Removed {_escape(source)}.")
            except USER_ERRORS as exc:
                results.append(f"Not removed: {_escape(str(exc))}")
        return table_and_choices("<br>".join(results) or "Choose articles to remove first.")

    folder = _escape(qa.settings.articles_dir.name)
    with gr.Blocks(title="Article QA", fill_height=True) as app:
        gr.Markdown(
            "# Article QA\n"
            f"Ask questions about the articles in `{folder}/`. Every answer cites the exact "
            "passage it comes from; when the articles do not say, the bot says so."
        )
        status = gr.Markdown(elem_id="status")
        timer = gr.Timer(1.0)
        with gr.Tab("Chat"):
            chatbot = gr.Chatbot(elem_id="chat", height=520, label="Chat", show_label=False)
            with gr.Row():
                box = gr.Textbox(
                    placeholder="Ask about the articles…",
                    show_label=False,
                    scale=8,
                    elem_id="question",
                    max_lines=6,
                )
                ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            gr.Examples(EXAMPLES, inputs=[box], label="Try")
            clear = gr.Button("Clear chat", size="sm", elem_id="clear")
        with gr.Tab("Articles", elem_id="articles-tab"):
            message = gr.Markdown(elem_id="articles-message")
            table = gr.Dataframe(
                headers=["Title", "File", "Passages", "Indexed"],
                interactive=False,
                elem_id="articles",
                wrap=True,
                column_widths=["44%", "36%", "10%", "10%"],
            )
            with gr.Row():
                with gr.Column():
                    upload = gr.File(
                        label="Upload .txt or .md files",
                        file_count="multiple",
                        file_types=[".txt", ".md"],
                        type="filepath",
                    )
                    add_files_btn = gr.Button("Add files", elem_id="add-files")
                with gr.Column():
                    title = gr.Textbox(label="Title", elem_id="new-title")
                    text = gr.Textbox(label="Article text", lines=6, elem_id="new-text")
                    add_text_btn = gr.Button("Add text", elem_id="add-text")
            with gr.Row():
                picked = gr.Dropdown(label="Remove articles", multiselect=True, scale=4)
                remove_btn = gr.Button("Remove", variant="stop", scale=1, elem_id="remove")

        chat_events = {
            "fn": respond,
            "inputs": [box, chatbot],
            "outputs": [chatbot, box],
            "concurrency_limit": qa.settings.chat_concurrency,
            "concurrency_id": "answer",
        }
        box.submit(api_name="chat", **chat_events)
        ask.click(api_visibility="private", **chat_events)
        clear.click(lambda: ([], ""), outputs=[chatbot, box], api_visibility="private")
        timer.tick(status_line, outputs=[status, timer], api_visibility="private")
        app.load(status_line, outputs=[status, timer], api_visibility="private")
        tables = [message, table, picked, status]
        app.load(lambda: table_and_choices(""), outputs=tables, api_visibility="private")
        add_files_btn.click(add_files, [upload], [*tables, upload], api_name="add_files")
        add_text_btn.click(add_text, [title, text], [*tables, title, text], api_name="add_text")
        remove_btn.click(remove, [picked], tables, api_name="remove")
    return app


def launch(app: gr.Blocks, qa: QA, host: str = "127.0.0.1", port: int = 7860, **options) -> None:
    """Serve the app: a queue in front of every event, the upload limit, the page's CSS."""
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=host,
        server_port=port,
        max_file_size=qa.settings.max_upload_bytes,
        css=CSS,
        **options,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Chat with your articles in the browser.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--articles", help="articles folder (default: seeds/)")
    parser.add_argument("--index", help="index folder (default: index/)")
    parser.add_argument("--store", help="a Milvus Lite .db path or Milvus URI (default: FAISS)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings.from_env(store=args.store)
    qa = QA(args.articles, args.index, settings, progress=print)
    launch(build_app(qa), qa, args.host, args.port, inbrowser=not args.no_browser)


if __name__ == "__main__":
    main()
