"""The articles folder and its index, kept in step: the index is loaded once (rebuilt when
damaged), then brought in line with the folder before each question (only files whose size or
modification time changed are read); articles are added and removed through here."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from . import fetch, library
from .documents import FolderScanner
from .embedding import Embedder
from .ingest import Ingest
from .library import ArticleRejected
from .settings import Settings
from .store import IndexCorrupt, IndexedArticle, SyncReport
from .stores import open_store

log = logging.getLogger(__name__)


class Collection:
    """One articles folder with its index (a `PassageStore`)."""

    def __init__(self, settings: Settings, embedder: Embedder, progress: Callable[[str], None]):
        self.settings = settings
        self.progress = progress
        self.index = open_store(settings, embedder)
        self.ingest = Ingest(
            embedder,
            settings.chunk_chars,
            settings.chunk_overlap_sentences,
            settings.limits,
        )
        self.warnings: list[str] = []
        self.lock = threading.RLock()  # held while the index changes or is searched
        self._loaded = False
        self._read_at = 0.0
        self._seen: dict[str, tuple[int, int]] = {}
        self._scanner = FolderScanner(settings.articles_dir, settings.rescan_seconds)

    @property
    def loaded(self) -> bool:
        return self._loaded

    def refresh(self, force: bool = False, full: bool = True) -> SyncReport:
        """Bring the index in line with the articles folder; cheap when nothing changed, and
        only files whose size or modification time differ from the index's record are read
        (`force` reads them all). `full=False`, before each question, re-lists only folders
        that changed (see `FolderScanner`)."""
        with self.lock:
            if not self._loaded:
                try:
                    self.index.load()
                except IndexCorrupt as exc:
                    self.progress(f"The saved index is damaged ({exc}); rebuilding it.")
                    self.index.reset()
                self._loaded = True
                self._read_at = time.monotonic()
            if not self.settings.watch_folder:  # a shared store: follow it, never change it
                if force or time.monotonic() - self._read_at >= self.settings.rescan_seconds:
                    self.index.follow()
                    self._read_at = time.monotonic()
                return SyncReport()
            stats = self._scanner.scan(full=full or force)
            seen = {s: (st.st_size, st.st_mtime_ns) for s, st in stats.items()}
            if not force and seen == self._seen:
                return SyncReport()
            report, self.warnings = self.ingest.sync_folder(
                self.index, self.settings.articles_dir, stats, force, self.progress
            )
            self._seen = seen
            if report.touched:
                self.progress(
                    f"Index updated: {len(report.added)} added, {len(report.changed)} changed, "
                    f"{len(report.removed)} removed ({report.chunks_embedded} passages embedded)."
                )
            return report

    def articles(self) -> list[IndexedArticle]:
        """What the index holds, in file-name order."""
        with self.lock:
            self.refresh()
            return [self.index.articles[s] for s in sorted(self.index.articles)]

    def add_article(self, name: str, data: bytes, newer_version: bool = False) -> IndexedArticle:
        """Check an uploaded article, save it into the folder and index it; raises
        `ArticleRejected` with a message for the user when it is refused. A `newer_version`
        of a page already saved (a feed's item that changed) may share its address."""
        with self.lock:
            self._check_writable()
            self.refresh()
            name = library.safe_name(name)
            known = {a.sha256 for a in self.index.articles.values()}
            urls = (
                set() if newer_version else {a.url for a in self.index.articles.values() if a.url}
            )
            s = self.settings
            library.check_article(name, data, s.max_upload_bytes, known, s.limits, urls)
            source = library.save_article(self.settings.articles_dir, name, data)
            self.refresh()
            if source not in self.index.articles:
                raise ArticleRejected(f"{source} was saved but could not be indexed.")
            return self.index.articles[source]

    def add_link(self, link: str) -> IndexedArticle | fetch.Fetched:
        """Fetch a web page or PDF (an http(s) address) or copy a local file into the folder,
        as an upload; `ArticleRejected` says why it could not be added. A news feed is not
        added but handed back, fetched, for the caller to follow (see `QA.add_link`)."""
        link, s = (link or "").strip(), self.settings
        if not link:
            raise ArticleRejected("Give a web address (https://...) or the path of a file.")
        self._check_writable()
        if fetch.is_link(link):
            page = fetch.fetch_page(link, s.limits, s.fetch_timeout, feeds=True)
            if page.kind == "feed":
                return page
            return self.add_article(fetch.page_name(link, page.kind), page.data)
        name = library.safe_name(link)
        limit = library.size_limit(name, s.max_upload_bytes, s.limits)
        return self.add_article(name, fetch.read_file(link, limit))

    def _check_writable(self) -> None:
        if not self.settings.watch_folder:
            raise ArticleRejected(
                "This server answers from a shared store and does not change it; add or remove "
                "articles where the store is filled (python -m qa index --store ...)."
            )

    def add_text(self, title: str, text: str) -> IndexedArticle:
        """Add pasted text as an article whose first line is `title`."""
        title, text = (title or "").strip(), (text or "").strip()
        if not title or not text:
            raise ArticleRejected("An article needs both a title and some text.")
        return self.add_article(library.name_for_title(title), f"{title}\n\n{text}\n".encode())

    def remove_article(self, source: str) -> None:
        """Delete an article from the folder and the index."""
        with self.lock:
            self._check_writable()
            library.delete_article(self.settings.articles_dir, source)
            self.refresh()
