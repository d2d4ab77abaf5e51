"""Articles into a passage store: what changed, chunking and embedding, in one place.

Only files whose size or modification time differ from the store's record are read (all of
them when forced); of those, an article whose content hash is unchanged only gets its new time
recorded. New and changed articles are chunked and embedded, `store.batch` passages at a time
(all at once for the FAISS index, which writes one segment per sync), and handed to the store,
which only writes, deletes and searches (`qa.store.PassageStore`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from . import chunking, documents, embedding, keywords, stopwords, text
from .chunking import Chunk, chunk_article
from .converters import LIMITS, Limits
from .converters import html as html_converter
from .converters import meta as converter_meta
from .converters import pdf as pdf_converter
from .converters import text as text_converter
from .documents import Article, load_articles
from .embedding import Embedder
from .store import ROW_FORMAT, IndexedArticle, PassageStore, Progress, SyncReport

log = logging.getLogger(__name__)

# The modules whose output a store keeps (article text, titles and metadata, sentence and chunk
# offsets, term counts, vectors): a change to any of them makes stored passages stale.
_MADE_BY = (
    documents,
    text_converter,
    html_converter,
    pdf_converter,
    converter_meta,
    text,
    stopwords,
    chunking,
    keywords,
    embedding,
)
# The libraries whose output is stored too: another trafilatura can extract another text from
# the same page, and the stored offsets would no longer point into it.
_EXTRACTORS = ("trafilatura", "htmldate", "charset-normalizer", "pypdf")


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in _EXTRACTORS:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} -")
    return ", ".join(found)


def _code(module: ModuleType) -> bytes:
    """A module's code as every install has it: the source with Unix line ends (`get_source`
    translates them), or the compiled file where no source ships."""
    try:
        source = module.__loader__.get_source(module.__name__)
    except (AttributeError, ImportError, OSError):
        source = None
    return source.encode() if source is not None else Path(module.__file__).read_bytes()


def signature(embed_model: str, chunk_chars: int, overlap: int) -> dict[str, object]:
    """What stored passages depend on; a store built with another signature is rebuilt."""
    code = hashlib.sha256()
    for module in _MADE_BY:
        code.update(_code(module))
    return {
        "embed_model": embed_model,
        "chunk_chars": chunk_chars,
        "overlap": overlap,
        "code": code.hexdigest()[:16],
        "rows": ROW_FORMAT,
        "extractors": _versions(),
    }


def plan(
    indexed: dict[str, IndexedArticle],
    wanted: dict[str, Article],
    stats: dict[str, os.stat_result],
    unchanged: set[str] | frozenset[str],
) -> tuple[SyncReport, list[IndexedArticle]]:
    """What a sync must do to make `indexed` hold `wanted` plus the `unchanged` sources (which
    were not read), and the records of unchanged articles whose file got a new time (recorded
    so the next refresh need not read the file again)."""
    report, restamped = SyncReport(), []
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
            restamped.append(dataclasses.replace(entry, size=st.st_size, mtime_ns=st.st_mtime_ns))
    report.added = [s for s in wanted if s not in indexed]
    return report, restamped


def record(
    article: Article, first_id: int, count: int, stats: dict[str, os.stat_result]
) -> IndexedArticle:
    """The store's record of an article whose chunks get ids first_id, first_id + 1, ..."""
    st, meta = stats.get(article.source), article.meta
    return IndexedArticle(
        article.source,
        article.title,
        article.sha256,
        first_id,
        count,
        time.time(),
        st.st_size if st else 0,
        st.st_mtime_ns if st else 0,
        meta.date,
        meta.outlet,
        meta.url,
        meta.author,
    )


class Ingest:
    """Keeps a store in line with a set of articles, chunked and embedded with these settings."""

    def __init__(
        self,
        embedder: Embedder,
        chunk_chars: int,
        overlap: int,
        limits: Limits = LIMITS,
    ):
        self.embedder = embedder
        self.chunk_chars = chunk_chars
        self.overlap = overlap
        self.limits = limits

    def sync_folder(
        self,
        store: PassageStore,
        folder: Path,
        stats: dict[str, os.stat_result],
        force: bool = False,
        progress: Progress | None = None,
    ) -> tuple[SyncReport, list[str]]:
        """Make `store` hold the articles `stats` lists (file name -> stat, from a folder scan),
        reading only those whose size or time differ from the store's record (all with `force`).
        Returns the report and a warning per file that could not be read."""
        progress = progress or log.info
        known = store.articles
        unchanged = {
            source
            for source, st in stats.items()
            if not force
            and source in known
            and (known[source].size, known[source].mtime_ns) == (st.st_size, st.st_mtime_ns)
        }
        articles, warnings = load_articles(
            folder, {s: folder / s for s in sorted(stats.keys() - unchanged)}, self.limits
        )
        if not articles and not unchanged:
            progress(f"No readable articles in {folder}.")
        return self.sync(store, articles, stats, progress, unchanged), warnings

    def sync(
        self,
        store: PassageStore,
        articles: list[Article],
        stats: dict[str, os.stat_result] | None = None,
        progress: Progress | None = None,
        unchanged: set[str] | frozenset[str] = frozenset(),
    ) -> SyncReport:
        """Make `store` hold exactly `articles` plus the already stored `unchanged` ones,
        embedding only new or changed articles. On any error the store goes back to what it
        last saved and the error is raised (a failed write as `IndexWriteError`)."""
        stats, progress = stats or {}, progress or log.info
        wanted = {a.source: a for a in articles}
        report, restamped = plan(store.articles, wanted, stats, unchanged)
        try:
            store.begin()
            store.delete(report.removed + report.changed)
            todo = [wanted[s] for s in report.added + report.changed]
            report.chunks_embedded = self._add(store, todo, stats, progress)
            store.commit(restamped, report.touched, progress)
        except BaseException as exc:
            error = store.abort(exc)
            if error is exc:
                raise
            raise error from exc
        return report

    def _add(
        self,
        store: PassageStore,
        todo: list[Article],
        stats: dict[str, os.stat_result],
        progress: Progress,
    ) -> int:
        """Chunk, embed and hand `todo` to the store, `store.batch` passages at a time; the
        number of passages embedded."""
        next_id, total = store.next_id, 0
        records: list[IndexedArticle] = []
        chunks: list[Chunk] = []
        for n, article in enumerate(todo, 1):
            pieces = chunk_article(article, self.chunk_chars, self.overlap)
            records.append(record(article, next_id + len(chunks), len(pieces), stats))
            chunks.extend(pieces)
            if n < len(todo) and (store.batch is None or len(chunks) < store.batch):
                continue
            if store.batch is None and chunks:
                progress(f"Embedding {len(chunks)} passages from {len(todo)} articles...")
            store.add(records, chunks, self._embed(chunks, store.batch))
            next_id, total = next_id + len(chunks), total + len(chunks)
            if store.batch is not None:
                progress(f"Indexed {n}/{len(todo)} articles ({total} passages).")
            records, chunks = [], []
        return total

    def _embed(self, chunks: list[Chunk], batch: int | None) -> np.ndarray:
        if not chunks:  # nothing to embed: no need to load the embedder
            return np.zeros((0, 0), dtype=np.float32)
        texts = [c.text for c in chunks]
        if batch is None:
            return self.embedder.encode(texts, progress=len(texts) > 256)
        parts = [self.embedder.encode(texts[i : i + batch]) for i in range(0, len(texts), batch)]
        return np.concatenate(parts)
