"""Where passages live: the interface both engines implement, and the types they share.

The FAISS index under `index/` (`qa.index.ArticleIndex`) is the embedded default. A Milvus
collection (`qa.milvus.MilvusStore`) is the way out when an archive outgrows one machine or
several chat servers must share one index: `QA_STORE=path/to/file.db` runs Milvus Lite in
process, `QA_STORE=http://host:19530` talks to a Milvus server or cluster; `qa.stores` opens
the one the settings name. A store only writes, deletes and searches what it is given:
`qa.ingest` decides what changed, chunks and embeds. Nothing after the store (retrieval,
reader, grounding) knows which one runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Protocol

import numpy as np

from .chunking import Chunk
from .converters import ArticleMeta
from .text import Span

Progress = Callable[[str], None]
# The layout of a stored passage row and article record (part of every store's signature, so a
# store written with another layout is rebuilt, never misread): 2 added the articles' metadata.
ROW_FORMAT = 2


class IndexCorrupt(RuntimeError):
    """The files under the index folder are unreadable, truncated or inconsistent."""


class IndexWriteError(RuntimeError):
    """The index could not be saved (disk full, folder not writable); the old one is kept."""


@dataclass
class IndexedArticle:
    """What a store remembers of one article: enough to tell whether it changed."""

    source: str
    title: str
    sha256: str
    first_id: int  # its chunks have the ids first_id, first_id + 1, ... (assigned together)
    count: int
    indexed_at: float
    size: int = 0
    mtime_ns: int = 0
    date: str | None = None  # publication date, ISO yyyy-mm-dd (see `ArticleMeta`)
    outlet: str = ""
    url: str = ""
    author: str = ""

    @property
    def chunk_ids(self) -> range:
        return range(self.first_id, self.first_id + self.count)


ARTICLE_FIELDS = tuple(f.name for f in fields(IndexedArticle))


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks_embedded: int = 0

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def chunk_row(chunk_id: int, c: Chunk) -> dict[str, object]:
    """A passage as both stores keep it (a JSON line for FAISS, a row for Milvus)."""
    m = c.meta
    return {
        "id": chunk_id,
        "source": c.source,
        "title": c.title,
        "text": c.text,
        "start": c.start,
        "end": c.end,
        "sentences": [[s.start, s.end] for s in c.sentences],
        "meta": {"date": m.date, "author": m.author, "outlet": m.outlet, "url": m.url}
        | ({"pages": list(m.pages)} if m.pages else {}),
    }


def row_chunk(row: dict) -> Chunk:
    """The chunk a stored row holds."""
    spans = tuple(Span(a, b) for a, b in row["sentences"])
    meta = dict(row.get("meta") or {})
    meta["pages"] = tuple(meta.get("pages") or ())
    meta = ArticleMeta(row["title"], **meta)
    return Chunk(row["source"], row["title"], row["text"], row["start"], row["end"], spans, meta)


def article_record(row: dict) -> IndexedArticle:
    """An article record from its stored fields (those a record lacks keep their defaults)."""
    return IndexedArticle(**{f: row[f] for f in ARTICLE_FIELDS if f in row})


class PassageStore(Protocol):
    """What ingestion and retrieval need from a passage store. A sync calls `begin`, `delete`,
    `add` (once per `batch` passages, or once when `batch` is None), then `commit`; on any
    error `abort`, which goes back to what was last saved and says what to raise."""

    articles: dict[str, IndexedArticle]  # what is indexed, by source
    generation: int  # changes whenever the content changes
    batch: int | None  # passages per `add`; None: all of a sync in one

    def load(self) -> bool: ...
    def follow(self) -> None: ...
    def reset(self) -> None: ...
    def __len__(self) -> int: ...

    @property
    def next_id(self) -> int: ...
    def begin(self) -> None: ...
    def delete(self, sources: list[str]) -> None: ...
    def add(
        self, records: list[IndexedArticle], chunks: list[Chunk], vectors: np.ndarray
    ) -> None: ...
    def commit(
        self, restamped: list[IndexedArticle], touched: bool, progress: Progress
    ) -> None: ...
    def abort(self, error: BaseException) -> BaseException: ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]: ...
    def keyword_search(self, query: str, k: int) -> list[tuple[int, float, int]]: ...
    def chunk(self, chunk_id: int) -> Chunk: ...
    def vector(self, chunk_id: int) -> np.ndarray: ...
    def chunks(self, ids: list[int]) -> list[Chunk]: ...
    def vectors(self, ids: list[int]) -> np.ndarray: ...
