"""Dense search over the live vectors: an exact flat inner-product index while the index is
small, IVF once centroids are trained, as FAISS users do past a few hundred thousand vectors.
Every segment stores which IVF list each of its vectors falls in, so reopening only copies
vectors into place."""

from __future__ import annotations

import faiss
import numpy as np

from ..store import IndexCorrupt
from .segments import Segment


class Dense:
    """FAISS over the segments' vectors; `centroids` None means exact search."""

    def __init__(self, nprobe: int):
        self.nprobe = nprobe
        self.centroids: np.ndarray | None = None
        self._quantizer: faiss.Index | None = None
        self._index: faiss.Index | None = None  # None until the first vectors arrive

    @property
    def kind(self) -> str:
        """`exact` (flat) or `ivf` (approximate): how dense search runs at this size."""
        return "ivf" if self.centroids is not None else "exact"

    @property
    def lists(self) -> int:
        """IVF lists (0 while search is exact)."""
        return 0 if self.centroids is None else len(self.centroids)

    def set_nprobe(self, nprobe: int) -> None:
        """Search this many IVF lists per query from now on: recall against speed."""
        self.nprobe = nprobe
        if self._index is not None and self._quantizer is not None:
            self._index.nprobe = nprobe

    @property
    def ntotal(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    def set_centroids(self, centroids: np.ndarray | None) -> None:
        """Use these IVF centroids (None: exact search) for new vectors; `build` to apply."""
        self.centroids, self._quantizer = centroids, None
        if centroids is not None:
            self._quantizer = faiss.IndexFlatIP(centroids.shape[1])
            self._quantizer.add(centroids)

    def train(self, sample: np.ndarray, lists: int) -> None:
        """Train `lists` spherical k-means centroids on a sample of the vectors."""
        kmeans = faiss.Kmeans(sample.shape[1], lists, niter=20, seed=1, spherical=True)
        kmeans.train(sample)
        self.set_centroids(kmeans.centroids)

    def build(self, segments: list[Segment], deleted: set[int]) -> None:
        """Index every segment's vectors, less the deleted ids."""
        self._index = None
        for segment in segments:
            self.add(segment)
        if deleted:
            self.remove(np.fromiter(deleted, dtype=np.int64))

    def _empty(self, dim: int) -> faiss.Index:
        if self._quantizer is None:
            return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        ivf = faiss.IndexIVFFlat(
            self._quantizer, dim, len(self.centroids), faiss.METRIC_INNER_PRODUCT
        )
        ivf.is_trained = True
        ivf.nprobe = self.nprobe
        return ivf

    def add(self, segment: Segment) -> None:
        vectors = np.ascontiguousarray(segment.vectors, dtype=np.float32)
        ids = np.ascontiguousarray(segment.ids, dtype=np.int64)
        if self._index is None:
            self._index = self._empty(vectors.shape[1])
        if self._quantizer is None:
            self._index.add_with_ids(vectors, ids)
            return
        assign = np.ascontiguousarray(segment.assign, dtype=np.int64)
        if len(assign) != len(ids):
            raise IndexCorrupt(f"Segment {segment.name} has no IVF lists for these centroids.")
        self._index.add_core(
            len(ids), faiss.swig_ptr(vectors), faiss.swig_ptr(ids), faiss.swig_ptr(assign)
        )

    def remove(self, ids: np.ndarray) -> None:
        if self._index is not None and len(ids):
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def assign(self, vectors: np.ndarray) -> np.ndarray:
        """The IVF list of each vector (empty while search is exact)."""
        if self._quantizer is None:
            return np.zeros(0, dtype=np.int32)
        _, lists = self._quantizer.search(np.ascontiguousarray(vectors, dtype=np.float32), 1)
        return lists.ravel().astype(np.int32)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The `k` nearest chunk ids to a unit query vector, with cosine similarities."""
        if self.ntotal == 0:
            return []
        scores, ids = self._index.search(vector.reshape(1, -1).astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
