"""The generative reader: a small instruct model that answers from numbered excerpts.

Loaded once, on first use. On CPUs without native bfloat16 matrix units (AVX2-only, like this
project's machines) bfloat16 prompt processing is ~5x slower than float32, so the default is
float32. `reader_dtype="int8"` (dynamic int8 linear layers) is about twice as fast but answered
visibly worse in our trials, so it is opt-in. Decoding is greedy, so answers are reproducible.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator

from .models import ModelUnavailable, reader_path
from .retrieval import Passage
from .settings import Settings

log = logging.getLogger(__name__)

NOT_FOUND = "NOT FOUND"

SYSTEM_PROMPT = (
    "You are a helpful assistant that answers questions about news articles using only the "
    "given excerpts."
)
INSTRUCTION = (
    "Answer the question in one short sentence, using the words of the excerpts. "
    f"Reply {NOT_FOUND} only if no excerpt answers it."
)

# Phrases a reader uses when it declines instead of saying NOT FOUND verbatim.
_DECLINE = re.compile(
    r"not found|(do|does|did) not (contain|mention|say|provide|specify|state|include)"
    r"|no (information|mention|details?)|not (mentioned|provided|specified|stated|given)"
    r"|cannot (be )?(determined|answer|find)|unable to (answer|determine|find)"
    r"|not enough information",
    re.IGNORECASE,
)


def declined(reply: str) -> bool:
    """True when the reader said the passages do not hold the answer."""
    return not reply.strip() or bool(_DECLINE.search(reply))


def answer_messages(question: str, passages: list[Passage]) -> list[dict[str, str]]:
    """The chat for one question. The question comes before the excerpts as well as after: a
    1.5B model that reads the excerpts knowing what it looks for declines far less often when
    the answer is there. It is not asked for citation markers: grounding assigns them."""
    excerpts = "\n\n".join(
        f'Excerpt {n} (from "{p.chunk.title}"):\n{p.chunk.text}' for n, p in enumerate(passages, 1)
    )
    user = f"Question: {question}\n\n{excerpts}\n\nQuestion: {question}\n\n{INSTRUCTION}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


class DeclineGate:
    """Takes the decline decision at the first answer token, explicitly and measurably.

    The reply starts with NOT FOUND exactly when the model's probability of that start reaches
    `threshold`; otherwise that start is barred and the model answers. The probability is kept
    (and reported per question by `python -m qa eval --json`), so the threshold can be chosen
    from data rather than left to the greedy pick. One gate per generation.
    """

    def __init__(self, threshold: float):
        self.threshold = threshold
        self.probability: float | None = None
        self.token_ids: list[int] = []  # set by the reader: the tokens that start NOT FOUND

    def __call__(self, input_ids, scores):
        if self.probability is not None or not self.token_ids:
            return scores
        probabilities = scores.float().softmax(dim=-1)
        self.probability = float(probabilities[0, self.token_ids].sum())
        if self.probability >= self.threshold:
            forced = scores.new_full(scores.shape, float("-inf"))
            forced[:, self.token_ids[0]] = 0.0
            return forced
        scores = scores.clone()
        scores[:, self.token_ids] = float("-inf")
        return scores


class Reader:
    """A causal LM behind a lock: one generation at a time, streamed as text pieces."""

    def __init__(self, settings: Settings, progress: Callable[[str], None] | None = None):
        self.settings = settings
        self.progress = progress or log.info
        self._model = None
        self._tokenizer = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def warm_up(self) -> None:
        with self._load_lock:
            if self._model is not None:
                return
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            if self.settings.threads:
                torch.set_num_threads(self.settings.threads)
            path = reader_path(self.settings.reader_model, self.settings.cache_dir, self.progress)
            dtype = self.settings.reader_dtype
            self.progress(f"Loading the reader model ({dtype})...")
            try:
                tokenizer = AutoTokenizer.from_pretrained(path)
                load_dtype = (
                    torch.float32 if dtype in ("int8", "float32") else getattr(torch, dtype)
                )
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

    def count_tokens(self, messages: list[dict[str, str]]) -> int:
        self.warm_up()
        ids = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=True, return_dict=True
        )
        return len(ids["input_ids"])

    def stream(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int | None = None,
        gate: DeclineGate | None = None,
    ) -> Iterator[str]:
        """Greedy generation for a chat; yields text pieces as they are produced. With a `gate`,
        the first token decides between NOT FOUND and an answer (see `DeclineGate`)."""
        import torch
        from transformers import LogitsProcessorList, TextIteratorStreamer

        self.warm_up()
        inputs = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        streamer = TextIteratorStreamer(
            self._tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600
        )
        errors: list[BaseException] = []
        processors = LogitsProcessorList()
        if gate is not None:
            gate.token_ids = self._decline_tokens()
            processors.append(gate)

        def run() -> None:
            try:
                with torch.inference_mode():
                    self._model.generate(
                        **inputs,
                        streamer=streamer,
                        max_new_tokens=max_new_tokens or self.settings.max_new_tokens,
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

        with self._generate_lock:
            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            yield from streamer
            worker.join()
        if errors:
            raise errors[0]

    def _decline_tokens(self) -> list[int]:
        """First tokens of NOT FOUND, with and without a leading space, the bare one first."""
        ids = [self._tokenizer.encode(text)[0] for text in (NOT_FOUND, " " + NOT_FOUND)]
        return list(dict.fromkeys(ids))

    def complete(self, messages: list[dict[str, str]], max_new_tokens: int | None = None) -> str:
        return "".join(self.stream(messages, max_new_tokens)).strip()


_shared: dict[tuple[object, ...], Reader] = {}
_shared_lock = threading.Lock()


def shared_reader(settings: Settings, progress: Callable[[str], None] | None = None) -> Reader:
    """One reader per model configuration in a process: several `QA` objects (one per articles
    folder) share its weights instead of loading another copy of a 6 GB model."""
    key = (
        settings.reader_model,
        settings.reader_dtype,
        settings.cache_dir,
        settings.threads,
        settings.max_new_tokens,
    )
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Reader(settings, progress)
        return _shared[key]
