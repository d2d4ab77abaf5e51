"""Passages in Milvus: the same store as `ArticleIndex`, on an engine that shards and replicates.

Two collections per configuration (named by a hash of what the vectors depend on, so changing
the embedder or chunking starts fresh ones): `passages` (id, article, offsets, text, dense
vector, and a sparse vector that Milvus fills from the text with its own BM25 function, so
keyword search runs in Milvus too) and `articles` (one row per article: content hash, the ids of
its passages, file size and time). An article's row is written after its passages, so a sync
interrupted midway leaves passages without a row; the next sync deletes them (every id at or
above the next free id) before adding, and nothing is duplicated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Callable

import numpy as np

from .chunking import Chunk, chunk_article
from .documents import Article
from .embedding import Embedder
from .index import (
    ARTICLE_FIELDS,
    FORMAT,
    IndexedArticle,
    IndexWriteError,
    SyncReport,
    compare,
    record,
)
from .text import Span, terms

log = logging.getLogger(__name__)


class MilvusStore:
    """Passages in a Milvus collection: Milvus Lite for a `.db` path, a server for a URI."""

    def __init__(
        self, uri: str, embedder: Embedder, chunk_chars: int, overlap: int, batch: int = 256
    ):
        self.uri = uri
        self.batch = batch  # passages embedded and written at a time
        self.embedder = embedder
        self.chunk_chars = chunk_chars
        self.overlap = overlap
        self._client = None
        self.reset()
        self.generation = 0

    @property
    def _names(self) -> tuple[str, str]:
        key = json.dumps(
            [FORMAT, self.embedder.model_name, self.chunk_chars, self.overlap], sort_keys=True
        )
        tag = hashlib.sha256(key.encode()).hexdigest()[:12]
        return f"qa_passages_{tag}", f"qa_articles_{tag}"

    def reset(self) -> None:
        self.articles: dict[str, IndexedArticle] = {}

    def __len__(self) -> int:
        return sum(a.count for a in self.articles.values())

    @property
    def _next_id(self) -> int:
        return max((a.first_id + a.count for a in self.articles.values()), default=0)

    # -- connection and schema ------------------------------------------------------------
    def _connect(self):
        if self._client is None:
            from pymilvus import MilvusClient

            if "://" not in self.uri:
                os.makedirs(os.path.dirname(os.path.abspath(self.uri)), exist_ok=True)
            self._client = MilvusClient(self.uri)
            self._create_collections()
        return self._client

    def _create_collections(self) -> None:
        from pymilvus import DataType, Function, FunctionType

        client, (passages, articles) = self._client, self._names
        if not client.has_collection(passages):
            schema = client.create_schema(auto_id=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("source", DataType.VARCHAR, max_length=1024)
            schema.add_field("title", DataType.VARCHAR, max_length=4096)
            schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True)
            schema.add_field("start", DataType.INT64)
            schema.add_field("end", DataType.INT64)
            schema.add_field("sentences", DataType.JSON)
            schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.embedder.dimension)
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name="text_bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=["text"],
                    output_field_names=["sparse"],
                )
            )
            index = client.prepare_index_params()
            index.add_index("dense", index_type="AUTOINDEX", metric_type="IP")
            index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
            client.create_collection(passages, schema=schema, index_params=index)
        if not client.has_collection(articles):
            schema = client.create_schema(auto_id=False)
            schema.add_field("source", DataType.VARCHAR, max_length=1024, is_primary=True)
            schema.add_field("row", DataType.JSON)
            schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs a vector
            index = client.prepare_index_params()
            index.add_index("unused", index_type="FLAT", metric_type="L2")
            client.create_collection(articles, schema=schema, index_params=index)
        for name in (passages, articles):  # collections opened again start released
            client.load_collection(name)

    # -- loading --------------------------------------------------------------------------
    def load(self) -> bool:
        """Read the article table; False when the collections are empty."""
        client = self._connect()
        self.reset()
        iterator = client.query_iterator(
            self._names[1], batch_size=1000, filter='source != ""', output_fields=["row"]
        )
        while batch := iterator.next():
            for hit in batch:
                a = IndexedArticle(*(hit["row"][f] for f in ARTICLE_FIELDS))
                self.articles[a.source] = a
        iterator.close()
        self.generation += 1
        return bool(self.articles)

    def follow(self) -> None:
        """Pick up articles another process added or removed (passages are searched live)."""
        self.load()

    # -- updating -------------------------------------------------------------------------
    def sync(
        self,
        articles: list[Article],
        stats: dict[str, os.stat_result] | None = None,
        progress: Callable[[str], None] | None = None,
        unchanged: set[str] | frozenset[str] = frozenset(),
    ) -> SyncReport:
        """Make the collections hold exactly `articles` plus the `unchanged` ones."""
        stats, progress = stats or {}, progress or log.info
        client = self._connect()
        passages, table = self._names
        wanted = {a.source: a for a in articles}
        report, restamped = compare(self.articles, wanted, stats, unchanged)
        try:
            # Passages of an interrupted sync that never got their article row.
            client.delete(passages, filter=f"id >= {self._next_id}")
            self._delete(report.removed + report.changed)
            todo = report.added + report.changed
            total, group, entries = 0, [], []
            for n, source in enumerate(todo, 1):
                chunks = chunk_article(wanted[source], self.chunk_chars, self.overlap)
                entries.append(
                    record(wanted[source], self._next_id + len(group), len(chunks), stats)
                )
                group.extend(chunks)
                if len(group) >= self.batch or n == len(todo):
                    # Passages first, then the rows of the articles they complete.
                    self._insert(entries[0].first_id, group)
                    self._write_rows(entries)
                    self.articles.update((e.source, e) for e in entries)
                    total += len(group)
                    group, entries = [], []
                    progress(f"Indexed {n}/{len(todo)} articles ({total} passages) into Milvus.")
            report.chunks_embedded = total
            if restamped:
                self._write_rows([self.articles[s] for s in wanted if s in self.articles])
            if report.touched:
                # Seal what was written into indexed segments; until then Milvus Lite searches
                # its unsealed rows by brute force, rebuilding the BM25 index on every query.
                client.flush(passages)
                client.flush(table)
        except Exception as exc:
            self.load()  # what the collections really hold now
            raise IndexWriteError(f"Cannot update the Milvus store {self.uri}: {exc}") from exc
        if report.touched:
            self.generation += 1
        return report

    def _delete(self, sources: list[str]) -> None:
        """The passages and rows of `sources`, a hundred articles per request."""
        passages, table = self._names
        for start in range(0, len(sources), 100):
            names = json.dumps(sources[start : start + 100])
            self._client.delete(passages, filter=f"source in {names}")
            self._client.delete(table, filter=f"source in {names}")
            for source in sources[start : start + 100]:
                del self.articles[source]

    def _insert(self, first_id: int, chunks: list[Chunk]) -> None:
        for start in range(0, len(chunks), self.batch):
            batch = chunks[start : start + self.batch]
            vectors = self.embedder.encode([c.text for c in batch])
            rows = [
                {
                    "id": first_id + start + i,
                    "source": c.source,
                    "title": c.title,
                    "text": c.text,
                    "start": c.start,
                    "end": c.end,
                    "sentences": [[s.start, s.end] for s in c.sentences],
                    "dense": v.tolist(),
                }
                for i, (c, v) in enumerate(zip(batch, vectors, strict=True))
            ]
            self._client.insert(self._names[0], rows)

    def _write_rows(self, entries: list[IndexedArticle]) -> None:
        rows = [
            {"source": a.source, "row": dataclasses.asdict(a), "unused": [0.0, 0.0]}
            for a in entries
        ]
        for start in range(0, len(rows), 1000):
            self._client.upsert(self._names[1], rows[start : start + 1000])

    # -- searching ------------------------------------------------------------------------
    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        hits = self._connect().search(
            self._names[0],
            data=[np.asarray(vector, dtype=np.float32).tolist()],
            anns_field="dense",
            limit=k,
            search_params={"metric_type": "IP"},
        )[0]
        return [(int(h["id"]), float(h["distance"])) for h in hits]

    def keyword_search(self, query: str, k: int) -> list[tuple[int, float, int]]:
        """Milvus's own BM25 full-text search; the matched-terms count uses our terms."""
        hits = self._connect().search(
            self._names[0],
            data=[query],
            anns_field="sparse",
            limit=k,
            output_fields=["text", "title"],
            search_params={"metric_type": "BM25"},
        )[0]
        wanted = set(terms(query))
        return [
            (
                int(h["id"]),
                abs(float(h["distance"])),
                len(wanted & set(terms(f"{h['entity']['title']}\n{h['entity']['text']}"))),
            )
            for h in hits
        ]

    _CHUNK_FIELDS = ["source", "title", "text", "start", "end", "sentences"]

    def _rows(self, ids: list[int], fields: list[str]) -> list[dict]:
        """Rows of these passages, in the order asked (one query for all of them)."""
        if not ids:
            return []
        found = self._connect().query(
            self._names[0], filter=f"id in {[int(i) for i in ids]}", output_fields=["id", *fields]
        )
        by_id = {int(r["id"]): r for r in found}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise KeyError(missing[0])
        return [by_id[i] for i in ids]

    def chunks(self, ids: list[int]) -> list[Chunk]:
        return [
            Chunk(
                r["source"],
                r["title"],
                r["text"],
                r["start"],
                r["end"],
                tuple(Span(a, b) for a, b in r["sentences"]),
            )
            for r in self._rows(ids, self._CHUNK_FIELDS)
        ]

    def vectors(self, ids: list[int]) -> np.ndarray:
        rows = self._rows(ids, ["dense"])
        return np.asarray([r["dense"] for r in rows], dtype=np.float32)

    def chunk(self, chunk_id: int) -> Chunk:
        return self.chunks([chunk_id])[0]

    def vector(self, chunk_id: int) -> np.ndarray:
        return self.vectors([chunk_id])[0]
