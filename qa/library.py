"""Adding and removing articles from the app: what a user sends is checked before it is saved.

An uploaded name is reduced to a plain file name (no folders, no `..`, no odd characters); only
`.txt`/`.md` text files and `.html` pages up to a size limit, that read as articles, are
accepted; content (or a page address) that is already in the folder is not added twice; a name
already taken gets a number. Files are written to a hidden
temp file and renamed, so the folder never holds half an article.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Collection
from pathlib import Path

from .converters import LIMITS, Limits
from .documents import ARTICLE_SUFFIXES, Article, ArticleError, article_files, decode_article
from .files import write_atomic


class ArticleRejected(ValueError):
    """An article the user tried to add or remove, and why it was refused (shown to them)."""


def safe_name(name: str) -> str:
    """`name` as a plain article file name in the folder: never a path, always .txt, .md, .html,
    .htm or .pdf."""
    base = unicodedata.normalize("NFKC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot or f".{suffix.lower()}" not in ARTICLE_SUFFIXES:
        raise ArticleRejected(
            f"{base or name!r}: only .txt, .md, .html (saved web pages) and .pdf files can be "
            "added."
        )
    stem = re.sub(r"[^\w.-]+", "-", stem).strip(".-_ ")[:80]
    if not stem:
        raise ArticleRejected(f"{base!r} is not a usable file name.")
    return f"{stem}.{suffix.lower()}"


def name_for_title(title: str, suffix: str = ".txt") -> str:
    """A file name for pasted text (or a fetched page), from its title."""
    stem = re.sub(r"[^\w]+", "-", unicodedata.normalize("NFKC", title).lower()).strip("-_")
    return f"{stem[:60].rstrip('-_') or 'article'}{suffix}"


def size_limit(name: str, max_bytes: int, limits: Limits = LIMITS) -> int:
    """The largest file of this kind that may be added: pages are mostly markup, PDFs carry
    fonts and images."""
    limit = limits.of(name)
    return max_bytes if limit is None else max(max_bytes, limit)


def check_article(
    name: str,
    data: bytes,
    max_bytes: int,
    known: Collection[str] = (),
    limits: Limits = LIMITS,
    known_urls: Collection[str] = (),
) -> Article:
    """The article in `data`, or `ArticleRejected` saying what is wrong with it. `known` holds
    the sha256 of every article already in the folder, `known_urls` the pages' addresses."""
    limit = size_limit(name, max_bytes, limits)
    if len(data) > limit:
        raise ArticleRejected(
            f"{name}: {len(data) / 2**20:.1f} MB is over the {limit / 2**20:g} MB limit."
        )
    try:
        article = decode_article(data, name, limits)
    except ArticleError as exc:
        raise ArticleRejected(str(exc)) from exc
    title_end = article.text.find("\n", len(article.text) - len(article.text.lstrip()))
    if title_end < 0 or not any(span.start > title_end for span in article.content):
        raise ArticleRejected(f"{name}: has no article text (only a title or boilerplate).")
    if hashlib.sha256(data).hexdigest() in known or (
        article.meta.url and article.meta.url in known_urls
    ):
        raise ArticleRejected(f"{name}: this article is already in the collection.")
    return article


def save_article(folder: Path, name: str, data: bytes) -> str:
    """Write `data` into `folder` under `name` (or `name-2`, ... if taken); returns the name."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(name)
    candidate, n = name, 1
    while (folder / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    # An article is an ordinary file, readable by others (a temp file is private until then).
    write_atomic(folder / candidate, lambda tmp: tmp.write_bytes(data), mode=0o644)
    return candidate


def delete_article(folder: Path, source: str) -> None:
    """Delete the article `source` (a name as the index lists it, never a path outside)."""
    path = article_files(folder).get(source)
    if path is None:
        raise ArticleRejected(f"{source}: no such article in the collection.")
    path.unlink()
