"""The web chat: a Gradio app over the same pipeline as `qa.answer`.

    python ui.py [--host 127.0.0.1] [--port 7860] [--articles seeds] [--index index] [--store URI]

Chat tab: a question is echoed at once, with its place in line when others are being answered;
the retrieved passages show, then the answer streams in above them marked as a draft until it
has been checked; the final reply replaces it. Each `[n]` links to its source (title, file, the
quote highlighted in its passage); Copy puts the answer and its sources on the clipboard as
text. An abstention says why in one line and lists, folded, the passages it checked. The
pipeline's history is the session's own list of (question, answer), never read back from the
page. Articles tab: what is indexed, newest first, with upload, paste and remove (after a
confirmation); the index updates in place and the next question sees it. Answers are generated
one at a time (`QA_CHAT_CONCURRENCY`); other questions wait in Gradio's queue.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import html
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from qa import QA
from qa.answers import Answer, Citation, Passage
from qa.index import IndexWriteError
from qa.library import ArticleRejected
from qa.settings import SettingError, Settings
from qa.text import MARKER, marker_numbers

log = logging.getLogger(__name__)

EXAMPLES = [
    "Where did Jake Sullivan and Wang Yi hold talks?",
    "What did Elon Musk say about the TikTok ban?",
    "What share of global GDP do APEC economies account for?",
]
# Failures of adding or removing an article that the user is told about, not crashes.
USER_ERRORS = (ArticleRejected, IndexWriteError, OSError)
CONTEXT_CHARS = 280  # surrounding text shown on each side of a quote
# The quote's highlight sets its own text colour, so it reads the same in light and dark themes
# (#1f1f1f on #ffe58a: contrast 14:1, WCAG AA asks 4.5:1).
CSS = """
.qa-sources { margin-top: .8em; font-size: .92em; border-top: 1px solid #8884; padding-top: .4em; }
.qa-source { margin: .5em 0; }
.qa-source blockquote { margin: .2em 0 0 .6em; padding-left: .6em; border-left: 3px solid #8888; }
.qa-source mark, .qa-source mark * { background: #ffe58a; color: #1f1f1f; }
.qa-cursor { opacity: .6; }
.qa-draft { opacity: .8; border-left: 3px dashed #8888; padding-left: .6em; }
.qa-note { font-style: italic; }
.qa-copy-text { display: none; }
.qa-copy { margin-top: .5em; font-size: .85em; padding: .1em .6em; border: 1px solid #8888;
           border-radius: 4px; background: transparent; color: inherit; cursor: pointer; }
#chat .message-wrap { padding-top: .5em; }
@media (max-width: 640px) {
  #ask-row { flex-wrap: nowrap !important; }
  #question { flex: 1 1 auto !important; min-width: 0 !important; }
  #ask { flex: 0 0 auto !important; min-width: 4.5em !important; }
}
"""
# The copy button of an answer copies its plain text (answer, then sources), kept in a hidden
# element next to it; the clipboard API needs a secure page (localhost or https), so a
# selection copy is the fallback.
HEAD = """<script>
document.addEventListener("click", (event) => {
  const button = event.target.closest(".qa-copy");
  if (!button) return;
  event.preventDefault();
  const text = button.parentElement.querySelector(".qa-copy-text").textContent;
  const done = () => {
    button.textContent = "Copied";
    setTimeout(() => button.textContent = "Copy", 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done);
  } else {
    const area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    document.execCommand("copy"); area.remove(); done();
  }
});
</script>"""
# HTML, Markdown and LaTeX syntax characters, written as HTML entities so that text from an
# article or the model is shown exactly as written and never formatted or run.
_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+|~$!"})
# Why an answer was withheld, in one line, by `Answer.reason`; {title} is the article whose
# passage came first. Other reasons show the pipeline's own text.
WHY = {
    "no_relevant_passages": "Nothing relevant found: no passage in the articles is about this.",
    "reader_declined": "The articles mention {title}, but do not say what was asked.",
    "low_confidence": "The articles mention {title}, but I could not confirm they say what "
    "was asked, so I won't guess.",
    "unsupported": "The answer I drafted was not supported by the passages, so I won't state it.",
    "restated": "The passages I found did not state an answer to this, so I won't guess.",
    "unverified": "The answer I drafted was not supported by the passages, so I won't state it.",
}


def _escape(text: str) -> str:
    """Article and model text shown as text, on one line: no HTML or Markdown from it runs."""
    return " ".join(text.split()).translate(_ENTITIES)


def _link_markers(text: str, turn: int) -> str:
    """The answer text, escaped, with each cited number a link `[n]` to its source below."""
    parts = MARKER.split(text)
    out = [
        (" " if p[:1].isspace() else "") + _escape(p) + (" " if p[-1:].isspace() else "")
        if i % 2 == 0
        else "".join(f'<a href="#src-{turn}-{n}">[{n}]</a>' for n in marker_numbers(p))
        for i, p in enumerate(parts)
    ]
    return "".join(out)


def _words_around(before: str, after: str) -> tuple[str, str]:
    """At most `CONTEXT_CHARS` of text on each side of a quote, cut at word boundaries."""
    n = CONTEXT_CHARS
    if len(before) > n:
        cut = before[-n:] if before[-n - 1].isspace() else re.sub(r"^\S*", "", before[-n:])
        before = "… " + cut.lstrip()
    if len(after) > n:
        cut = after[:n] if after[n].isspace() else re.sub(r"\S*$", "", after[:n])
        after = cut.rstrip() + " …"
    return before, after


def _in_context(c: Citation, passages: list[Passage]) -> str:
    """The quote highlighted inside the sentences around it, from the passage that holds it."""
    for p in passages:
        chunk = p.chunk
        if chunk.source == c.source and chunk.start <= c.start and c.end <= chunk.end:
            before, after = _words_around(
                chunk.text[: c.start - chunk.start], chunk.text[c.end - chunk.start :]
            )
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
    return f'<div class="qa-sources"><b>Sources</b>{"".join(items)}</div>'


def _passage_items(passages: list[Passage]) -> str:
    return "".join(
        f'<div class="qa-source"><b>{n}.</b> <i>{_escape(p.chunk.title)}</i> — '
        f"<code>{_escape(p.chunk.source)}</code><blockquote>{_escape(p.chunk.text[:300])}"
        f"{'…' if len(p.chunk.text) > 300 else ''}</blockquote></div>"
        for n, p in enumerate(passages, 1)
    )


def render_passages(passages: list[Passage]) -> str:
    """What the reader is reading, shown while it writes."""
    return f'<div class="qa-sources"><b>Reading these passages</b>{_passage_items(passages)}</div>'


def copy_text(answer: Answer) -> str:
    """The answer as plain text, for the clipboard: the answer, then each source."""
    lines = [answer.text]
    lines += [f'[{c.number}] {c.title} ({c.source}): "{c.quote}"' for c in answer.citations]
    return "\n".join(lines)


def _copy_button(answer: Answer) -> str:
    text = html.escape(copy_text(answer))
    return f'<pre class="qa-copy-text">{text}</pre><button class="qa-copy">Copy</button>'


def render_answer(answer: Answer, turn: int = 1) -> str:
    """The final reply: the answer with linked sources, or why there is none and, folded,
    the passages that were checked."""
    if answer.abstained:
        title = answer.passages[0].chunk.title if answer.passages else ""
        why = WHY.get(answer.reason, answer.text).format(title=f"“{title}”")
        text = f"<div>{_escape(why)}</div>"
        if answer.passages:
            text += (
                f'<details class="qa-sources"><summary>Passages checked '
                f"({len(answer.passages)})</summary>{_passage_items(answer.passages)}</details>"
            )
        return text + _copy_button(dataclasses.replace(answer, text=why))
    text = f"<div>{_link_markers(answer.text, turn)}</div>"
    if answer.citations:
        text += render_sources(answer, turn)
    return text + _copy_button(answer)


def render_draft(draft: str, note: str, passages: list[Passage]) -> str:
    """A reply still being written or checked: marked as a draft until the answer replaces it."""
    head = f'<div class="qa-note">{_escape(note)}</div>' if note else ""
    if draft:
        head += (
            '<div class="qa-draft"><div class="qa-note">Draft, being checked against the '
            f'articles…</div>{_escape(draft)}<span class="qa-cursor"> ▌</span></div>'
        )
    return head + (render_passages(passages) if passages else "")


def plain_answer(message: str) -> str:
    """A rendered reply as the text a person reads, without its sources or copy button."""
    text = re.split(r'<(?:div|details) class="qa-sources"|<pre class="qa-copy-text"', message)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


class WarmUp:
    """Indexes and loads the reader in the background so the page opens at once; remembers a
    failure so the status line can show it."""

    def __init__(self, qa: QA):
        self.qa = qa
        self.error: str | None = None
        self.indexed = False
        self.thread = threading.Thread(target=self._run, daemon=True, name="warm-up")

    def _run(self) -> None:
        try:
            self.qa.refresh()
            self.indexed = True
            self.qa.reader.warm_up()
        except Exception as exc:
            log.exception("Warm-up failed")
            self.error = str(exc)

    def status(self) -> tuple[str, bool]:
        """The status line, and whether it is final."""
        qa = self.qa
        if self.error:
            return f"Could not start: {_escape(self.error)}", True
        if not self.indexed:
            return "Indexing the articles…", False
        articles = f"{len(qa.index.articles)} articles, {len(qa.index):,} passages indexed"
        warnings = "".join(f"<br>Warning: {_escape(w)}" for w in qa.warnings)
        if not qa.reader.loaded:
            return f"Loading the reader model… ({articles}){warnings}", False
        return f"Ready: {articles}.{warnings}", True


class Line:
    """The questions asked and not yet answered, so a new one can be told its place at once.
    An entry not started within `expire` seconds (its page went away) no longer counts."""

    def __init__(self, expire: float = 900.0):
        self.expire = expire
        self._waiting: dict[str, float] = {}
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def join(self) -> tuple[str, int]:
        """A ticket for a new question, and how many are ahead of it."""
        with self._lock:
            now = time.monotonic()
            self._waiting = {t: at for t, at in self._waiting.items() if now - at < self.expire}
            ticket = uuid.uuid4().hex
            ahead = len(self._waiting) + len(self._running)
            self._waiting[ticket] = now
            return ticket, ahead

    def start(self, ticket: str) -> None:
        with self._lock:
            self._waiting.pop(ticket, None)
            self._running.add(ticket)

    def leave(self, ticket: str) -> None:
        with self._lock:
            self._waiting.pop(ticket, None)
            self._running.discard(ticket)


def _passages(n: int) -> str:
    return f"{n} passage" if n == 1 else f"{n} passages"


def article_rows(qa: QA) -> list[list[object]]:
    """The Articles table, the most recently indexed first."""
    articles = sorted(qa.articles(), key=lambda a: (-a.indexed_at, a.source))
    return [
        [a.title, a.source, a.count, time.strftime("%Y-%m-%d %H:%M", time.localtime(a.indexed_at))]
        for a in articles
    ]


def answer_stream(qa: QA, question: str, history: list[tuple[str, str]], turn: int):
    """(reply HTML, final answer or None) as the pipeline's updates arrive."""
    draft, passages, note = "", [], "Searching the articles…"
    try:
        for update in qa.stream(question, history):
            if update.kind == "status":
                note = update.text
            elif update.kind == "sources":
                passages, note = update.passages, "Writing the answer…"
            elif update.kind == "token":
                note, draft = "", draft + update.text
            elif update.kind == "answer":
                assert update.answer is not None
                yield render_answer(update.answer, turn), update.answer
                return
            yield render_draft(draft, note, passages), None
    except Exception as exc:  # the chat reports the failure instead of hanging
        log.exception("Answering failed")
        yield f"Sorry, something went wrong: {_escape(str(exc))}", None


def _waiting_note(ahead: int) -> str:
    if not ahead:
        return '<div class="qa-note">Searching the articles…</div>'
    questions = "question" if ahead == 1 else "questions"
    return f'<div class="qa-note">Waiting: {ahead} {questions} ahead of yours…</div>'


def build_app(qa: QA) -> gr.Blocks:
    warm = WarmUp(qa)
    warm.thread.start()
    line = Line()

    def ask(message: str, chat: list[dict]):
        """Echo the question at once (not queued) with its place in line; clear the box."""
        if not (message or "").strip():
            return gr.skip(), gr.skip(), None
        ticket, ahead = line.join()
        chat = [
            *chat,
            {"role": "user", "content": _escape(message)},
            {"role": "assistant", "content": _waiting_note(ahead)},
        ]
        return "", chat, {"question": message, "ticket": ticket}

    def respond(asked: dict | None, chat: list[dict], turns: list[list[str]]):
        """Stream the answer into the question's placeholder; the pipeline's history is the
        session's own list of (question, answer text), never read back from the page."""
        if not asked:
            yield gr.skip(), gr.skip()
            return
        line.start(asked["ticket"])
        try:
            turn = sum(m["role"] == "assistant" for m in chat)
            history = [(q, a) for q, a in turns]
            for content, answer in answer_stream(qa, asked["question"], history, turn):
                chat = [*chat[:-1], {"role": "assistant", "content": content}]
                if answer is not None:
                    yield chat, [*turns, [asked["question"], answer.text]]
                    return
                yield chat, gr.skip()
        finally:
            line.leave(asked["ticket"])

    def chat_api(message: str, history: list[list[str]]) -> Iterator[str]:
        """The reply's HTML as it is written, for API clients: `history` is a list of
        [question, answer] pairs."""
        turn = len(history or []) + 1
        pairs = [(str(q), str(a)) for q, a in history or []]
        ticket, _ = line.join()
        line.start(ticket)
        try:
            for content, _ in answer_stream(qa, message, pairs, turn):
                yield content
        finally:
            line.leave(ticket)

    def status_line():
        text, final = warm.status()
        return text, gr.Timer(active=not final)

    def table_and_choices(message: str):
        rows = article_rows(qa)
        choices = [(f"{row[0]} ({row[1]})", row[1]) for row in rows]
        return message, rows, gr.Dropdown(choices=choices, value=[]), warm.status()[0]

    def add_files(files: list[str] | None):
        results = []
        for path in files or []:
            name = Path(path).name
            try:
                if Path(path).stat().st_size > qa.settings.max_upload_bytes:
                    raise ArticleRejected(f"{name}: over the {_megabytes(qa)} limit.")
                added = qa.add_article(name, Path(path).read_bytes())
                results.append(f"Added {_escape(added.source)} ({_passages(added.count)}).")
            except USER_ERRORS as exc:
                results.append(f"Not added: {_escape(str(exc))}")
            finally:  # Gradio's copy of the upload: saved into the folder or refused
                with contextlib.suppress(OSError):
                    Path(path).unlink()
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

    def confirm_removal(sources: list[str] | None):
        if not sources:
            return "Choose articles to remove first.", gr.Row(visible=False)
        titles = {a.source: a.title for a in qa.articles()}
        names = "<br>".join(
            f"<i>{_escape(titles.get(s, s))}</i> (<code>{_escape(s)}</code>)" for s in sources
        )
        question = f"Remove {len(sources)} article{'s' if len(sources) > 1 else ''}? "
        return (
            f"{question}The files are deleted from the folder.<br>{names}",
            gr.Row(visible=True),
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

    folder = html.escape(qa.settings.articles_dir.name)
    with gr.Blocks(title="Article QA", fill_height=True) as app:
        gr.HTML(
            "<h1>Article QA</h1>"
            f"<p>Ask questions about the articles in <code>{folder}/</code>. Every answer cites "
            "the exact passage it comes from; when the articles do not say, the bot says so.</p>"
        )
        status = gr.Markdown(elem_id="status")
        timer = gr.Timer(1.0)
        asked = gr.State(None)
        turns = gr.State([])
        with gr.Tab("Chat"):
            chatbot = gr.Chatbot(
                elem_id="chat", height=520, label="Chat", show_label=False, buttons=[]
            )
            with gr.Row(elem_id="ask-row"):
                box = gr.Textbox(
                    placeholder="Ask about the articles…",
                    show_label=False,
                    scale=8,
                    elem_id="question",
                    max_lines=6,
                )
                ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            gr.Examples(EXAMPLES, inputs=[box], label="Try")
            clear = gr.Button("Clear chat", size="sm", elem_id="clear")
        with gr.Tab("Articles", elem_id="articles-tab"):
            message = gr.Markdown(elem_id="articles-message")
            table = gr.Dataframe(
                headers=["Title", "File", "Passages", "Indexed"],
                interactive=False,
                elem_id="articles",
                wrap=True,
                max_height=900,
                column_widths=["44%", "36%", "10%", "10%"],
            )
            with gr.Row():
                with gr.Column():
                    upload = gr.File(
                        label=f"Upload .txt or .md files (up to {_megabytes(qa)} each)",
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
                picked = gr.Dropdown(
                    label="Remove articles", multiselect=True, scale=4, elem_id="picked"
                )
                remove_btn = gr.Button("Remove…", variant="stop", scale=1, elem_id="remove")
            with gr.Row(visible=False, elem_id="confirm-row") as confirm_row:
                yes = gr.Button("Yes, delete them", variant="stop", elem_id="confirm-remove")
                no = gr.Button("Cancel", elem_id="cancel-remove")

        private = {"api_visibility": "private"}
        answer_event = {
            "fn": respond,
            "inputs": [asked, chatbot, turns],
            "outputs": [chatbot, turns],
            "concurrency_limit": qa.settings.chat_concurrency,
            "concurrency_id": "answer",
            **private,
        }
        for trigger in (box.submit, ask_button.click):
            trigger(ask, [box, chatbot], [box, chatbot, asked], queue=False, **private).then(
                **answer_event
            )
        gr.api(
            chat_api,
            api_name="chat",
            concurrency_limit=qa.settings.chat_concurrency,
            concurrency_id="answer",
        )
        clear.click(lambda: ([], [], ""), outputs=[chatbot, turns, box], **private)
        chatbot.clear(lambda: [], outputs=[turns], **private)  # the chat's own trash icon
        status_event = {"outputs": [status, timer], "show_progress": "hidden", **private}
        timer.tick(status_line, **status_event)
        app.load(status_line, **status_event)
        tables = [message, table, picked, status]
        app.load(lambda: table_and_choices(""), outputs=tables, **private)
        add_files_btn.click(add_files, [upload], [*tables, upload], api_name="add_files")
        add_text_btn.click(add_text, [title, text], [*tables, title, text], api_name="add_text")
        remove_btn.click(confirm_removal, [picked], [message, confirm_row], **private)
        yes.click(remove, [picked], tables, api_name="remove").then(
            lambda: gr.Row(visible=False), outputs=confirm_row, **private
        )
        no.click(lambda: ("", gr.Row(visible=False)), outputs=[message, confirm_row], **private)
    return app


def _megabytes(qa: QA) -> str:
    return f"{qa.settings.max_upload_bytes / 2**20:g} MB"


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


if __name__ == "__main__":
    main()
