"""The reader as a served engine: OpenAI-compatible chat completions, from llama.cpp's engine in
this process (`engine.py`) or any server at `QA_READER_URL` (`connection.py`).

Everything the pipeline asks of a reader goes through that protocol, as Haystack's
`OpenAIChatGenerator` does with an `api_base_url`:
- the decline decision at the first token: P(NOT FOUND) summed over the first token's
  `top_logprobs`; where it falls short but NOT FOUND was the greedy pick, the reply is asked
  again starting with the best other token (an assistant prefill);
- each picked token's probability, from `logprobs`;
- stopping at the sentence's end (the caller closes the stream; the server stops);
- the kept prefix: llama.cpp's prompt cache (`cache_prompt`);
- the copy-constrained second pass: a GBNF grammar that admits only spans of the excerpts
  (`grammar.py`).
A server that gives no logprobs or takes no grammar is noticed, and `notes` says what is lost.
"""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from collections.abc import Iterator

from ..models import packaged_name, reader_gguf
from ..prompts import NOT_FOUND
from .base import Reader
from .connection import HttpConnection, ReaderUnavailable
from .grammar import CopySpan
from .hooks import DeclineGate, TokenProbabilities

TOP = 20  # alternatives per token: the most the OpenAI API gives
# Stripped first tokens that start NOT FOUND ("NOT", " NOT", ...): a tokenizer's split of it.
_DECLINE_STARTS = {NOT_FOUND[:n] for n in range(3, len(NOT_FOUND) + 1)}


