"""The packaged GGUF run by llama.cpp (`llama-cpp-python`) on its 4-bit weights."""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..models import ModelUnavailable, reader_gguf
from .base import Reader
from .hooks import LogitsHook


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
        self.progress("Reader model loaded.")

    def _prompt(self, messages: list[dict[str, str]]) -> str:
        return self._formatter(messages=messages).prompt

    def _generate(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int,
        gate: LogitsHook | None,
    ) -> Iterator[str]:
        from llama_cpp import LogitsProcessorList

        # Recompute the whole prompt: reusing a cached prefix evaluates its last token alone,
        # which shifts the logits slightly, and greedy answers must not depend on the last call.
        self._llm.reset()
        stream = self._llm.create_completion(
            self._prompt(messages),
            max_tokens=max_new_tokens,
            temperature=0.0,
            repeat_penalty=1.0,
            stop=["<|im_end|>", "<|endoftext|>"],
            logits_processor=LogitsProcessorList([gate]) if gate else None,
            stream=True,
        )
        for chunk in stream:
            if text := chunk["choices"][0]["text"]:
                yield text

    def _tokenize(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode(), add_bos=False)

    def _token_pieces(self) -> list[bytes]:
        with self._generate_lock:
            return [self._llm.detokenize([i]) for i in range(self._llm.n_vocab())]

    def _end_tokens(self) -> list[int]:
        im_end = self._llm.tokenize(b"<|im_end|>", add_bos=False, special=True)
        return [self._llm.token_eos(), *im_end[:1]]
