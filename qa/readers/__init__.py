"""The generative reader: a small instruct model behind one interface (`Reader`), loaded once,
on first use, decoding greedily so answers are reproducible. llama.cpp (`llama.py`) runs the
packaged GGUF on its 4-bit weights and is the default when `llama-cpp-python` is installed;
transformers (`hf.py`) runs any Hub id or folder. `hooks.py` holds the logit hooks."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable

from ..models import PACKAGED_READER
from ..settings import Settings
from .base import Reader
from .hf import TransformersReader
from .hooks import CopyConstraint, DeclineGate, TokenProbabilities, YesNoProbe
from .llama import LlamaCppReader

__all__ = [
    "CopyConstraint",
    "DeclineGate",
    "LlamaCppReader",
    "Reader",
    "TokenProbabilities",
    "TransformersReader",
    "YesNoProbe",
    "make_reader",
    "reader_backend",
    "shared_reader",
]


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
