"""The generative reader: a small instruct model that answers from numbered excerpts.

Two backends behind one interface, loaded once, on first use, decoding greedily so answers are
reproducible. llama.cpp runs the packaged GGUF on its 4-bit weights and is the default when
`llama-cpp-python` is installed; transformers runs any Hub id or folder. On CPUs without native
bfloat16 matrix units (AVX2-only, like this project's machines) transformers' bfloat16 prompt
processing is ~5x slower than float32, so its default dtype is float32; `reader_dtype="int8"`
(dynamic int8 linear layers) is about twice as fast but answered visibly worse in our trials.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .answers import Passage
from .models import PACKAGED_READER, ModelUnavailable, reader_gguf, reader_path
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

# The second pass, when the first reply only restated the question: the reply is held to words
# copied from the excerpts, so it cannot echo this instruction or the question.
EXTRACT_INSTRUCTION = (
    "Reply with only the words of the excerpts that answer the question: the name, number, "
    "date or place itself."
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


def answer_messages(
    question: str, passages: list[Passage], instruction: str = INSTRUCTION
) -> list[dict[str, str]]:
    """The chat for one question. The question comes before the excerpts as well as after: a
    1.5B model that reads the excerpts knowing what it looks for declines far less often when
    the answer is there. It is not asked for citation markers: grounding assigns them."""
    excerpts = "\n\n".join(
        f'Excerpt {n} (from "{p.chunk.title}"):\n{p.chunk.text}' for n, p in enumerate(passages, 1)
    )
    user = f"Question: {question}\n\n{excerpts}\n\nQuestion: {question}\n\n{instruction}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def extract_messages(question: str, passages: list[Passage]) -> list[dict[str, str]]:
    """The chat for the second, extractive pass (decoded under a `CopyConstraint`)."""
    return answer_messages(question, passages, EXTRACT_INSTRUCTION)


class DeclineGate:
    """Takes the decline decision at the first answer token, explicitly and measurably.

    The reply starts with NOT FOUND exactly when the model's probability of that start reaches
    `threshold`; otherwise that start is barred and the model answers. The probability is kept
    (and reported per question by `python -m qa eval --json`), so the threshold can be chosen
    from data rather than left to the greedy pick. One gate per generation; it works on the
    logits of either backend (a torch row batch or a numpy vector).
    """

    def __init__(self, threshold: float):
        self.threshold = threshold
        self.probability: float | None = None
        self.token_ids: list[int] = []  # set by the reader: the tokens that start NOT FOUND

    def __call__(self, input_ids, scores):
        if self.probability is not None or not self.token_ids:
            return scores
        row = np.asarray(scores.float() if hasattr(scores, "float") else scores, np.float64)
        row = row.reshape(-1)
        top = row.max()
        self.probability = float(np.exp(row[self.token_ids] - top).sum() / np.exp(row - top).sum())
        scores = scores.clone() if hasattr(scores, "clone") else scores.copy()
        if self.probability >= self.threshold:
            scores[...] = float("-inf")
            scores[..., self.token_ids[0]] = 0.0
        else:
            scores[..., self.token_ids] = float("-inf")
        return scores


# Sees (and may change) the logits of each generated token: a DeclineGate, a YesNoProbe, a
# TokenProbabilities, a CopyConstraint, or several chained.
LogitsHook = Callable[[Any, Any], Any]


class YesNoProbe:
    """Reads P(yes) against P(no) from the first-token logits of a reply; changes nothing.

    Used to ask the model a yes/no question (see verification.py) and keep its confidence rather
    than its greedy word, so the acceptance threshold can be chosen from data.
    """

    def __init__(self, yes_ids: list[int], no_ids: list[int]):
        self.yes_ids, self.no_ids = yes_ids, no_ids
        self.probability: float | None = None

    def __call__(self, input_ids, scores):
        if self.probability is None:
            row = np.asarray(scores.float() if hasattr(scores, "float") else scores, np.float64)
            row = np.exp(row.reshape(-1) - row.max())
            yes, no = row[self.yes_ids].sum(), row[self.no_ids].sum()
            self.probability = float(yes / (yes + no))
        return scores


class TokenProbabilities:
    """Records the probability of each token the reader picks (greedy: the largest), after any
    earlier hook changed the logits; changes nothing. A low one marks where the model hesitated,
    often the very name or number it answers with (a signal for confidence.py)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def __call__(self, input_ids, scores):
        row = np.asarray(scores.float() if hasattr(scores, "float") else scores, np.float64)
        row = row.reshape(-1)
        self.values.append(float(1.0 / np.exp(row - row.max()).sum()))
        return scores


