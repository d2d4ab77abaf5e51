"""The reader interface: a chat model loaded lazily, once, streaming greedy replies as text
pieces, with what the pipeline asks of it besides: the decline decision at the first token, each
picked token's probability, a reply held to words copied from the passages, sampled replies, and
P(yes) for a yes/no question."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from ..settings import Settings
from .hooks import DeclineGate, TokenProbabilities

log = logging.getLogger(__name__)


class Reader:
    """A chat model behind one interface: `served.ServedReader` (llama.cpp's engine in process,
    or any OpenAI-compatible server) or `hf.TransformersReader`. Subclasses load the model
    (`_load`, called once, on first use) and answer the calls below."""

    backend = "none"

    def __init__(self, settings: Settings, progress: Callable[[str], None] | None = None):
        self.settings = settings
        self.progress = progress or log.info
        self._loaded = False
        self._load_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._loaded

    def warm_up(self) -> None:
        with self._load_lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    @property
    def notes(self) -> list[str]:
        """What this reader cannot do that the answers would show (for the status line)."""
        return []

    @property
    def scores(self) -> bool:
        """Whether its replies come with token probabilities (the confidence needs them)."""
        return True

    def stream(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int | None = None,
        gate: DeclineGate | None = None,
        tokens: TokenProbabilities | None = None,
        constraint: object | None = None,
    ) -> Iterator[str]:
        """Greedy generation for a chat; yields text pieces as they are produced. With a `gate`,
        the first token decides between NOT FOUND and an answer (see `DeclineGate`); `tokens`
        records each picked token's probability; a `constraint` (from `copy_constraint`) limits
        the reply to a span of the passages."""
        raise NotImplementedError

    def copy_constraint(self, source: str) -> object | None:
        """A constraint that holds a reply to a span of `source`; None where the backend cannot
        constrain its output."""
        return None

    def complete(self, messages: list[dict[str, str]], max_new_tokens: int | None = None) -> str:
        return "".join(self.stream(messages, max_new_tokens)).strip()

    def samples(
        self,
        messages: list[dict[str, str]],
        count: int,
        temperature: float = 0.7,
        max_new_tokens: int | None = None,
    ) -> list[str]:
        """`count` replies sampled at `temperature` (seeded, so reproducible): how much the
        reader agrees with itself."""
        raise NotImplementedError

    def yes_probability(self, messages: list[dict[str, str]]) -> float:
        """The model's P(Yes) against P(No) as the first word of its reply to `messages`."""
        raise NotImplementedError

    def _load(self) -> None:
        raise NotImplementedError
