"""The generative reader: a small instruct model behind one interface (`Reader`), loaded once,
on first use, decoding greedily so answers are reproducible. `served.py` reaches it through
OpenAI-compatible chat completions: llama.cpp's server engine in this process on the packaged
GGUF (`engine.py`), or any server at `QA_READER_URL` (`connection.py`); `hf.py` runs any Hub id or
folder in transformers. `hooks.py` holds what a reply is asked for beyond its text."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..models import PACKAGED_READERS
from ..settings import SettingError, Settings
from .base import Reader
from .connection import ReaderUnavailable
from .grammar import CopySpan
from .hf import TransformersReader
from .hooks import DeclineGate, TokenProbabilities, YesNoProbe
from .served import ServedReader

__all__ = [
    "CopySpan",
    "DeclineGate",
    "Reader",
    "ReaderUnavailable",
    "ServedReader",
    "TokenProbabilities",
    "TransformersReader",
    "YesNoProbe",
    "make_reader",
    "reader_backend",
    "shared_reader",
]


def reader_backend(settings: Settings) -> str:
    """The backend that runs the configured reader: a server for `reader_url`; else
    `settings.reader_backend`, or for "auto" the engine for a GGUF (the packaged ones are) and
    transformers for anything else."""
    if settings.reader_url:
        return "served"
    if settings.reader_backend != "auto":
        return settings.reader_backend
    model = settings.reader_model
    return "served" if model in PACKAGED_READERS or model.endswith(".gguf") else "transformers"


_BACKENDS: dict[str, type[Reader]] = {
    "served": ServedReader,
    "engine": ServedReader,
    "transformers": TransformersReader,
}


def make_reader(settings: Settings, progress: Callable[[str], None] | None = None) -> Reader:
    backend = reader_backend(settings)
    if backend not in _BACKENDS:
        raise SettingError(
            f"QA_READER_BACKEND={backend!r}: unknown reader backend; use one of auto, engine, "
            "transformers."
        )
    return _BACKENDS[backend](settings, progress)


_shared: dict[tuple[object, ...], Reader] = {}
_shared_lock = threading.Lock()


def shared_reader(settings: Settings, progress: Callable[[str], None] | None = None) -> Reader:
    """One reader per model configuration in a process: several `QA` objects (one per articles
    folder) share its weights instead of loading another copy of the model."""
    key = (
        reader_backend(settings),
        settings.reader_model,
        settings.reader_url,
        settings.reader_api_key,
        settings.reader_timeout,
        settings.reader_dtype,
        settings.cache_dir,
        settings.threads,
        settings.max_new_tokens,
        settings.reader_context,
        settings.reader_slots,
    )
    with _shared_lock:
        if key not in _shared:
            _shared[key] = make_reader(settings, progress)
        return _shared[key]
