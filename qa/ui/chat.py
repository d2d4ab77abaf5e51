"""The Chat tab: a question is echoed at once with its place in line, then answered in its
placeholder as the pipeline streams; the history the pipeline sees is the session's own list of
(question, answer), never read back from the page."""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Iterator

import gradio as gr

from ..pipeline import QA
from .render import escape, plain_answer, render_answer, render_draft

log = logging.getLogger(__name__)

EXAMPLES = [
    "Where did Jake Sullivan and Wang Yi hold talks?",
    "What did Elon Musk say about the TikTok ban?",
    "What share of global GDP do APEC economies account for?",
]
PRIVATE = {"api_visibility": "private"}
ONE_AT_A_TIME = "One question at a time: ask this one when the answer above is done."


class Line:
    """The questions asked and not yet answered, so a new one can be told its place at once:
    `slots` are answered at a time. An entry not started within `expire` seconds (its page went
    away) no longer counts."""

    def __init__(self, slots: int = 1, expire: float = 900.0):
        self.slots, self.expire = slots, expire
        self._waiting: dict[str, float] = {}
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def join(self) -> tuple[str, int]:
        """A ticket for a new question, and how many are ahead of it."""
        with self._lock:
            now = time.monotonic()
            self._waiting = {t: at for t, at in self._waiting.items() if now - at < self.expire}
            ticket = uuid.uuid4().hex
            ahead = max(0, len(self._waiting) + len(self._running) - self.slots + 1)
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
        yield f"Sorry, something went wrong: {escape(str(exc))}", None


def _waiting_note(ahead: int) -> str:
    if not ahead:
        return '<div class="qa-note">Searching the articles…</div>'
    questions = "question" if ahead == 1 else "questions"
    return f'<div class="qa-note">Waiting: {ahead} {questions} ahead of yours…</div>'


def ask(line: Line, message: str, chat: list[dict], pending: bool):
    """Echo the question at once (not queued) with its place in line and clear the box. One
    question per page at a time: a second one stays in the box until the answer is done."""
    if not (message or "").strip():
        return gr.skip(), gr.skip(), None, gr.skip(), ""
    if pending:
        return gr.skip(), gr.skip(), None, gr.skip(), ONE_AT_A_TIME
    ticket, ahead = line.join()
    chat = [
        *chat,
        {"role": "user", "content": escape(message)},
        {"role": "assistant", "content": _waiting_note(ahead)},
    ]
    return "", chat, {"question": message, "ticket": ticket}, True, ""


def respond(qa: QA, line: Line, asked: dict | None, chat: list[dict], turns: list[list[str]]):
    """Stream the answer into the question's placeholder. `asked` comes from a hidden component
    the page sends when the question is asked; the pipeline's history is the session's own list
    of (question, answer text), never read back from the page."""
    if not asked:
        yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return
    line.start(asked["ticket"])
    try:
        turn = sum(m["role"] == "assistant" for m in chat)
        history = [(q, a) for q, a in turns]
        for content, answer in answer_stream(qa, asked["question"], history, turn):
            chat = [*chat[:-1], {"role": "assistant", "content": content}]
            if answer is not None:
                turns = [*turns, [asked["question"], answer.text]]
            yield chat, turns, gr.skip(), gr.skip()
    finally:
        line.leave(asked["ticket"])
    yield gr.skip(), gr.skip(), False, ""  # the page may ask again


def chat_api(qa: QA, line: Line, message: str, history: list[list[str]]) -> Iterator[str]:
    """The reply's HTML as it is written, for API clients: `history` is a list of
    [question, answer] pairs."""
    turn = len(history or []) + 1
    pairs = [(str(q), plain_answer(str(a))) for q, a in history or []]
    ticket, _ = line.join()
    line.start(ticket)
    try:
        for content, _ in answer_stream(qa, message, pairs, turn):
            yield content
    finally:
        line.leave(ticket)


def chat_tab(qa: QA) -> None:
    """The chat's components and events, inside the current `gr.Blocks`; also the `/chat` API."""
    line = Line(qa.settings.chat_concurrency)
    asked = gr.JSON(None, visible=False)  # sent by the page with the answer request
    pending = gr.State(False)
    turns = gr.State([])
    chatbot = gr.Chatbot(
        elem_id="chat",
        height=520,
        label="Chat",
        show_label=False,
        buttons=[],
        latex_delimiters=[],  # article text is shown as written, never typeset
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
    notice = gr.Markdown("", elem_id="ask-notice", latex_delimiters=[])
    gr.Examples(EXAMPLES, inputs=[box], label="Try")
    clear = gr.Button("Clear chat", size="sm", elem_id="clear")

    limit = {"concurrency_limit": qa.settings.chat_concurrency, "concurrency_id": "answer"}
    for trigger in (box.submit, ask_button.click):
        trigger(
            functools.partial(ask, line),
            [box, chatbot, pending],
            [box, chatbot, asked, pending, notice],
            queue=False,
            **PRIVATE,
        ).then(
            functools.partial(respond, qa, line),
            [asked, chatbot, turns],
            [chatbot, turns, pending, notice],
            **limit,
            **PRIVATE,
        )

    def api(message: str, history: list[list[str]]) -> Iterator[str]:
        """The reply's HTML as it is written: `history` is a list of [question, answer]."""
        yield from chat_api(qa, line, message, history)

    gr.api(api, api_name="chat", **limit)
    clear.click(  # also a way out should an answer never come back
        lambda: ([], [], "", False, ""), outputs=[chatbot, turns, box, pending, notice], **PRIVATE
    )
    chatbot.clear(lambda: [], outputs=[turns], **PRIVATE)  # the chat's own trash icon
