"""Passages in Milvus: the same store as `ArticleIndex`, on an engine that shards and replicates.

Two collections per configuration (named by a hash of what the passages depend on, so changing
the embedder, chunking or the code that makes passages starts fresh ones; old ones stay until
dropped): `passages` (id, article, offsets, text, dense vector, and a sparse vector that Milvus
fills from the text with its own BM25 function, so keyword search runs in Milvus too) and
`articles` (one row per article: content hash, the ids of its passages, file size and time,
date, outlet and address).
An article's row is written after its passages, so a sync interrupted midway leaves passages
without a row; the next sync deletes them (every id at or above the next free id) before adding,
and nothing is duplicated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Callable

import numpy as np

from .chunking import Chunk
from .store import (
    IndexedArticle,
    IndexWriteError,
    Progress,
    article_record,
    chunk_row,
    row_chunk,
)
from .text import terms

log = logging.getLogger(__name__)


class MilvusStore:
    """Passages in a Milvus collection: Milvus Lite for a `.db` path, a server for a URI."""

    def __init__(
        self,
        uri: str,
        signature: dict[str, object],
        dimension: Callable[[], int],
        batch: int = 256,
    ):
        self.uri = uri
        self.signature = signature
        self.dimension = dimension  # asked once, when the collections are first created
        self.batch = batch  # passages embedded and written at a time
        self._client = None
        self.reset()
        self.generation = 0

    @property
    def _names(self) -> tuple[str, str]:
        key = json.dumps(self.signature, sort_keys=True)
        tag = hashlib.sha256(key.encode()).hexdigest()[:12]
        return f"qa_passages_{tag}", f"qa_articles_{tag}"

    def reset(self) -> None:
        self.articles: dict[str, IndexedArticle] = {}

    def __len__(self) -> int:
        return sum(a.count for a in self.articles.values())

    @property
    def next_id(self) -> int:
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
            schema.add_field("meta", DataType.JSON)  # the article's date, outlet, url, author
            schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dimension())
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
                a = article_record(hit["row"])
                self.articles[a.source] = a
        iterator.close()
        self.generation += 1
        return bool(self.articles)

    def follow(self) -> None:
        """Pick up articles another process added or removed (passages are searched live)."""
        self.load()

    # -- updating (see qa.ingest.Ingest.sync) ----------------------------------------------
    def begin(self) -> None:
        """Delete the passages of an interrupted sync that never got their article row."""
        self._connect().delete(self._names[0], filter=f"id >= {self.next_id}")

    def delete(self, sources: list[str]) -> None:
        """The passages and rows of `sources`, a hundred articles per request."""
        passages, table = self._names
        for start in range(0, len(sources), 100):
            names = json.dumps(sources[start : start + 100])
            self._client.delete(passages, filter=f"source in {names}")
            self._client.delete(table, filter=f"source in {names}")
            for source in sources[start : start + 100]:
                del self.articles[source]

    def add(self, records: list[IndexedArticle], chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Passages first, then the rows of the articles they complete."""
        first_id = records[0].first_id
        for start in range(0, len(chunks), self.batch):
            rows = [
                {**chunk_row(first_id + start + i, c), "dense": v.tolist()}
                for i, (c, v) in enumerate(
                    zip(
                        chunks[start : start + self.batch],
                        vectors[start : start + self.batch],
                        strict=True,
                    )
                )
            ]
            self._client.insert(self._names[0], rows)
        self._write_rows(records)
        self.articles.update((r.source, r) for r in records)

    def commit(self, restamped: list[IndexedArticle], touched: bool, progress: Progress) -> None:
        """Record new file times; seal what was written into indexed segments (until then
        Milvus Lite searches unsealed rows by brute force, rebuilding BM25 on every query)."""
        if restamped:
            self._write_rows(restamped)
            self.articles.update((r.source, r) for r in restamped)
        if touched:
            for name in self._names:
                self._client.flush(name)
            self.generation += 1

    def abort(self, error: BaseException) -> BaseException:
        """Read back what the collections really hold; a failure becomes `IndexWriteError`."""
        if not isinstance(error, Exception):
            return error
        self.load()
        return IndexWriteError(f"Cannot update the Milvus store {self.uri}: {error}")

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

    _CHUNK_FIELDS = ["source", "title", "text", "start", "end", "sentences", "meta"]

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
        return [row_chunk(r) for r in self._rows(ids, self._CHUNK_FIELDS)]

    def vectors(self, ids: list[int]) -> np.ndarray:
        rows = self._rows(ids, ["dense"])
        return np.asarray([r["dense"] for r in rows], dtype=np.float32)

    def chunk(self, chunk_id: int) -> Chunk:
        return self.chunks([chunk_id])[0]

    def vector(self, chunk_id: int) -> np.ndarray:
        return self.vectors([chunk_id])[0]
