"""The sentence embedder, loaded once on first use."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import numpy as np

from .models import ModelUnavailable, embedder_path

log = logging.getLogger(__name__)


class Embedder:
    """Unit-length sentence vectors from a sentence-transformers model (cosine = dot product)."""

    def __init__(self, model_name: str, remembered: int = 20_000):
        self.model_name = model_name
        self._model = None
        self._lock = threading.Lock()
        self._remembered = remembered
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memo_lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            from sentence_transformers import SentenceTransformer

            path = embedder_path(self.model_name)
            try:
                self._model = SentenceTransformer(path, device="cpu")
            except Exception as exc:  # any load failure gets one clear message
                raise ModelUnavailable(f"Cannot load the embedding model {path!r}: {exc}") from exc

    @property
    def dimension(self) -> int:
        self.warm_up()
        return int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_sentences(self, texts: list[str]) -> np.ndarray:
        """`encode`, remembering the last `remembered` texts: the sentences of the passages
        scored for one question come back for the next question on the same articles."""
        with self._memo_lock:
            new = [t for t in dict.fromkeys(texts) if t not in self._memo]
        vectors = self.encode(new)
        with self._memo_lock:
            for text, vector in zip(new, vectors, strict=True):
                self._memo[text] = vector
            rows = []
            for text in texts:
                self._memo.move_to_end(text)
                rows.append(self._memo[text])
            while len(self._memo) > self._remembered:
                self._memo.popitem(last=False)
        return np.stack(rows) if rows else vectors