class ServedReader(Reader):
    """A reader reached through chat completions: the packaged GGUF (or any local one) on the
    engine in this process, or a server at `QA_READER_URL`."""

    backend = "served"

    def __init__(self, settings, progress=None):
        super().__init__(settings, progress)
        self.connection = None
        self.model = settings.reader_model
        self.logprobs: bool | None = None  # None: not seen a reply yet
        self.timings: dict = {}  # llama.cpp's figures for the last reply (tokens read, ...)
        self._recent: deque[str] = deque(maxlen=max(4, settings.reader_slots))
        self._recent_lock = threading.Lock()

    @property
    def where(self) -> str:
        return self.settings.reader_url or "the reader engine in this process"

    def _load(self) -> None:
        s = self.settings
        if s.reader_url:
            connection = HttpConnection(s.reader_url, s.reader_api_key, s.reader_timeout)
            try:
                connection.probe()
            except ReaderUnavailable:
                connection.close()
                raise
            self.connection = connection
            self.model = packaged_name(s.reader_model) or s.reader_model
            # One token, to learn whether the server gives logprobs (and knows the model).
            said = {"role": "user", "content": "Say yes."}
            reply = connection.chat(self._body([said], 1, logprobs=True, top_logprobs=1))
            choice = (reply.get("choices") or [{}])[0]
            self.logprobs = bool((choice.get("logprobs") or {}).get("content"))
        else:
            from .engine import EngineConnection, start_engine

            gguf = reader_gguf(s.reader_model, s.cache_dir, self.progress)
            self.progress("Loading the reader model (llama.cpp engine, 4-bit)...")
            connection = EngineConnection(start_engine(gguf, s), s.reader_model)
            self.model = packaged_name(s.reader_model) or s.reader_model
            self.logprobs = True
            self.progress("Reader model loaded.")
        self.connection = connection

    @property
    def notes(self) -> list[str]:
        notes = []
        if self.logprobs is False:
            notes.append(
                f"{self.where} gives no token probabilities (logprobs), so answers cannot be "
                "scored: every draft is shown as unsure, with its quote."
            )
        if self.connection is not None and not self.connection.llama:
            notes.append(
                f"{self.where} takes no grammars: replies that only restate the question get "
                "no second, copying pass."
            )
        return notes

    @property
    def scores(self) -> bool:
        return self.logprobs is not False

    def _body(self, messages: list[dict[str, str]], max_tokens: int, **options) -> dict:
        body = {"messages": messages, "max_tokens": max_tokens, "temperature": 0.0, **options}
        if self.settings.reader_url:
            body["model"] = self.model
        if not self.connection.llama:
            for key in ("cache_prompt", "grammar", "top_k"):
                body.pop(key, None)
        return body

    def _kept(self, messages: list[dict[str, str]]) -> bool:
        """Whether the server may start from its kept state of this prompt: not when it read
        this very prompt just now, since then it would read only its last token again, alone,
        and that rounds differently from reading it with the rest (see engine.py). Every
        request passes through here, so that what the server read last is known."""
        key = json.dumps(messages)
        with self._recent_lock:
            repeat = key in self._recent
            self._recent.append(key)
        return not repeat

    def stream(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int | None = None,
        gate: DeclineGate | None = None,
        tokens: TokenProbabilities | None = None,
        constraint: CopySpan | None = None,
    ) -> Iterator[str]:
        self.warm_up()
        options: dict = {"cache_prompt": self._kept(messages)}
        if gate is not None or tokens is not None:
            options |= {"logprobs": True, "top_logprobs": TOP}
        if constraint is not None:
            options["grammar"] = constraint.grammar
        limit = max_new_tokens or self.settings.max_new_tokens
        body = self._body(messages, limit, **options)
        written, first = "", True
        chunks = self.connection.stream(body)
        try:
            for chunk in chunks:
                self.timings = chunk.get("timings") or self.timings
                choice = (chunk.get("choices") or [{}])[0]
                text = (choice.get("delta") or {}).get("content") or ""
                entries = _entries(choice)
                if "logprobs" in options:
                    self.logprobs = self.logprobs or bool(entries)
                if first and entries and gate is not None:
                    first = False
                    start = self._decide(gate, entries[0], self.connection.llama)
                    if start is not None:  # declined, or NOT FOUND barred: not this reply
                        chunks.close()
                        yield from self._restart(messages, start, limit, gate, tokens)
                        return
                    if tokens is not None:
                        tokens.values.append(_p(entries[0]) / max(1e-12, 1 - gate.probability))
                        entries = entries[1:]
                first = first and not text
                if tokens is not None:
                    tokens.values.extend(
                        _p(e) / _allowed(e, written, constraint) if constraint else _p(e)
                        for e in entries
                    )
                if text:
                    written += text
                    yield text
        finally:
            chunks.close()

    def _decide(self, gate: DeclineGate, entry: dict, prefill: bool = True) -> dict | None:
        """The decline decision on the first token: None to go on with the reply as it is;
        else the token the reply must start with instead (NOT FOUND, or, where the server can
        go on from a prefilled reply, the best other one). P(NOT FOUND) is summed over the
        token's `TOP` alternatives: where none starts NOT FOUND it counts as 0 (the decline
        signal's floor, 1e-6), as it is then below the last one's, far under any threshold."""
        top = entry.get("top_logprobs") or [entry]
        gate.probability = sum(_p(t) for t in top if _declines(t.get("token", "")))
        if gate.probability >= gate.threshold:
            return {"token": NOT_FOUND, "logprob": 0.0}
        if not _declines(entry.get("token", "")) or not prefill:
            return None
        return next((t for t in top if not _declines(t.get("token", ""))), {"token": ""})

    def _restart(
        self,
        messages: list[dict[str, str]],
        start: dict,
        limit: int,
        gate: DeclineGate,
        tokens: TokenProbabilities | None,
    ) -> Iterator[str]:
        """The reply that starts with the token `start`: NOT FOUND as it is, else the server
        continues from it (an assistant prefill)."""
        text = start.get("token", "")
        yield text
        if text == NOT_FOUND or not text:
            return
        if tokens is not None:
            tokens.values.append(_p(start) / max(1e-12, 1 - gate.probability))
        prefilled = [*messages, {"role": "assistant", "content": text}]
        self._kept(prefilled)
        options = {"cache_prompt": True}
        if tokens is not None:
            options |= {"logprobs": True, "top_logprobs": TOP}
        for chunk in self.connection.stream(self._body(prefilled, limit - 1, **options)):
            choice = (chunk.get("choices") or [{}])[0]
            if tokens is not None:
                entries = _entries(choice)
                tokens.values.extend(_p(e) for e in entries)
            if text := (choice.get("delta") or {}).get("content"):
                yield text

    def copy_constraint(self, source: str) -> CopySpan | None:
        self.warm_up()
        return CopySpan(source) if self.connection.llama else None

    def samples(
        self,
        messages: list[dict[str, str]],
        count: int,
        temperature: float = 0.7,
        max_new_tokens: int | None = None,
    ) -> list[str]:
        self.warm_up()
        limit = max_new_tokens or self.settings.max_new_tokens
        self._kept(messages)  # sampled replies may start from the kept state; a greedy one not
        replies = []
        for seed in range(count):  # one request each: servers differ on `n`
            body = self._body(
                messages, limit, temperature=temperature, seed=seed, top_k=40, cache_prompt=True
            )
            replies.append(_content(self.connection.chat(body)))
        return replies

    def yes_probability(self, messages: list[dict[str, str]]) -> float:
        self.warm_up()
        kept = self._kept(messages)
        body = self._body(messages, 1, logprobs=True, top_logprobs=TOP, cache_prompt=kept)
        reply = self.connection.chat(body)
        choice = (reply.get("choices") or [{}])[0]
        entries = _entries(choice)
        if not entries:  # no probabilities: the greedy word decides
            return 1.0 if _content(reply).strip().lower().startswith("yes") else 0.0
        top = entries[0].get("top_logprobs") or [entries[0]]
        said = [(t.get("token", "").strip().lower(), _p(t)) for t in top]
        yes = sum(p for word, p in said if word == "yes")
        no = sum(p for word, p in said if word == "no")
        return yes / (yes + no) if yes + no > 0 else 0.5


def _entries(choice: dict) -> list[dict]:
    """A reply's (or chunk's) tokens with their probabilities; empty without logprobs."""
    return (choice.get("logprobs") or {}).get("content") or []


def _p(entry: dict) -> float:
    return math.exp(entry.get("logprob", 0.0))


def _declines(token: str) -> bool:
    return token.strip() in _DECLINE_STARTS


def _allowed(entry: dict, written: str, constraint: CopySpan) -> float:
    """The probability mass, among the token's alternatives, of those the grammar admits: the
    picked token's probability over it is its probability once the rest are masked."""
    top = entry.get("top_logprobs") or [entry]
    mass = sum(_p(t) for t in top if constraint.allows(written, t.get("token", "")))
    return max(mass, _p(entry))


def _content(reply: dict) -> str:
    choice = (reply.get("choices") or [{}])[0]
    return ((choice.get("message") or {}).get("content") or "").strip()
