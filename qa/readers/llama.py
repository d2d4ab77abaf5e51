"""The packaged GGUF run by llama.cpp (`llama-cpp-python`) on its 4-bit weights.

Reading the prompt is most of an answer's cost on a CPU, so the computed state of a prompt's
leading parts is kept: a prompt comes in parts (`prompts.PART`), each evaluated as its own batch,
and a part already in the cache behind the same earlier parts is not read again. Because every
part is evaluated the same way whether the parts before it were cached or not, an answer is the
same, bit for bit, with and without the kept state.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from ..models import ModelUnavailable, reader_gguf
from ..prompts import PART
from .base import Reader
from .hooks import LogitsHook, log_softmax


class LlamaCppReader(Reader):
    """The GGUF model run by llama.cpp on its 4-bit weights: decoding is bound by the bytes of
    the weights, so it generates about six times faster on a CPU than the dequantized float32
    transformers model (prompt processing, bound by arithmetic, gains little)."""

    backend = "llama_cpp"

    def _load(self) -> None:
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:
            raise ModelUnavailable(
                "The llama.cpp reader needs `llama-cpp-python` (pip install llama-cpp-python); "
                "or set QA_READER_BACKEND=transformers."
            ) from exc
        path = reader_gguf(self.settings.reader_model, self.settings.cache_dir, self.progress)
        self.progress("Loading the reader model (llama.cpp, 4-bit)...")
        threads = self.settings.threads or max(os.cpu_count() or 1, 1)
        try:
            self._llm = Llama(
                model_path=path,
                n_ctx=self.settings.reader_context,
                n_batch=512,
                n_threads=threads,
                n_threads_batch=threads,
                seed=0,
                verbose=False,
            )
            # The chat template stored in the GGUF: the same one transformers applies.
            eos = self._llm.detokenize([self._llm.token_eos()]).decode(errors="ignore")
            self._formatter = Jinja2ChatFormatter(
                self._llm.metadata["tokenizer.chat_template"], eos_token=eos, bos_token=""
            )
        except Exception as exc:
            raise ModelUnavailable(f"Cannot load the reader model {path!r}: {exc}") from exc
        self._cached: list[list[int]] = []  # the prompt parts whose state the context holds
        self._ends = set(self._end_tokens())
        self.progress("Reader model loaded.")

    def _parts(self, messages: list[dict[str, str]]) -> list[list[int]]:
        """The chat's prompt, tokenized part by part."""
        prompt = self._formatter(messages=messages).prompt
        return [
            self._llm.tokenize(part.encode(), add_bos=False, special=True)
            for part in prompt.split(PART)
            if part
        ]

    def _read(self, parts: list[list[int]], extra: list[int] | None = None) -> list[np.ndarray]:
        """Bring the context to `parts`: parts already held behind the same earlier parts are
        kept, the rest evaluated one part per batch. The last part is always evaluated, so its
        logits are fresh. With `extra`, those tokens are read in the last part's batch and the
        logits that predict each of them are returned."""
        keep = 0
        while (
            keep < len(parts) - 1 and keep < len(self._cached) and self._cached[keep] == parts[keep]
        ):
            keep += 1
        self._llm.n_tokens = sum(map(len, parts[:keep]))
        self._cached = parts[:keep]
        for part in parts[keep:-1]:
            self._llm.eval(part)
            self._cached.append(part)
        if extra is None:
            self._llm.eval(parts[-1])
            self._cached.append(parts[-1])
            return []
        return self._scored_batch(parts[-1], extra)

    def _scored_batch(self, part: list[int], extra: list[int]) -> list[np.ndarray]:
        """Evaluate `part` and `extra` as one batch keeping the logits of the positions that
        predict each `extra` token (the last of `part`, then all of `extra` but its last)."""
        llm = self._llm
        batch = [*part, *extra[:-1]]
        while len(batch) > llm.n_batch:  # only the tail needs its logits
            llm.eval(batch[: llm.n_batch])
            batch = batch[llm.n_batch :]
        start = llm.n_tokens
        llm._ctx.kv_cache_seq_rm(-1, start, -1)
        llm._batch.set_batch(batch=batch, n_past=start, logits_all=True)
        llm._ctx.decode(llm._batch)
        llm.input_ids[start : start + len(batch)] = batch
        llm.n_tokens = start + len(batch)
        n_vocab = llm.n_vocab()
        first = len(batch) - len(extra)
        return [
            np.ctypeslib.as_array(llm._ctx.get_logits_ith(i), shape=(n_vocab,)).copy()
            for i in range(first, len(batch))
        ]

    def _logits(self) -> np.ndarray:
        """The logits after the last evaluated token."""
        pointer = self._llm._ctx.get_logits_ith(-1)
        return np.ctypeslib.as_array(pointer, shape=(self._llm.n_vocab(),)).copy()

    def _generate(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int,
        gate: LogitsHook | None,
    ) -> Iterator[str]:
        parts = self._parts(messages)
        self._read(parts)
        ids = [t for p in parts for t in p]
        yield from self._decode(ids, self._logits(), max_new_tokens, gate)

    def _decode(
        self,
        ids: list[int],
        logits: np.ndarray,
        max_new_tokens: int,
        gate: LogitsHook | None,
        pick=None,
    ) -> Iterator[str]:
        """Generate after `ids`, whose last logits are `logits`: greedy, or `pick(logits)`."""
        pending = b""
        for _ in range(max_new_tokens):
            if gate is not None:
                logits = gate(np.asarray(ids), logits)
            token = int(np.argmax(logits)) if pick is None else pick(logits)
            if token in self._ends:
                break
            ids.append(token)
            pending += self._llm.detokenize([token])
            try:
                text, pending = pending.decode(), b""
            except UnicodeDecodeError:  # half a character: wait for the rest
                text = ""
            if text:
                yield text
            self._llm.eval([token])
            logits = self._logits()
        if pending:
            yield pending.decode(errors="replace")

    def _samples(
        self, messages: list[dict[str, str]], count: int, temperature: float, max_new_tokens: int
    ) -> list[str]:
        parts = self._parts(messages)
        self._read(parts)
        ids = [t for p in parts for t in p]
        first, end = self._logits(), self._llm.n_tokens
        rng = np.random.default_rng(0)

        def pick(logits: np.ndarray) -> int:
            top = np.argpartition(logits, -40)[-40:]
            p = np.exp((logits[top] - logits[top].max()) / temperature)
            return int(top[rng.choice(len(top), p=p / p.sum())])

        replies = []
        for _ in range(count):
            self._llm.n_tokens = end  # back to the prompt's state; the next eval cuts the rest
            replies.append("".join(self._decode(list(ids), first, max_new_tokens, None, pick)))
        return replies

    def _continuation_logprobs(
        self, messages: list[dict[str, str]], continuation: str
    ) -> list[tuple[str, float]]:
        tokens = self._tokenize(continuation)
        if not tokens:
            return []
        rows = self._read(self._parts(messages), tokens)
        return [
            (self._llm.detokenize([t]).decode(errors="replace"), float(log_softmax(row)[t]))
            for row, t in zip(rows, tokens, strict=True)
        ]

    def _tokenize(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode(), add_bos=False)

    def _token_pieces(self) -> list[bytes]:
        with self._generate_lock:
            return [self._llm.detokenize([i]) for i in range(self._llm.n_vocab())]

    def _end_tokens(self) -> list[int]:
        im_end = self._llm.tokenize(b"<|im_end|>", add_bos=False, special=True)
        return [self._llm.token_eos(), *im_end[:1]]