class CopyConstraint:
    """Lets the reader write only words copied from `source`: a logits mask, so the reply is by
    construction a span of the excerpts (extractive decoding with a generative model). Each
    token must continue some occurrence of the text so far; a span starts at a word and may end
    (the `end_ids` token) only after a whole word. Works on bytes, as byte-level tokens may hold
    half a character."""

    def __init__(self, source: str, vocab: dict[bytes, list[int]], pieces: list[bytes], end_ids):
        self.source = source.encode()
        self.vocab, self.pieces, self.end_ids = vocab, pieces, list(end_ids)
        self.longest = max(map(len, vocab), default=1)
        self._prompt: int | None = None

    def _occurrences(self, written: bytes) -> list[int]:
        """Where in the source a continuation of `written` would go on."""
        src = self.source
        if not written:  # a word's start, or the space before it
            return [
                i
                for i in range(len(src))
                if (src[i : i + 1].isalnum() and (i == 0 or not src[i - 1 : i].isalnum()))
                or (src[i : i + 1] == b" " and src[i + 1 : i + 2].isalnum())
            ]
        found, at = [], src.find(written)
        while at >= 0:
            found.append(at + len(written))
            at = src.find(written, at + 1)
        return found

    def allowed(self, written: bytes) -> list[int]:
        """Token ids that keep the reply a span of the source."""
        ids: set[int] = set()
        ends = False
        for at in self._occurrences(written):
            rest = self.source[at : at + self.longest].split(b"\n")[0]
            for n in range(1, len(rest) + 1):
                ids.update(self.vocab.get(rest[:n], ()))
            if written.strip() and not self.source[at : at + 1].isalnum():
                ends = True
        if ends or not ids:
            ids.update(self.end_ids)
        return sorted(ids)

    def __call__(self, input_ids, scores):
        row_ids = (input_ids[0] if getattr(input_ids, "ndim", 1) == 2 else input_ids).tolist()
        if self._prompt is None:
            self._prompt = len(row_ids)
        written = b"".join(self.pieces[i] for i in row_ids[self._prompt :])
        keep = self.allowed(written)
        masked = scores.clone() if hasattr(scores, "clone") else scores.copy()
        masked[...] = float("-inf")
        masked[..., keep] = scores[..., keep]
        return masked


def _chain(*hooks: LogitsHook | None) -> LogitsHook | None:
    """One hook that runs `hooks` in order (None when there are none)."""
    present = [h for h in hooks if h is not None]
    if len(present) <= 1:
        return present[0] if present else None

    def run(input_ids, scores):
        for hook in present:
            scores = hook(input_ids, scores)
        return scores

    return run


