"""Sentences parsed once: the dependency parse that says what a figure counts (figures.py).

The parser is spaCy's `en_core_web_sm` (the configured `parser_model`), loaded offline on first
use, after the packaged model's files are checked (`models.parser_path`). Parses are kept for
the sentences seen last: one answer reads the same cited sentences several times.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from .models import ModelUnavailable, parser_path
from .settings import Settings

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

KEPT = 512  # parses kept, newest last


class Parser:
    """A spaCy pipeline loaded on first use; parsing is serialised (one answer at a time
    reads figures, and spaCy's pipelines are not documented as thread-safe)."""

    def __init__(self, name: str | None = None):
        self.name = name  # None: the `parser_model` setting
        self._nlp: Language | None = None
        self._docs: OrderedDict[str, Doc] = OrderedDict()
        self._lock = threading.Lock()

    def configure(self, name: str) -> None:
        """Use the parser `name` from now on (a `QA`'s `parser_model` setting)."""
        with self._lock:
            if name != self.name:
                self.name, self._nlp = name, None
                self._docs.clear()

    def warm_up(self) -> None:
        with self._lock:
            self._load()

    def _load(self) -> Language:
        if self._nlp is None:
            name = self.name or Settings.from_env().parser_model
            try:
                import spacy
            except ImportError as exc:
                raise ModelUnavailable(
                    "spaCy is missing: install the project again (`pip install -e .`)."
                ) from exc
            try:  # named entities are not read: the parse, tags and lemmas are
                self._nlp = spacy.load(parser_path(name), exclude=["ner"])
            except OSError as exc:  # no such pipeline installed, or its files unreadable
                raise ModelUnavailable(
                    f"The parser model {name!r} cannot be loaded: {exc}"
                ) from exc
        return self._nlp

    def __call__(self, text: str) -> Doc:
        with self._lock:
            doc = self._docs.get(text)
            if doc is None:
                doc = self._docs[text] = self._load()(text)
                if len(self._docs) > KEPT:
                    self._docs.popitem(last=False)
            else:
                self._docs.move_to_end(text)
            return doc


PARSER = Parser()
