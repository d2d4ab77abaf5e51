"""Articles: reading a folder of `.txt`/`.md` files and saved `.html` pages, and finding which
sentences are content.

Each file becomes stored text and metadata through its format's converter (`qa.converters`):
a text file's text as it is, a page's extracted story. Citation offsets point into that stored
text. Scraped news text carries web boilerplate (donation appeals, "Popular posts from this
blog", "Comments" blocks); it is not deleted from the text, so that offsets stay those of the
text as read; instead each article lists the sentence spans that are real content.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from .converters import LIMITS, SUFFIXES, ArticleError, ArticleMeta, Converted, Limits, convert
from .converters.text import convert_text
from .text import Span, split_sentences

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = SUFFIXES

# A line that opens the page's trailing furniture: everything after it is not the article.
_TRAILER = re.compile(
    r"^\s*(comments?|\d+\s+comments?|popular posts from this blog|related (posts|articles|stories)"
    r"|you may also like|read more|more from .{1,40}|share this( article)?:?)\s*$",
    re.IGNORECASE,
)
# A line that is furniture on its own.
_FURNITURE_LINE = re.compile(r"^\s*(advertisement|sponsored|share|tweet|print)\s*$", re.IGNORECASE)
# A sentence that asks the reader for money or a sign-up.
_APPEAL = re.compile(
    r"\b(your (support|donation|contribution)s?|donat(e|es|ed|ion|ions|ing)|paywalls?"
    r"|subscribe|subscription|sign up for|support (our|us|independent) journalism)\b",
    re.IGNORECASE,
)
# Sentences between two appeal sentences this close together belong to the same appeal block.
_APPEAL_GAP = 3


@dataclass(frozen=True)
class Article:
    """One article file as read, with the spans of its content sentences."""

    source: str  # file name relative to the articles folder
    title: str
    text: str  # the stored text: citation offsets point into it
    sha256: str  # of the file's bytes: the index re-embeds an article only when this changes
    content: tuple[Span, ...]
    meta: ArticleMeta = ArticleMeta()


def read_article(path: Path, source: str, limits: Limits = LIMITS) -> Article:
    """Read one article file; raises `ArticleError` with a reason a person can act on."""
    try:
        limits.check(path.stat().st_size, source)  # a page or PDF over its limit: unread
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"{source}: cannot be read ({exc.strerror or exc})") from exc
    return decode_article(data, source, limits)


def decode_article(data: bytes, source: str, limits: Limits = LIMITS) -> Article:
    """An `Article` from a file's bytes, by its format's converter; `ArticleError` for binary
    data, text in no detectable encoding, a page or PDF too large or without text."""
    return article_from(convert(data, source, limits), source, data)


def parse_article(text: str, source: str) -> Article:
    """An `Article` from text as a `.txt` file holds it: the first non-empty line is its title."""
    data = text.encode("utf-8")
    return article_from(convert_text(data, source), source, data)


def article_from(converted: Converted, source: str, data: bytes) -> Article:
    """An `Article` from a converter's output for the file's bytes `data`."""
    text, meta = converted.text, converted.meta
    content = content_sentences(text, converted.body_start)
    return Article(source, meta.title, text, hashlib.sha256(data).hexdigest(), content, meta)


def content_sentences(text: str, start: int = 0) -> tuple[Span, ...]:
    """The sentence spans of `text` from `start` on that are article content rather than web
    boilerplate."""
    end = len(text)
    for line in re.finditer(r"[^\n]+", text[start:]):
        if _TRAILER.match(line.group(0)):
            end = start + line.start()
            break
    sentences = [
        s
        for s in split_sentences(text, start, end)
        if not _FURNITURE_LINE.match(text[s.start : s.end])
    ]
    appeal = [i for i, s in enumerate(sentences) if _APPEAL.search(text[s.start : s.end])]
    drop = set(appeal)
    for a, b in zip(appeal, appeal[1:], strict=False):
        if b - a - 1 <= _APPEAL_GAP:
            drop.update(range(a, b))
    return tuple(s for i, s in enumerate(sentences) if i not in drop)


@dataclass
class _Listing:
    """One folder as last read: its modification time, article files and subfolders."""

    mtime_ns: int
    files: dict[str, os.stat_result]
    subfolders: list[str]


class FolderScanner:
    """Finds the article files under a folder, with their stats, cheaply enough to do before
    every question. Adding, removing or renaming a file changes its folder's modification time,
    so only folders whose time changed are read again; an edit in place changes only the file,
    so every file is stat-ed again at most every `full_every` seconds (and on `scan(full=True)`).
    Hidden files and folders are left out. os.scandir and no Path objects: at tens of thousands
    of files, building a Path per file cost more than the scan itself."""

    def __init__(self, folder: Path, full_every: float = 0.0):
        self.folder, self.full_every = folder, full_every
        self._listings: dict[str, _Listing] = {}
        self._full_at = -math.inf

    def scan(self, full: bool = False) -> dict[str, os.stat_result]:
        """Article files by source name (relative, "/"-separated), in no particular order."""
        if not self.folder.is_dir():
            raise FileNotFoundError(f"The articles folder {self.folder} does not exist.")
        now = time.monotonic()
        if full or now - self._full_at >= self.full_every:
            self._listings, self._full_at = {}, now
        listings: dict[str, _Listing] = {}
        pending = [""]
        while pending:
            prefix = pending.pop()
            path = os.path.join(self.folder, prefix)
            try:
                mtime = os.stat(path).st_mtime_ns  # before reading: a change meanwhile shows
            except OSError:
                continue
            listing = self._listings.get(prefix)
            if listing is None or listing.mtime_ns != mtime:
                listing = _read_folder(prefix, path, mtime)
            listings[prefix] = listing
            pending.extend(listing.subfolders)
        self._listings = listings
        files: dict[str, os.stat_result] = {}
        for listing in listings.values():
            files.update(listing.files)
        return files


def _read_folder(prefix: str, path: str, mtime_ns: int) -> _Listing:
    listing = _Listing(mtime_ns, {}, [])
    with contextlib.suppress(OSError), os.scandir(path) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            with contextlib.suppress(OSError):  # a file removed while we read
                if entry.is_dir(follow_symlinks=False):
                    listing.subfolders.append(f"{prefix}{entry.name}/")
                elif entry.name.lower().endswith(ARTICLE_SUFFIXES) and entry.is_file():
                    listing.files[prefix + entry.name] = entry.stat()
    return listing


def article_files(folder: Path) -> dict[str, Path]:
    """Article files under `folder` by their source name (see `FolderScanner`), in name order."""
    return {source: folder / source for source in sorted(FolderScanner(folder).scan())}


def load_articles(
    folder: Path, files: dict[str, Path] | None = None, limits: Limits = LIMITS
) -> tuple[list[Article], list[str]]:
    """All readable articles under `folder` (or just `files`, from `article_files`), and one
    warning per file that was skipped."""
    articles, warnings = [], []
    for source, path in (article_files(folder) if files is None else files).items():
        try:
            article = read_article(path, source, limits)
        except ArticleError as exc:
            log.warning("Skipping article %s", exc)
            warnings.append(f"Skipped {exc}")
            continue
        if not article.content:
            warnings.append(f"Skipped {source}: no article text besides boilerplate")
            continue
        articles.append(article)
    return articles, warnings