class Reader:
    """A chat model behind a lock: one generation at a time, streamed as text pieces.

    Subclasses load a model (`_load`) and generate greedily from a chat (`_generate`); this
    class gives them the lazy loading, the lock and the text API the pipeline uses.
    """

    backend = "none"

    def __init__(self, settings: Settings, progress: Callable[[str], None] | None = None):
        self.settings = settings
        self.progress = progress or log.info
        self._loaded = False
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()
        self._vocab: tuple[dict[bytes, list[int]], list[bytes]] | None = None

    @property
    def loaded(self) -> bool:
        return self._loaded

    def warm_up(self) -> None:
        with self._load_lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    def stream(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int | None = None,
        gate: DeclineGate | None = None,
        tokens: TokenProbabilities | None = None,
        constraint: CopyConstraint | None = None,
    ) -> Iterator[str]:
        """Greedy generation for a chat; yields text pieces as they are produced. With a `gate`,
        the first token decides between NOT FOUND and an answer (see `DeclineGate`); `tokens`
        records each picked token's probability; a `constraint` limits what may be written."""
        self.warm_up()
        if gate is not None:
            gate.token_ids = self._decline_tokens()
        hook = _chain(gate, constraint, tokens)
        with self._generate_lock:
            yield from self._generate(
                messages, max_new_tokens or self.settings.max_new_tokens, hook
            )

    def copy_constraint(self, source: str) -> CopyConstraint | None:
        """A `CopyConstraint` to `source`; None where the backend gives no token bytes."""
        self.warm_up()
        if self._vocab is None:
            pieces = self._token_pieces()
            if pieces is None:
                return None
            vocab: dict[bytes, list[int]] = {}
            for i, piece in enumerate(pieces):
                if piece:
                    vocab.setdefault(piece, []).append(i)
            self._vocab = (vocab, pieces)
        vocab, pieces = self._vocab
        return CopyConstraint(source, vocab, pieces, self._end_tokens())

    def _token_pieces(self) -> list[bytes] | None:
        """The bytes each token id stands for (empty for control tokens), or None."""
        return None

    def _end_tokens(self) -> list[int]:
        raise NotImplementedError

    def complete(self, messages: list[dict[str, str]], max_new_tokens: int | None = None) -> str:
        return "".join(self.stream(messages, max_new_tokens)).strip()

    def yes_probability(self, messages: list[dict[str, str]]) -> float:
        """The model's P(Yes) against P(No) as the first word of its reply to `messages`."""
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

    def _decline_tokens(self) -> list[int]:
        """First tokens of NOT FOUND, with and without a leading space, the bare one first."""
        return self._first_tokens((NOT_FOUND, " " + NOT_FOUND))

    def _first_tokens(self, texts: tuple[str, ...]) -> list[int]:
        return list(dict.fromkeys(self._tokenize(text)[0] for text in texts))

    def _tokenize(self, text: str) -> list[int]:
        raise NotImplementedError

    def _load(self) -> None:
        raise NotImplementedError

    def _generate(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int,
        gate: LogitsHook | None,
    ) -> Iterator[str]:
        raise NotImplementedError


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


class TransformersReader(Reader):
    """Any causal LM transformers can load (a Hub id, a folder, or the packaged model
    dequantized once to safetensors), run by torch."""

    backend = "transformers"

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


def reader_backend(settings: Settings) -> str:
    """The backend that runs the configured reader: `settings.reader_backend`, or for "auto"
    llama.cpp when it is installed and the model is a GGUF (the packaged one is), else
    transformers."""
    if settings.reader_backend != "auto":
        return settings.reader_backend
    gguf = settings.reader_model == PACKAGED_READER or settings.reader_model.endswith(".gguf")
    return "llama_cpp" if gguf and importlib.util.find_spec("llama_cpp") else "transformers"


_BACKENDS: dict[str, type[Reader]] = {
    "llama_cpp": LlamaCppReader,
    "transformers": TransformersReader,
}


def make_reader(settings: Settings, progress: Callable[[str], None] | None = None) -> Reader:
    backend = reader_backend(settings)
    if backend not in _BACKENDS:
        raise ValueError(
            f"Unknown reader backend {backend!r}: use one of auto, {', '.join(_BACKENDS)}."
        )
    return _BACKENDS[backend](settings, progress)


_shared: dict[tuple[object, ...], Reader] = {}
_shared_lock = threading.Lock()


def shared_reader(settings: Settings, progress: Callable[[str], None] | None = None) -> Reader:
    """One reader per model configuration in a process: several `QA` objects (one per articles
    folder) share its weights instead of loading another copy of a 6 GB model."""
    key = (
        reader_backend(settings),
        settings.reader_model,
        settings.reader_dtype,
        settings.cache_dir,
        settings.threads,
        settings.max_new_tokens,
        settings.reader_context,
    )
    with _shared_lock:
        if key not in _shared:
            _shared[key] = make_reader(settings, progress)
        return _shared[key]
