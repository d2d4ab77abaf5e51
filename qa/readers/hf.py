"""Any causal LM that transformers can load, run by torch. On CPUs without native bfloat16
matrix units (AVX2-only, like this project's machines) bfloat16 prompt processing is ~5x slower
than float32, so the default dtype is float32; `reader_dtype="int8"` (dynamic int8 linear
layers) is about twice as fast but answered visibly worse in our trials."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from ..models import ModelUnavailable, reader_path
from ..prompts import NOT_FOUND
from .base import Reader
from .hooks import DeclineGate, LogitsHook, TokenProbabilities, YesNoProbe, chain


class TransformersReader(Reader):
    """Any causal LM transformers can load (a Hub id, a folder, or the packaged model
    dequantized once to safetensors), run by torch, one generation at a time. Its logit hooks
    (`hooks.py`) see every token's logits."""

    backend = "transformers"

    def __init__(self, settings, progress=None):
        super().__init__(settings, progress)
        self._generate_lock = threading.Lock()

    def stream(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int | None = None,
        gate: DeclineGate | None = None,
        tokens: TokenProbabilities | None = None,
        constraint: object | None = None,
    ) -> Iterator[str]:
        self.warm_up()
        if gate is not None:
            gate.token_ids = self._first_tokens((NOT_FOUND, " " + NOT_FOUND))
        hook = chain(gate, tokens)
        with self._generate_lock:
            yield from self._generate(
                messages, max_new_tokens or self.settings.max_new_tokens, hook
            )

    def yes_probability(self, messages: list[dict[str, str]]) -> float:
        self.warm_up()
        probe = YesNoProbe(
            self._first_tokens(("Yes", " Yes", "yes", " yes")),
            self._first_tokens(("No", " No", "no", " no")),
        )
        with self._generate_lock:
            for _ in self._generate(messages, 1, probe):
                pass
        assert probe.probability is not None
        return probe.probability

    def _first_tokens(self, texts: tuple[str, ...]) -> list[int]:
        return list(dict.fromkeys(self._tokenize(text)[0] for text in texts))

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if self.settings.threads:
            torch.set_num_threads(self.settings.threads)
        path = reader_path(self.settings.reader_model, self.settings.cache_dir, self.progress)
        dtype = self.settings.reader_dtype
        self.progress(f"Loading the reader model ({dtype})...")
        try:
            tokenizer = AutoTokenizer.from_pretrained(path)
            load_dtype = torch.float32 if dtype in ("int8", "float32") else getattr(torch, dtype)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=load_dtype)
        except Exception as exc:
            raise ModelUnavailable(f"Cannot load the reader model {path!r}: {exc}") from exc
        model.eval()
        if dtype == "int8":
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            # Per-channel scales: per-tensor int8 visibly hurt answers of this small model.
            model = quantize_dynamic(
                model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
            )
        self._tokenizer, self._model = tokenizer, model
        self.progress("Reader model loaded.")

    def _generate(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int,
        gate: LogitsHook | None,
    ) -> Iterator[str]:
        import torch
        from transformers import LogitsProcessorList, TextIteratorStreamer

        inputs = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        streamer = TextIteratorStreamer(
            self._tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600
        )
        errors: list[BaseException] = []
        processors = LogitsProcessorList([gate] if gate else [])

        def run() -> None:
            try:
                with torch.inference_mode():
                    self._model.generate(
                        **inputs,
                        streamer=streamer,
                        max_new_tokens=max_new_tokens,
                        do_sample=False,
                        temperature=None,
                        top_p=None,
                        top_k=None,
                        pad_token_id=self._tokenizer.pad_token_id,
                        logits_processor=processors,
                    )
            except BaseException as exc:  # surfaced in the caller's thread below
                errors.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        yield from streamer
        worker.join()
        if errors:
            raise errors[0]

    def _tokenize(self, text: str) -> list[int]:
        return self._tokenizer.encode(text)
