"""Saved web pages: the story's text and its metadata, without the page around it.

trafilatura finds the main text (menus, share buttons, cookie banners, related-story lists and
footers stay out) and the metadata (JSON-LD, Open Graph and article meta tags, the canonical
link); htmldate dates the page where trafilatura finds no date. What is stored and cited is the
extracted text: the title on the first line, then the story's paragraphs.

A page is untrusted input: its size is checked before it is parsed, its bytes decoded here
(UTF-8, else a charset the page declares and its bytes fit, else a detected one), and any
parser failure, deep nesting included, becomes an `ArticleError` for that one file.
"""

from __future__ import annotations

import codecs
import logging
import re

from .meta import ArticleError, ArticleMeta, Converted, dated_line, parse_date
from .text import DATED_LINES, looks_binary

log = logging.getLogger(__name__)

_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
# Elements that never hold the story, dropped before extraction (trafilatura drops most of
# them itself; these are the ones a page can give article-like text).
_NOT_STORY = (
    "//*[self::nav or self::footer or self::aside or self::form or self::button]",
    "//*[@role='navigation' or @role='banner' or @role='contentinfo' or @role='dialog'"
    " or @aria-modal='true']",
)
# Extraction options: comments are readers', not the outlet's; tables can hold the figures.
_OPTIONS = {
    "with_metadata": True,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "deduplicate": False,
    "favor_precision": True,
    "prune_xpath": list(_NOT_STORY),
}


def decode_markup(data: bytes) -> str:
    """The page's bytes as text: UTF-8 when they are, else the charset the page declares when
    its bytes decode under it, else what charset-normalizer detects (never refused: a wrong
    declaration must not cost the page)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = _DECLARED.search(data[:4096])
    if declared:
        try:
            return data.decode(codecs.lookup(declared.group(1).decode("ascii")).name)
        except (LookupError, UnicodeDecodeError, UnicodeError):
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("utf-8", errors="replace")


def _extract(markup: str, source: str):
    import trafilatura
    from lxml.etree import LxmlError

    try:
        return trafilatura.bare_extraction(markup, **_OPTIONS)
    except RecursionError as exc:
        raise ArticleError(f"{source}: the page's markup is nested too deeply to read") from exc
    except (LxmlError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise ArticleError(f"{source}: the page cannot be parsed ({exc})") from exc


def _date(markup: str, document, lines: list[str]) -> str | None:
    """trafilatura's date, else htmldate's from the markup alone, else a dated line at the
    top of the story."""
    date = parse_date(document.date or "")
    if date is None:
        from htmldate import find_date

        try:
            date = parse_date(find_date(markup, extensive_search=False, original_date=True) or "")
        except (RecursionError, ValueError, TypeError) as exc:
            log.debug("htmldate failed: %s", exc)
    return date or next(filter(None, map(dated_line, lines[:DATED_LINES])), None)


def convert_html(data: bytes, source: str) -> Converted:
    """A saved page's story text and metadata; `ArticleError` for a page that is binary,
    unparsable or without story text (its size is checked before: `check_page_size`)."""
    if looks_binary(data):
        raise ArticleError(f"{source}: looks binary, not a web page")
    markup = decode_markup(data)
    document = _extract(markup, source)
    body = (document.text or "").strip() if document is not None else ""
    lines = [line.strip() for line in body.split("\n") if line.strip()]
    if not lines:
        raise ArticleError(f"{source}: no article text found in the page")
    title = " ".join((document.title or "").split()) or lines[0]
    if lines[0] == title:  # the page's heading came with the story
        lines = lines[1:]
    text = "\n\n".join([title, *lines]) + "\n"
    meta = ArticleMeta(
        title=title,
        date=_date(markup, document, lines),
        author=" ".join((document.author or "").split()),
        outlet=" ".join((document.sitename or "").split()),
        url=(document.url or "").strip(),
    )
    return Converted(text, meta)
