"""Segments: immutable batches of passages on disk, and the live passages across them.

A segment is three files written once: `seg-N.vectors.npy` (unit vectors, memory-mapped when
read), `seg-N.arrays.npz` (chunk ids, the byte offset of each row, the IVF list of each vector,
term counts) and `seg-N.chunks.jsonl` (one JSON row per chunk, read by offset on demand).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from ..chunking import Chunk
from ..files import sha256_file, write_atomic
from ..keywords import TermCounts, stack
from ..store import chunk_row, row_chunk


def file_entry(path: Path, write: Callable[[Path], None]) -> dict[str, object]:
    """Write an index file atomically; returns its manifest entry (name, size, sha256)."""
    write_atomic(path, write)
    return {"name": path.name, "size": path.stat().st_size, "sha256": sha256_file(path)}


def encode_rows(ids: np.ndarray, chunks: list[Chunk]) -> list[bytes]:
    """The JSON lines of a segment's chunks file."""
    return [
        (json.dumps(chunk_row(int(i), c), ensure_ascii=False) + "\n").encode("utf-8")
        for i, c in zip(ids, chunks, strict=True)
    ]


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


def read_segment(folder: Path, name: str, files: dict[str, dict[str, object]]) -> Segment:
    vectors = np.load(folder / f"{name}.vectors.npy", mmap_mode="r")
    with np.load(folder / f"{name}.arrays.npz") as a:
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


def write_segment(
    folder: Path,
    name: str,
    ids: np.ndarray,
    vectors: np.ndarray,
    rows: list[bytes],
    counts: TermCounts,
    assign: np.ndarray,
) -> Segment:
    """Write one new segment's files (not yet named by the manifest) and return it."""
    lines = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
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
        "vectors": file_entry(folder / f"{name}.vectors.npy", write_vectors),
        "arrays": file_entry(folder / f"{name}.arrays.npz", write_arrays),
        "chunks": file_entry(folder / f"{name}.chunks.jsonl", write_rows),
    }
    return read_segment(folder, name, files)


class Passages:
    """The live passages: the segments in id order, less the ids deleted since they were
    written."""

    def __init__(self, folder: Path, segments: list[Segment], deleted: set[int]):
        self.folder = folder
        self.segments = segments
        self.deleted = deleted

    def __len__(self) -> int:
        return sum(len(s.ids) for s in self.segments) - len(self.deleted)

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
        """The chunk with this id, read from its segment's rows file."""
        segment, row = self._locate(chunk_id)
        with open(self.folder / f"{segment.name}.chunks.jsonl", "rb") as f:
            f.seek(int(segment.lines[row]))
            return row_chunk(json.loads(f.read(int(segment.lines[row + 1] - segment.lines[row]))))

    def vector(self, chunk_id: int) -> np.ndarray:
        """The stored unit vector of one chunk."""
        segment, row = self._locate(chunk_id)
        return np.asarray(segment.vectors[row], dtype=np.float32)

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

    def live(self) -> tuple[np.ndarray, np.ndarray, list[bytes], TermCounts]:
        """Ids, vectors, rows and term counts of every live chunk, for a compaction."""
        ids = [s.ids for s in self.segments]
        keep = [~np.isin(i, np.fromiter(self.deleted, dtype=np.int64)) for i in ids]
        all_ids = np.concatenate([i[k] for i, k in zip(ids, keep, strict=True)])
        vectors = np.concatenate([s.vectors[k] for s, k in zip(self.segments, keep, strict=True)])
        rows = []
        for segment, k in zip(self.segments, keep, strict=True):
            with open(self.folder / f"{segment.name}.chunks.jsonl", "rb") as f:
                data = f.read()
            rows.extend(
                data[a:b]
                for a, b, alive_row in zip(segment.lines[:-1], segment.lines[1:], k, strict=True)
                if alive_row
            )
        counts = stack([s.counts for s in self.segments])
        return all_ids, vectors, rows, TermCounts(counts.vocab, counts.counts[np.concatenate(keep)])
