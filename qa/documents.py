"""Articles: reading a folder of `.txt`/`.md` files and finding which sentences are content.

Scraped news pages carry web boilerplate (donation appeals, "Popular posts from this blog",
"Comments" blocks). It is not deleted from the text, because citation offsets point into the file
as read; instead each article lists the sentence spans that are real content.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .text import Span, split_sentences

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md")

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


class ArticleError(ValueError):
    """An article file that cannot be used: binary, not UTF-8, unreadable or empty."""


@dataclass(frozen=True)
class Article:
    """One article file as read, with the spans of its content sentences."""

    source: str  # file name relative to the articles folder
    title: str
    text: str
    sha256: str  # of the file's bytes: the index re-embeds an article only when this changes
    content: tuple[Span, ...]


def read_article(path: Path, source: str) -> Article:
    """Read one article file; raises `ArticleError` with a reason a person can act on."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"{source}: cannot be read ({exc.strerror or exc})") from exc
    return decode_article(data, source)


def decode_article(data: bytes, source: str) -> Article:
    """An `Article` from a file's bytes; raises `ArticleError` for binary or non-UTF-8 data."""
    if b"\x00" in data[:8192]:
        raise ArticleError(f"{source}: looks binary, not a text article")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"{source}: is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
    return parse_article(text, source, hashlib.sha256(data).hexdigest())


def parse_article(text: str, source: str, sha256: str | None = None) -> Article:
    """An `Article` from text: the first non-empty line is its title."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    title = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if not title:
        raise ArticleError(f"{source}: is empty")
    digest = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    title = re.sub(r"^#+\s*", "", title)  # a Markdown heading
    return Article(source, title, text, digest, content_sentences(text))


def content_sentences(text: str) -> tuple[Span, ...]:
    """The sentence spans of `text` that are article content rather than web boilerplate."""
    end = len(text)
    for line in re.finditer(r"[^\n]+", text):
        if _TRAILER.match(line.group(0)):
            end = line.start()
            break
    sentences = [
        s for s in split_sentences(text, 0, end) if not _FURNITURE_LINE.match(text[s.start : s.end])
    ]
    appeal = [i for i, s in enumerate(sentences) if _APPEAL.search(text[s.start : s.end])]
    drop = set(appeal)
    for a, b in zip(appeal, appeal[1:], strict=False):
        if b - a - 1 <= _APPEAL_GAP:
            drop.update(range(a, b))
    return tuple(s for i, s in enumerate(sentences) if i not in drop)


def article_files(folder: Path) -> dict[str, Path]:
    """Article files under `folder` by their source name; hidden files and folders are left out.
    (os.walk rather than Path.rglob: it is several times faster on folders of many files.)"""
    if not folder.is_dir():
        raise FileNotFoundError(f"The articles folder {folder} does not exist.")
    files = {}
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        relative = os.path.relpath(root, folder)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        for name in names:
            if not name.startswith(".") and name.lower().endswith(ARTICLE_SUFFIXES):
                path = os.path.join(root, name)
                if os.path.isfile(path):
                    files[prefix + name] = Path(path)
    return dict(sorted(files.items()))


def load_articles(
    folder: Path, files: dict[str, Path] | None = None
) -> tuple[list[Article], list[str]]:
    """All readable articles under `folder` (or just `files`, from `article_files`), and one
    warning per file that was skipped."""
    articles, warnings = [], []
    for source, path in (article_files(folder) if files is None else files).items():
        try:
            article = read_article(path, source)
        except ArticleError as exc:
            log.warning("Skipping article %s", exc)
            warnings.append(f"Skipped {exc}")
            continue
        if not article.content:
            warnings.append(f"Skipped {source}: no article text besides boilerplate")
            continue
        articles.append(article)
    return articles, warnings
