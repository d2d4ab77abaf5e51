"""Where passages live: one interface, two engines.

The FAISS index under `index/` (`qa.index.ArticleIndex`) is the embedded default. A Milvus
collection (`qa.milvus.MilvusStore`) is the way out when an archive outgrows one machine or
several chat servers must share one index: `QA_STORE=path/to/file.db` runs Milvus Lite in
process, `QA_STORE=http://host:19530` talks to a Milvus server or cluster. Nothing after the
store (retrieval, reader, grounding) knows which one runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol

import numpy as np

from .chunking import Chunk
from .documents import Article
from .embedding import Embedder
from .index import ArticleIndex, IndexedArticle, SyncReport
from .settings import Settings


class PassageStore(Protocol):
    """What the pipeline needs from a passage store."""

    articles: dict[str, IndexedArticle]  # what is indexed, by source
    generation: int  # changes whenever the content changes

    def load(self) -> bool: ...
    def follow(self) -> None: ...
    def reset(self) -> None: ...
    def __len__(self) -> int: ...

    def sync(
        self,
        articles: list[Article],
        stats: dict[str, os.stat_result] | None = None,
        progress: Callable[[str], None] | None = None,
        unchanged: set[str] | frozenset[str] = frozenset(),
    ) -> SyncReport: ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]: ...
    def keyword_search(self, query: str, k: int) -> list[tuple[int, float, int]]: ...
    def chunk(self, chunk_id: int) -> Chunk: ...
    def vector(self, chunk_id: int) -> np.ndarray: ...
    def chunks(self, ids: list[int]) -> list[Chunk]: ...
    def vectors(self, ids: list[int]) -> np.ndarray: ...


def open_store(settings: Settings, embedder: Embedder) -> PassageStore:
    """The store `settings.store` names: empty for FAISS under `settings.index_dir`."""
    s = settings
    if not s.store:
        return ArticleIndex(
            s.index_dir,
            embedder,
            s.chunk_chars,
            s.chunk_overlap_sentences,
            s.ann_threshold,
            s.ivf_nprobe,
            s.max_segments,
        )
    from .milvus import MilvusStore

    return MilvusStore(s.store, embedder, s.chunk_chars, s.chunk_overlap_sentences, s.store_batch)
