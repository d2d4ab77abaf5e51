"""The reader interface: a chat model loaded lazily, once, behind a lock, streaming greedy
replies as text pieces, with the logit hooks the pipeline asks for."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from ..prompts import NOT_FOUND
from ..settings import Settings
from .hooks import CopyConstraint, DeclineGate, LogitsHook, TokenProbabilities, YesNoProbe, chain

log = logging.getLogger(__name__)


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
        hook = chain(gate, constraint, tokens)
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

    def continuation_logprobs(
        self, messages: list[dict[str, str]], continuation: str
    ) -> list[tuple[str, float]]:
        """Each token of `continuation` with its log-probability as the start of the reply to
        `messages`: how likely the reader finds an answer it did not write itself."""
        self.warm_up()
        with self._generate_lock:
            return self._continuation_logprobs(messages, continuation)

    def _continuation_logprobs(
        self, messages: list[dict[str, str]], continuation: str
    ) -> list[tuple[str, float]]:
        raise NotImplementedError

    def samples(
        self,
        messages: list[dict[str, str]],
        count: int,
        temperature: float = 0.7,
        max_new_tokens: int | None = None,
    ) -> list[str]:
        """`count` replies sampled at `temperature` (seeded, so reproducible): how much the
        reader agrees with itself."""
        self.warm_up()
        with self._generate_lock:
            return self._samples(
                messages, count, temperature, max_new_tokens or self.settings.max_new_tokens
            )

    def _samples(
        self, messages: list[dict[str, str]], count: int, temperature: float, max_new_tokens: int
    ) -> list[str]:
        raise NotImplementedError

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
