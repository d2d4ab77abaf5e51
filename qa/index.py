"""The persistent passage index: FAISS vectors, chunk metadata and a manifest of article hashes.

Layout of `index/`: `manifest.json` names one generation of `vectors-N.faiss` and
`chunks-N.jsonl` and records their sha256. A save writes the new generation's files aside,
then atomically replaces the manifest, then deletes older generations: a crash at any point
leaves the old index or the new one, never a mix. A manifest whose files are missing or do not
match their checksums is reported as corrupt, and the caller rebuilds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np

from .chunking import Chunk, chunk_article
from .documents import Article
from .embedding import Embedder
from .text import Span

log = logging.getLogger(__name__)

FORMAT = 2
MANIFEST = "manifest.json"

Progress = Callable[[str], None]


class IndexCorrupt(RuntimeError):
    """The files under the index folder are unreadable, truncated or inconsistent."""


@dataclass
class IndexedArticle:
    """What the manifest remembers of one article: enough to tell whether it changed."""

    source: str
    title: str
    sha256: str
    chunk_ids: list[int]
    indexed_at: float
    size: int = 0
    mtime_ns: int = 0


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks_embedded: int = 0

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write` on a temp file beside `path`, flush it to disk, then rename it over `path`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class ArticleIndex:
    """Chunk vectors in FAISS plus their metadata; `sync` makes it match a set of articles."""

    def __init__(self, index_dir: Path, embedder: Embedder, chunk_chars: int, overlap: int):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.chunk_chars = chunk_chars
        self.overlap = overlap
        self.articles: dict[str, IndexedArticle] = {}
        self.chunks: dict[int, Chunk] = {}
        self.generation = 0
        self._vectors: faiss.IndexIDMap2 | None = None
        self._next_id = 0

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
        return len(self.chunks)

    # -- loading --------------------------------------------------------------------------
    def load(self) -> bool:
        """Load the saved index. False when there is none or it was built with other settings;
        raises `IndexCorrupt` when files are damaged."""
        manifest_path = self.index_dir / MANIFEST
        if not manifest_path.exists():
            return False
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            files = manifest["files"]
            signature = manifest["signature"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorrupt(f"{manifest_path} is unreadable: {exc}") from exc
        if signature != self.signature:
            log.info("Index was built with other settings; it will be rebuilt.")
            return False
        for role, entry in files.items():
            path = self.index_dir / entry["name"]
            if not path.exists() or path.stat().st_size != entry["size"]:
                raise IndexCorrupt(f"Index file {path.name} ({role}) is missing or truncated.")
            if _sha256(path) != entry["sha256"]:
                raise IndexCorrupt(f"Index file {path.name} ({role}) does not match its checksum.")
        try:
            vectors = faiss.read_index(str(self.index_dir / files["vectors"]["name"]))
            chunks = {}
            with open(self.index_dir / files["chunks"]["name"], encoding="utf-8") as f:
                for line in f:
                    row = json.loads(line)
                    chunks[row["id"]] = Chunk(
                        row["source"],
                        row["title"],
                        row["text"],
                        row["start"],
                        row["end"],
                        tuple(Span(a, b) for a, b in row["sentences"]),
                    )
            articles = {s: IndexedArticle(**a) for s, a in manifest["articles"].items()}
        except Exception as exc:
            raise IndexCorrupt(f"Index files under {self.index_dir} are unreadable: {exc}") from exc
        if vectors.ntotal != len(chunks):
            raise IndexCorrupt("Index vectors and chunk metadata disagree.")
        self._vectors = vectors
        self.chunks, self.articles = chunks, articles
        self.generation = int(manifest["generation"])
        self._next_id = int(manifest["next_id"])
        return True

    # -- updating -------------------------------------------------------------------------
    def _empty_vectors(self) -> faiss.IndexIDMap2:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.embedder.dimension))

    def reset(self) -> None:
        self.articles, self.chunks = {}, {}
        self._vectors = None
        self._next_id = 0

    def sync(
        self,
        articles: list[Article],
        stats: dict[str, os.stat_result] | None = None,
        progress: Progress | None = None,
    ) -> SyncReport:
        """Make the index hold exactly `articles`, re-embedding only new or changed ones,
        and save it if anything changed."""
        report = SyncReport()
        stats = stats or {}
        wanted = {a.source: a for a in articles}
        if self._vectors is None:
            self._vectors = self._empty_vectors()
        stale_ids: list[int] = []
        for source, entry in list(self.articles.items()):
            article = wanted.get(source)
            if article is None:
                report.removed.append(source)
            elif article.sha256 != entry.sha256:
                report.changed.append(source)
            else:
                if source in stats:  # same content, new timestamp: remember it, no re-embedding
                    entry.size, entry.mtime_ns = stats[source].st_size, stats[source].st_mtime_ns
                continue
            stale_ids.extend(entry.chunk_ids)
            del self.articles[source]
        report.added = [s for s in wanted if s not in self.articles and s not in report.changed]

        if stale_ids:
            self._vectors.remove_ids(np.asarray(stale_ids, dtype=np.int64))
            for chunk_id in stale_ids:
                self.chunks.pop(chunk_id, None)

        todo = [wanted[s] for s in report.added + report.changed]
        new_chunks: list[tuple[int, Chunk]] = []
        for article in todo:
            ids = []
            for chunk in chunk_article(article, self.chunk_chars, self.overlap):
                new_chunks.append((self._next_id, chunk))
                ids.append(self._next_id)
                self._next_id += 1
            st = stats.get(article.source)
            self.articles[article.source] = IndexedArticle(
                article.source,
                article.title,
                article.sha256,
                ids,
                time.time(),
                st.st_size if st else 0,
                st.st_mtime_ns if st else 0,
            )
        if new_chunks:
            if progress:
                progress(f"Embedding {len(new_chunks)} passages from {len(todo)} articles...")
            vectors = self.embedder.encode(
                [c.text for _, c in new_chunks], progress=len(new_chunks) > 256
            )
            ids = np.asarray([i for i, _ in new_chunks], dtype=np.int64)
            self._vectors.add_with_ids(vectors, ids)
            self.chunks.update(new_chunks)
            report.chunks_embedded = len(new_chunks)
        if report.touched or self.generation == 0:
            self.save()
        return report

    def save(self) -> None:
        """Write a new generation aside, switch the manifest to it, then drop older ones."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        generation = self.generation + 1
        names = {"vectors": f"vectors-{generation}.faiss", "chunks": f"chunks-{generation}.jsonl"}
        vectors = self._vectors if self._vectors is not None else self._empty_vectors()

        def write_chunks(tmp: Path) -> None:
            with open(tmp, "w", encoding="utf-8") as f:
                for chunk_id, c in self.chunks.items():
                    row = {
                        "id": chunk_id,
                        "source": c.source,
                        "title": c.title,
                        "text": c.text,
                        "start": c.start,
                        "end": c.end,
                        "sentences": [[s.start, s.end] for s in c.sentences],
                    }
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")

        _write_atomic(
            self.index_dir / names["vectors"], lambda tmp: faiss.write_index(vectors, str(tmp))
        )
        _write_atomic(self.index_dir / names["chunks"], write_chunks)
        files = {}
        for role, name in names.items():
            path = self.index_dir / name
            files[role] = {"name": name, "size": path.stat().st_size, "sha256": _sha256(path)}
        manifest = {
            "signature": self.signature,
            "generation": generation,
            "next_id": self._next_id,
            "files": files,
            "articles": {s: asdict(a) for s, a in self.articles.items()},
        }
        _write_atomic(
            self.index_dir / MANIFEST,
            lambda tmp: tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8"),
        )
        self.generation = generation
        self._vectors = vectors
        self._remove_other_generations(set(names.values()))

    def _remove_other_generations(self, keep: set[str]) -> None:
        for path in self.index_dir.iterdir():
            leftover = re.fullmatch(r"(vectors|chunks)-\d+\.(faiss|jsonl)", path.name) or (
                path.name.startswith(".") and path.name.endswith(".tmp")
            )
            if leftover and path.name not in keep:
                with contextlib.suppress(OSError):
                    path.unlink()

    # -- searching ------------------------------------------------------------------------
    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The `k` nearest chunk ids to a unit query vector, with cosine similarities."""
        if self._vectors is None or self._vectors.ntotal == 0:
            return []
        scores, ids = self._vectors.search(vector.reshape(1, -1).astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def vector(self, chunk_id: int) -> np.ndarray:
        """The stored unit vector of one chunk."""
        return self._vectors.reconstruct(int(chunk_id))
