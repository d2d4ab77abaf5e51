"""The persistent passage index: immutable segments of chunks, a manifest, and FAISS over them.

Each sync that adds chunks writes one new segment (`seg-N.vectors.npy`, `seg-N.arrays.npz`
with ids and term counts, `seg-N.chunks.jsonl` with the chunk rows) and never touches older
ones, so adding an article costs the same on a large index as on a small one. Removing an article
only records its chunk ids as deleted in the manifest. `manifest.json` names the live segments
with their sha256 and is replaced atomically after the new files are on disk: a crash at any
point leaves the old index or the new one, never a mix. Files the manifest does not name are
leftovers and are deleted.

Search is exact (a flat inner-product index) while the index is small; past `ann_threshold`
chunks the index trains IVF centroids on its vectors, as FAISS users do at that size, and every
segment stores which IVF list each of its vectors falls in, so reopening only copies vectors into
place. Training rewrites all live chunks into one segment (a compaction, which also drops deleted
rows); so does having more than `max_segments` segments.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from operator import attrgetter
from pathlib import Path

import faiss
import numpy as np
from scipy import sparse

from .chunking import Chunk, chunk_article
from .documents import Article
from .embedding import Embedder
from .files import sha256_file, write_atomic
from .keywords import BM25, TermCounts, count_terms, stack
from .settings import Settings
from .text import Span

log = logging.getLogger(__name__)

FORMAT = 4
MANIFEST = "manifest.json"
_OUR_FILES = re.compile(
    r"(seg-\d+\.(vectors\.npy|arrays\.npz|chunks\.jsonl)|centroids-\d+\.npy"
    r"|(vectors|chunks)-\d+\.(faiss|jsonl)|\..+\.tmp)"
)

Progress = Callable[[str], None]


class IndexCorrupt(RuntimeError):
    """The files under the index folder are unreadable, truncated or inconsistent."""


class IndexWriteError(RuntimeError):
    """The index could not be saved (disk full, folder not writable); the old one is kept."""


@dataclass
class IndexedArticle:
    """What the manifest remembers of one article: enough to tell whether it changed."""

    source: str
    title: str
    sha256: str
    first_id: int  # its chunks have the ids first_id, first_id + 1, ... (assigned together)
    count: int
    indexed_at: float
    size: int = 0
    mtime_ns: int = 0

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


@dataclass
class Segment:
    """One immutable batch of chunks: ids (ascending), vectors, term counts, metadata rows."""

    name: str
    ids: np.ndarray
    vectors: np.ndarray  # (rows, dim) float32, memory-mapped from disk
    lines: np.ndarray  # byte offsets of each chunk's row in the .jsonl file, and its end
    counts: TermCounts
    assign: np.ndarray  # the IVF list of each row for the manifest's centroids, or empty
    files: dict[str, dict[str, object]] = field(default_factory=dict)


def compare(
    indexed: dict[str, IndexedArticle],
    wanted: dict[str, Article],
    stats: dict[str, os.stat_result],
    unchanged: set[str] | frozenset[str],
) -> tuple[SyncReport, bool]:
    """What a sync must do to make `indexed` hold `wanted` plus the `unchanged` sources (which
    the caller did not read), and whether an unchanged article got a new timestamp (recorded
    in `indexed` in place, so the next refresh need not read the file again)."""
    report, restamped = SyncReport(), False
    for source, entry in indexed.items():
        article = wanted.get(source)
        if article is None:
            if source not in unchanged:
                report.removed.append(source)
        elif article.sha256 != entry.sha256:
            report.changed.append(source)
        elif (st := stats.get(source)) and (entry.size, entry.mtime_ns) != (
            st.st_size,
            st.st_mtime_ns,
        ):
            entry.size, entry.mtime_ns = st.st_size, st.st_mtime_ns
            restamped = True
    report.added = [s for s in wanted if s not in indexed]
    return report, restamped


def record(
    article: Article, first_id: int, count: int, stats: dict[str, os.stat_result]
) -> IndexedArticle:
    """The index's record of an article whose chunks get ids first_id, first_id + 1, ..."""
    st = stats.get(article.source)
    return IndexedArticle(
        article.source,
        article.title,
        article.sha256,
        first_id,
        count,
        time.time(),
        st.st_size if st else 0,
        st.st_mtime_ns if st else 0,
    )


