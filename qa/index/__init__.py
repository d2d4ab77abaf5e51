"""The persistent passage index: immutable segments of chunks, a manifest, and FAISS over them.

Each sync that adds chunks writes one new segment (`segments.py`) and never touches older ones,
so adding an article costs the same on a large index as on a small one. Removing an article
only records its chunk ids as deleted. The manifest (`manifest.py`) names the live files with
their sha256 and is replaced atomically after the new files are on disk: a crash at any point
leaves the old index or the new one, never a mix.

Search is exact while the index is small; past `ann_threshold` chunks it trains IVF centroids
(`dense.py`). Training rewrites all live chunks into one segment (a compaction, which also drops
deleted rows); so does having more than `max_segments` segments.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..chunking import Chunk
from ..keywords import BM25, TermCounts, count_terms
from ..settings import Settings
from ..store import IndexCorrupt, IndexedArticle, IndexWriteError, Progress
from . import manifest as saved
from .dense import Dense
from .manifest import MANIFEST
from .segments import Passages, Segment, encode_rows, file_entry, read_segment, write_segment

log = logging.getLogger(__name__)

FORMAT = 4  # the layout of the files; the passages' own signature comes from qa.ingest

__all__ = ["MANIFEST", "ArticleIndex", "IndexCorrupt", "IndexWriteError"]


class ArticleIndex:
    """Chunk vectors, term counts and metadata under one folder (a `PassageStore`)."""

    batch = None  # a sync's passages go into one segment

    def __init__(
        self,
        index_dir: Path,
        signature: dict[str, object],
        ann_threshold: int = Settings.ann_threshold,
        nprobe: int = Settings.ivf_nprobe,
        max_segments: int = Settings.max_segments,
    ):
        self.index_dir = Path(index_dir)
        self.signature = {"format": FORMAT, **signature}
        self.ann_threshold = ann_threshold
        self.nprobe = nprobe
        self.max_segments = max_segments
        self.reset()
        self.generation = 0

    def reset(self) -> None:
        self.articles: dict[str, IndexedArticle] = {}
        self.passages = Passages(self.index_dir, [], set())
        self.dense = Dense(self.nprobe)
        self._next_id = 0
        self._centroids_file: dict[str, object] | None = None
        self._trained_on = 0
        self._bm25: BM25 | None = None
        self._bm25_generation = -1
        self._manifest_stamp = 0

    def __len__(self) -> int:
        return len(self.passages)

    @property
    def segments(self) -> list[Segment]:
        return self.passages.segments

    @property
    def deleted(self) -> set[int]:
        return self.passages.deleted

    @property
    def kind(self) -> str:
        return self.dense.kind

    # -- reading --------------------------------------------------------------------------
    def chunk(self, chunk_id: int) -> Chunk:
        return self.passages.chunk(chunk_id)

    def vector(self, chunk_id: int) -> np.ndarray:
        return self.passages.vector(chunk_id)

    def chunks(self, ids: list[int]) -> list[Chunk]:
        return [self.chunk(i) for i in ids]

    def vectors(self, ids: list[int]) -> np.ndarray:
        return np.asarray([self.vector(i) for i in ids], dtype=np.float32)

    def chunk_ids(self) -> Iterator[int]:
        return self.passages.chunk_ids()

    def keyword_search(self, query: str, k: int) -> list[tuple[int, float, int]]:
        """BM25 over the live chunks: the top `k` (chunk id, score, query terms matched). The
        weights are derived from the stored term counts once per index generation."""
        if self._bm25 is None or self._bm25_generation != self.generation:
            self._bm25 = BM25(*self.passages.term_counts())
            self._bm25_generation = self.generation
        return self._bm25.search(query, k)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The `k` nearest chunk ids to a unit query vector, with cosine similarities."""
        return self.dense.search(vector, k)

    # -- loading --------------------------------------------------------------------------
    def follow(self) -> None:
        """Pick up what another process saved; cheap when the manifest has not changed."""
        try:
            stamp = (self.index_dir / MANIFEST).stat().st_mtime_ns
        except OSError:
            return
        if stamp != self._manifest_stamp:
            self.load()

    def load(self) -> bool:
        """Load the saved index. False when there is none or it was built with other settings;
        raises `IndexCorrupt` when files are damaged."""
        path = self.index_dir / MANIFEST
        if not path.exists():
            return False
        self._manifest_stamp = path.stat().st_mtime_ns
        manifest = saved.read_manifest(self.index_dir)
        if manifest is None:
            return False
        if manifest["signature"] != self.signature:
            log.info("Index was built with other settings; it will be rebuilt.")
            return False
        self.reset()
        try:
            self._read(manifest)
        except IndexCorrupt:
            self.reset()
            raise
        except Exception as exc:
            self.reset()
            raise IndexCorrupt(f"Index files under {self.index_dir} are unreadable: {exc}") from exc
        if sum(a.count for a in self.articles.values()) != len(self):
            self.reset()
            raise IndexCorrupt("Index chunks and article records disagree.")
        return True

    def _read(self, manifest: dict) -> None:
        segments = []
        for entry in manifest["segments"]:
            for file in entry["files"].values():
                saved.verify(self.index_dir, file)
            segments.append(read_segment(self.index_dir, entry["name"], entry["files"]))
        centroids = None
        if manifest["centroids"]:
            saved.verify(self.index_dir, manifest["centroids"])
            centroids = np.load(self.index_dir / manifest["centroids"]["name"])
            self._centroids_file = manifest["centroids"]
            self._trained_on = int(manifest["trained_on"])
        self.passages = Passages(self.index_dir, segments, set(manifest["deleted"]))
        self.articles = saved.read_articles(manifest["articles"])
        self.generation = int(manifest["generation"])
        self._next_id = int(manifest["next_id"])
        self.dense.set_centroids(centroids)
        self.dense.build(self.segments, self.deleted)

    # -- writing (see qa.ingest.Ingest.sync) ------------------------------------------------
    @property
    def next_id(self) -> int:
        return self._next_id

    def begin(self) -> None:
        """Nothing to prepare: changes stay in memory and in unnamed files until `commit`."""

    def delete(self, sources: list[str]) -> None:
        stale = [i for source in sources for i in self.articles.pop(source).chunk_ids]
        self.deleted.update(stale)
        self.dense.remove(np.asarray(stale, dtype=np.int64))

    def add(self, records: list[IndexedArticle], chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Write the chunks as one new segment (named by the manifest at `commit`)."""
        self.articles.update((r.source, r) for r in records)
        if not chunks:
            return
        ids = np.arange(self._next_id, self._next_id + len(chunks), dtype=np.int64)
        self._next_id += len(chunks)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        counts = count_terms([f"{c.title}\n{c.text}" for c in chunks])
        segment = self._write_segment(ids, vectors, encode_rows(ids, chunks), counts)
        self.segments.append(segment)
        self.dense.add(segment)

    def commit(self, restamped: list[IndexedArticle], touched: bool, progress: Progress) -> None:
        """Compact if due, then save the manifest if anything changed."""
        self.articles.update((r.source, r) for r in restamped)
        self._maybe_compact(progress)
        if touched or restamped or self.generation == 0:
            self.save()

    def abort(self, error: BaseException) -> BaseException:
        """Back to the saved index, on disk and in memory; a failed write becomes an
        `IndexWriteError`."""
        try:
            if not self.load():
                self.reset()
        except IndexCorrupt:
            self.reset()
        if isinstance(error, OSError):
            return IndexWriteError(
                f"Cannot save the index in {self.index_dir}: "
                f"{error.strerror or error}. The previous index is kept."
            )
        return error

    def _write_segment(
        self, ids: np.ndarray, vectors: np.ndarray, rows: list[bytes], counts: TermCounts
    ) -> Segment:
        name = f"seg-{self.generation + 1}"
        while (self.index_dir / f"{name}.vectors.npy").exists():  # a crash's leftover
            name += "0"
        assign = self.dense.assign(vectors)
        return write_segment(self.index_dir, name, ids, vectors, rows, counts, assign)

    def _maybe_compact(self, progress: Progress) -> None:
        """Train IVF when the index has grown past the threshold (again by 4x since the last
        training), go back to exact search when it has shrunk well below it, and merge segments
        when there are too many."""
        alive = len(self)
        centroids = self.dense.centroids
        train = alive >= self.ann_threshold and (centroids is None or alive > 4 * self._trained_on)
        untrain = centroids is not None and alive < self.ann_threshold // 2
        if not (train or untrain or len(self.segments) > self.max_segments):
            return
        if train:
            lists = max(1, min(int(2 * math.sqrt(alive)), alive // 16))
            progress(f"Training the approximate index ({lists} lists over {alive} passages)...")
            self.dense.train(self._sample_vectors(min(alive, 64 * lists)), lists)
            self._trained_on = alive
        elif untrain:
            self.dense.set_centroids(None)
            self._trained_on = 0
        progress(f"Compacting {len(self.segments)} segments into one...")
        merged = [self._write_segment(*self.passages.live())] if alive else []
        self.passages = Passages(self.index_dir, merged, set())
        self._write_centroids()
        self.dense.build(self.segments, self.deleted)

    def _sample_vectors(self, n: int) -> np.ndarray:
        rng = np.random.default_rng(0)
        ids = np.fromiter(self.chunk_ids(), dtype=np.int64)
        pick = np.sort(rng.choice(ids, size=n, replace=False))
        return np.stack([self.vector(int(i)) for i in pick]).astype(np.float32)

    def _write_centroids(self) -> None:
        centroids = self.dense.centroids
        if centroids is None:
            self._centroids_file = None
            return
        name = f"centroids-{self.generation + 1}.npy"

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.save(f, centroids)

        self._centroids_file = file_entry(self.index_dir / name, write)

    def save(self) -> None:
        """Switch the manifest to the current segments, then delete files it no longer names."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        generation = self.generation + 1
        saved.write_manifest(
            self.index_dir,
            {
                "signature": self.signature,
                "generation": generation,
                "next_id": self._next_id,
                "segments": [{"name": s.name, "files": s.files} for s in self.segments],
                "centroids": self._centroids_file,
                "trained_on": self._trained_on,
                "deleted": sorted(self.deleted),
                "articles": saved.article_table(self.articles),
            },
        )
        self.generation = generation
