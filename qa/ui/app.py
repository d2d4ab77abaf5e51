"""The web chat: a Gradio app over the same pipeline as `qa.answer`, with a Chat and an
Articles tab (see chat.py and articles.py). `ui.py` at the top level starts it.

    python ui.py [--host 127.0.0.1] [--port 7860] [--articles seeds] [--index index] [--store URI]
"""

from __future__ import annotations

import argparse
import html
import logging
import threading

import gradio as gr

from ..pipeline import QA
from ..readers import ReaderUnavailable
from ..settings import SettingError, Settings
from .articles import articles_tab
from .chat import chat_tab
from .render import CSS, HEAD, escape

log = logging.getLogger(__name__)


class WarmUp:
    """Indexes and loads the reader in the background so the page opens at once; remembers a
    failure so the status line can show it."""

    def __init__(self, qa: QA):
        self.qa = qa
        self.error: str | None = None
        self.reader_error: str | None = None  # a reader server not answering: asked again
        self.indexed = False
        self.thread = threading.Thread(target=self._run, daemon=True, name="warm-up")

    def _run(self) -> None:
        try:
            loaded = self.qa.load_reader_aside()
            self.qa.refresh()
            self.indexed = True
            loaded()
        except ReaderUnavailable as exc:  # each question tries the server again
            self.reader_error = str(exc)
        except Exception as exc:
            log.exception("Warm-up failed")
            self.error = str(exc)

    def status(self) -> tuple[str, bool]:
        """The status line, and whether it is final."""
        qa = self.qa
        if self.error:
            return f"Could not start: {escape(self.error)}", True
        if not self.indexed:
            return "Indexing the articles…", False
        articles = f"{len(qa.index.articles)} articles, {len(qa.index):,} passages indexed"
        warnings = "".join(f"<br>Warning: {escape(w)}" for w in qa.warnings)
        if self.reader_error and not qa.reader.loaded:
            return f"{articles}.<br>Warning: {escape(self.reader_error)}{warnings}", True
        if not qa.reader.loaded:
            return f"Loading the reader model… ({articles}){warnings}", False
        notes = "".join(f"<br>Note: {escape(n)}" for n in qa.answerer.notes)
        return f"Ready: {articles}.{warnings}{notes}", True


def build_app(qa: QA) -> gr.Blocks:
    """The page; indexing, the reader load and feed polling start in the background at once."""
    warm = WarmUp(qa)
    warm.thread.start()
    if qa.settings.watch_folder:  # this process keeps the index: it polls the followed feeds
        qa.feeds.start()

    def status_line():
        text, final = warm.status()
        return text, gr.Timer(active=not final)

    folder = html.escape(qa.settings.articles_dir.name)
    with gr.Blocks(title="Article QA", fill_height=True) as app:
        gr.HTML(
            "<h1>Article QA</h1>"
            f"<p>Ask questions about the articles in <code>{folder}/</code>. Every answer cites "
            "the exact passage it comes from; when the articles do not say, the bot says so.</p>"
        )
        status = gr.Markdown(elem_id="status", latex_delimiters=[])
        timer = gr.Timer(1.0)
        with gr.Tab("Chat"):
            chat_tab(qa)
        with gr.Tab("Articles", elem_id="articles-tab"):
            articles_tab(qa, status, lambda: warm.status()[0], app)
        status_event = {"outputs": [status, timer], "show_progress": "hidden"}
        timer.tick(status_line, api_visibility="private", **status_event)
        app.load(status_line, api_visibility="private", **status_event)
    return app


def launch(app: gr.Blocks, qa: QA, host: str = "127.0.0.1", port: int = 7860, **options) -> None:
    """Serve the app: a queue in front of every event, the upload limit, the page's CSS."""
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=host,
        server_port=port,
        max_file_size=qa.settings.max_upload_bytes,
        css=CSS,
        head=HEAD,
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
    try:
        settings = Settings.from_env(store=args.store)
    except SettingError as exc:
        parser.exit(2, f"error: {exc}\n")
    qa = QA(args.articles, args.index, settings, progress=print)
    launch(build_app(qa), qa, args.host, args.port, inbrowser=not args.no_browser)