def _write_atomic(path: Path, write: Callable[[Path], None]) -> dict[str, object]:
    """Write a segment file atomically; returns its manifest entry (name, size, sha256)."""
    write_atomic(path, write)
    return {"name": path.name, "size": path.stat().st_size, "sha256": sha256_file(path)}


def _chunk_row(chunk_id: int, c: Chunk) -> bytes:
    row = {
        "id": chunk_id,
        "source": c.source,
        "title": c.title,
        "text": c.text,
        "start": c.start,
        "end": c.end,
        "sentences": [[s.start, s.end] for s in c.sentences],
    }
    return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


class ArticleIndex:
    """Chunk vectors, term counts and metadata; `sync` makes it match a set of articles."""

    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder,
        chunk_chars: int,
        overlap: int,
        ann_threshold: int = Settings.ann_threshold,
        nprobe: int = Settings.ivf_nprobe,
        max_segments: int = Settings.max_segments,
    ):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.chunk_chars = chunk_chars
        self.overlap = overlap
        self.ann_threshold = ann_threshold
        self.nprobe = nprobe
        self.max_segments = max_segments
        self.reset()
        self.generation = 0

    # -- identity -------------------------------------------------------------------------
    @property
    def signature(self) -> dict[str, object]:
        """What the stored vectors depend on: change any of it and the index is rebuilt."""
        return {
            "format": FORMAT,
            "embed_model": self.embedder.model_name,
            "chunk_chars": self.chunk_chars,
            "overlap": self.overlap,
        }

    def __len__(self) -> int:
        return sum(len(s.ids) for s in self.segments) - len(self.deleted)

    @property
    def kind(self) -> str:
        """`exact` (flat) or `ivf` (approximate): how dense search runs at this size."""
        return "ivf" if self._centroids is not None else "exact"

    def reset(self) -> None:
        self.articles: dict[str, IndexedArticle] = {}
        self.segments: list[Segment] = []
        self.deleted: set[int] = set()
        self._next_id = 0
        self._centroids: np.ndarray | None = None
        self._centroids_file: dict[str, object] | None = None
        self._trained_on = 0
        self._dense: faiss.Index | None = None
        self._quantizer: faiss.Index | None = None
        self._bm25: BM25 | None = None
        self._bm25_generation = -1
        self._manifest_stamp = 0

    # -- reading chunks -------------------------------------------------------------------
    def _locate(self, chunk_id: int) -> tuple[Segment, int]:
        firsts = [int(s.ids[0]) for s in self.segments]
        where = bisect.bisect_right(firsts, chunk_id) - 1
        if where >= 0:
            segment = self.segments[where]
            row = int(np.searchsorted(segment.ids, chunk_id))
            if row < len(segment.ids) and segment.ids[row] == chunk_id:
                return segment, row
        raise KeyError(chunk_id)

    def chunk(self, chunk_id: int) -> Chunk:
        """The chunk with this id, read from its segment's metadata file."""
        segment, row = self._locate(chunk_id)
        with open(self.index_dir / f"{segment.name}.chunks.jsonl", "rb") as f:
            f.seek(int(segment.lines[row]))
            data = json.loads(f.read(int(segment.lines[row + 1] - segment.lines[row])))
        spans = tuple(Span(a, b) for a, b in data["sentences"])
        return Chunk(data["source"], data["title"], data["text"], data["start"], data["end"], spans)

    def vector(self, chunk_id: int) -> np.ndarray:
        """The stored unit vector of one chunk."""
        segment, row = self._locate(chunk_id)
        return np.asarray(segment.vectors[row], dtype=np.float32)

    def chunks(self, ids: list[int]) -> list[Chunk]:
        return [self.chunk(i) for i in ids]

    def vectors(self, ids: list[int]) -> np.ndarray:
        return np.asarray([self.vector(i) for i in ids], dtype=np.float32)

    def chunk_ids(self) -> Iterator[int]:
        for segment in self.segments:
            for i in segment.ids.tolist():
                if i not in self.deleted:
                    yield i

    def term_counts(self) -> tuple[np.ndarray, TermCounts]:
        """Ids and term counts of every live chunk, for keyword search."""
        ids = np.concatenate([s.ids for s in self.segments]) if self.segments else np.zeros(0)
        counts = stack([s.counts for s in self.segments])
        if self.deleted:
            alive = ~np.isin(ids, np.fromiter(self.deleted, dtype=np.int64))
            ids, counts = ids[alive], TermCounts(counts.vocab, counts.counts[alive])
        return ids.astype(np.int64), counts

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
        manifest_path = self.index_dir / MANIFEST
        if not manifest_path.exists():
            return False
        self._manifest_stamp = manifest_path.stat().st_mtime_ns
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            signature = manifest["signature"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorrupt(f"{manifest_path} is unreadable: {exc}") from exc
        if signature != self.signature:
            log.info("Index was built with other settings; it will be rebuilt.")
            return False
        self.reset()
        try:
            for entry in manifest["segments"]:
                for file in entry["files"].values():
                    self._verify(file)
                self.segments.append(self._read_segment(entry["name"], entry["files"]))
            if manifest["centroids"]:
                self._verify(manifest["centroids"])
                self._centroids = np.load(self.index_dir / manifest["centroids"]["name"])
                self._centroids_file = manifest["centroids"]
                self._trained_on = int(manifest["trained_on"])
            self.deleted = set(manifest["deleted"])
            columns = manifest["articles"]
            self.articles = {
                a.source: a for a in map(IndexedArticle, *(columns[f] for f in ARTICLE_FIELDS))
            }
            self.generation = int(manifest["generation"])
            self._next_id = int(manifest["next_id"])
            self._build_dense()
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

    def _verify(self, file: dict[str, object]) -> None:
        path = self.index_dir / str(file["name"])
        if not path.exists() or path.stat().st_size != file["size"]:
            raise IndexCorrupt(f"Index file {path.name} is missing or truncated.")
        if sha256_file(path) != file["sha256"]:
            raise IndexCorrupt(f"Index file {path.name} does not match its checksum.")

    def _read_segment(self, name: str, files: dict[str, dict[str, object]]) -> Segment:
        vectors = np.load(self.index_dir / f"{name}.vectors.npy", mmap_mode="r")
        with np.load(self.index_dir / f"{name}.arrays.npz") as a:
            counts = sparse.csr_matrix(
                (a["data"], a["indices"], a["indptr"]), shape=(len(a["ids"]), len(a["vocab"]))
            )
            return Segment(
                name,
                a["ids"],
                vectors,
                a["lines"],
                TermCounts(a["vocab"].tolist(), counts),
                a["assign"],
                files,
            )

    # -- dense search structure -------------------------------------------------------------
    def _build_dense(self) -> None:
        """FAISS over the live vectors: flat while small, IVF once centroids are trained."""
        dim = self.embedder.dimension
        if self._centroids is None:
            self._quantizer = None
            self._dense = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        else:
            self._quantizer = faiss.IndexFlatIP(dim)
            self._quantizer.add(self._centroids)
            ivf = faiss.IndexIVFFlat(
                self._quantizer, dim, len(self._centroids), faiss.METRIC_INNER_PRODUCT
            )
            ivf.is_trained = True
            ivf.nprobe = self.nprobe
            self._dense = ivf
        for segment in self.segments:
            self._add_dense(segment)
        if self.deleted:
            self._dense.remove_ids(np.fromiter(self.deleted, dtype=np.int64))

    def _add_dense(self, segment: Segment) -> None:
        vectors = np.ascontiguousarray(segment.vectors, dtype=np.float32)
        ids = np.ascontiguousarray(segment.ids, dtype=np.int64)
        if self._quantizer is None:
            self._dense.add_with_ids(vectors, ids)
            return
        assign = np.ascontiguousarray(segment.assign, dtype=np.int64)
        if len(assign) != len(ids):
            raise IndexCorrupt(f"Segment {segment.name} has no IVF lists for these centroids.")
        self._dense.add_core(
            len(ids), faiss.swig_ptr(vectors), faiss.swig_ptr(ids), faiss.swig_ptr(assign)
        )

    def _assign(self, vectors: np.ndarray) -> np.ndarray:
        if self._quantizer is None:
            return np.zeros(0, dtype=np.int32)
        _, lists = self._quantizer.search(np.ascontiguousarray(vectors, dtype=np.float32), 1)
        return lists.ravel().astype(np.int32)

    # -- updating -------------------------------------------------------------------------
    def sync(
        self,
        articles: list[Article],
        stats: dict[str, os.stat_result] | None = None,
        progress: Progress | None = None,
        unchanged: set[str] | frozenset[str] = frozenset(),
    ) -> SyncReport:
        """Make the index hold exactly `articles` plus the already indexed `unchanged` ones (which
        the caller did not need to read), embedding only new or changed articles, and save it if
        anything changed. If saving fails, the index on disk and in memory stay as they were and
        the error is raised."""
        try:
            return self._sync(articles, stats or {}, progress or log.info, unchanged)
        except BaseException as exc:
            try:
                if not self.load():
                    self.reset()
            except IndexCorrupt:
                self.reset()
            if isinstance(exc, OSError):
                raise IndexWriteError(
                    f"Cannot save the index in {self.index_dir}: "
                    f"{exc.strerror or exc}. The previous index is kept."
                ) from exc
            raise

    def _sync(
        self,
        articles: list[Article],
        stats: dict[str, os.stat_result],
        progress: Progress,
        unchanged: set[str] | frozenset[str],
    ) -> SyncReport:
        wanted = {a.source: a for a in articles}
        if self._dense is None:
            self._build_dense()
        report, restamped = compare(self.articles, wanted, stats, unchanged)
        stale: list[int] = []
        for source in report.removed + report.changed:
            stale.extend(self.articles.pop(source).chunk_ids)
        if stale:
            self.deleted.update(stale)
            self._dense.remove_ids(np.asarray(stale, dtype=np.int64))

        chunks: list[Chunk] = []
        for source in report.added + report.changed:
            article_chunks = chunk_article(wanted[source], self.chunk_chars, self.overlap)
            self.articles[source] = record(
                wanted[source], self._next_id + len(chunks), len(article_chunks), stats
            )
            chunks.extend(article_chunks)
        if chunks:
            progress(
                f"Embedding {len(chunks)} passages from {len(report.added + report.changed)}"
                " articles..."
            )
            vectors = self.embedder.encode([c.text for c in chunks], progress=len(chunks) > 256)
            ids = np.arange(self._next_id, self._next_id + len(chunks), dtype=np.int64)
            self._next_id += len(chunks)
            self.index_dir.mkdir(parents=True, exist_ok=True)
            segment = self._write_segment(
                ids,
                vectors,
                [_chunk_row(int(i), c) for i, c in zip(ids, chunks, strict=True)],
                count_terms([f"{c.title}\n{c.text}" for c in chunks]),
            )
            self.segments.append(segment)
            self._add_dense(segment)
            report.chunks_embedded = len(chunks)
        self._maybe_compact(progress)
        if report.touched or restamped or self.generation == 0:
            self.save()
        return report

    def _write_segment(
        self, ids: np.ndarray, vectors: np.ndarray, rows: list[bytes], counts: TermCounts
    ) -> Segment:
        """Write one new segment's files (not yet named by the manifest) and return it."""
        name = f"seg-{self.generation + 1}"
        while (self.index_dir / f"{name}.vectors.npy").exists():  # a crash's leftover
            name += "0"
        lines = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
        assign = self._assign(vectors)
        m = counts.counts

        def write_arrays(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.savez(
                    f,
                    ids=ids,
                    lines=lines,
                    assign=assign,
                    vocab=np.asarray(counts.vocab, dtype=str),
                    data=m.data,
                    indices=m.indices,
                    indptr=m.indptr,
                )

        def write_rows(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                f.writelines(rows)

        def write_vectors(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.save(f, np.ascontiguousarray(vectors, dtype=np.float32))

        files = {
            "vectors": _write_atomic(self.index_dir / f"{name}.vectors.npy", write_vectors),
            "arrays": _write_atomic(self.index_dir / f"{name}.arrays.npz", write_arrays),
            "chunks": _write_atomic(self.index_dir / f"{name}.chunks.jsonl", write_rows),
        }
        return self._read_segment(name, files)

    def _maybe_compact(self, progress: Progress) -> None:
        """Train IVF when the index has grown past the threshold (again by 4x since the last
        training), go back to exact search when it has shrunk well below it, and merge segments
        when there are too many."""
        alive = len(self)
        train = alive >= self.ann_threshold and (
            self._centroids is None or alive > 4 * self._trained_on
        )
        untrain = self._centroids is not None and alive < self.ann_threshold // 2
        if not (train or untrain or len(self.segments) > self.max_segments):
            return
        if train:
            lists = max(1, min(int(2 * math.sqrt(alive)), alive // 16))
            progress(f"Training the approximate index ({lists} lists over {alive} passages)...")
            sample = self._sample_vectors(min(alive, 64 * lists))
            kmeans = faiss.Kmeans(sample.shape[1], lists, niter=20, seed=1, spherical=True)
            kmeans.train(sample)
            self._centroids, self._trained_on = kmeans.centroids, alive
        elif untrain:
            self._centroids, self._trained_on = None, 0
        self._quantizer = None
        if self._centroids is not None:
            self._quantizer = faiss.IndexFlatIP(self._centroids.shape[1])
            self._quantizer.add(self._centroids)
        progress(f"Compacting {len(self.segments)} segments into one...")
        ids = [s.ids for s in self.segments]
        keep = [~np.isin(i, np.fromiter(self.deleted, dtype=np.int64)) for i in ids]
        all_ids = np.concatenate([i[k] for i, k in zip(ids, keep, strict=True)])
        vectors = np.concatenate([s.vectors[k] for s, k in zip(self.segments, keep, strict=True)])
        rows = []
        for segment, k in zip(self.segments, keep, strict=True):
            with open(self.index_dir / f"{segment.name}.chunks.jsonl", "rb") as f:
                data = f.read()
            rows.extend(
                data[a:b]
                for a, b, alive_row in zip(segment.lines[:-1], segment.lines[1:], k, strict=True)
                if alive_row
            )
        counts = stack([s.counts for s in self.segments])
        counts = TermCounts(counts.vocab, counts.counts[np.concatenate(keep)])
        self.segments = [self._write_segment(all_ids, vectors, rows, counts)]
        self.deleted = set()
        self._write_centroids()
        self._build_dense()

    def _sample_vectors(self, n: int) -> np.ndarray:
        rng = np.random.default_rng(0)
        ids = np.fromiter(self.chunk_ids(), dtype=np.int64)
        pick = np.sort(rng.choice(ids, size=n, replace=False))
        return np.stack([self.vector(int(i)) for i in pick]).astype(np.float32)

    def _write_centroids(self) -> None:
        if self._centroids is None:
            self._centroids_file = None
            return
        name = f"centroids-{self.generation + 1}.npy"
        centroids = self._centroids

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.save(f, centroids)

        self._centroids_file = _write_atomic(self.index_dir / name, write)

    def save(self) -> None:
        """Switch the manifest to the current segments, then delete files it no longer names."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        generation = self.generation + 1
        # The article table by column: half the time of a dict per article at 20k articles.
        rows = map(attrgetter(*ARTICLE_FIELDS), self.articles.values())
        columns = list(zip(*rows, strict=True)) or [()] * len(ARTICLE_FIELDS)
        manifest = {
            "signature": self.signature,
            "generation": generation,
            "next_id": self._next_id,
            "segments": [{"name": s.name, "files": s.files} for s in self.segments],
            "centroids": self._centroids_file,
            "trained_on": self._trained_on,
            "deleted": sorted(self.deleted),
            "articles": dict(zip(ARTICLE_FIELDS, map(list, columns), strict=True)),
        }
        _write_atomic(
            self.index_dir / MANIFEST,
            lambda tmp: tmp.write_text(json.dumps(manifest), encoding="utf-8"),
        )
        self.generation = generation
        named = {str(f["name"]) for s in self.segments for f in s.files.values()}
        if self._centroids_file:
            named.add(str(self._centroids_file["name"]))
        for path in self.index_dir.iterdir():
            if _OUR_FILES.fullmatch(path.name) and path.name not in named:
                with contextlib.suppress(OSError):
                    path.unlink()

    # -- searching ------------------------------------------------------------------------
    def keyword_search(self, query: str, k: int) -> list[tuple[int, float, int]]:
        """BM25 over the live chunks: the top `k` (chunk id, score, query terms matched). The
        weights are derived from the stored term counts once per index generation."""
        if self._bm25 is None or self._bm25_generation != self.generation:
            self._bm25 = BM25(*self.term_counts())
            self._bm25_generation = self.generation
        return self._bm25.search(query, k)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The `k` nearest chunk ids to a unit query vector, with cosine similarities."""
        if self._dense is None or self._dense.ntotal == 0:
            return []
        scores, ids = self._dense.search(vector.reshape(1, -1).astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
