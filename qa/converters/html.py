"""Saved web pages: the story's text and its metadata, without the page around it.

trafilatura finds the main text (menus, share buttons, cookie banners, related-story lists and
footers stay out) and the metadata (JSON-LD, Open Graph and article meta tags, the canonical
link). The date comes from the markup (trafilatura's own tags, else htmldate on the page's
markup, which trafilatura calls), else from a dated line at the top of the story ("Published
March 4, 2026"); htmldate's search of the page's text for any date is left off, as it dates an
undated page by the first year its story mentions. What is stored and cited is the extracted
text: the title on the first line, then the story's paragraphs, one per line, blank lines
between.

A page is untrusted input: its size is checked before it is parsed, its bytes decoded here
(UTF-8, else a charset the page declares and its bytes fit, else a detected one), and any
parser failure, deep nesting included, becomes an `ArticleError` for that one file.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import html
import re

from .meta import ArticleError, ArticleMeta, Converted, dated_line, parse_date
from .text import DATED_LINES, decode_legacy, looks_binary

_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
# Elements that never hold the story, dropped before extraction: page furniture by its tag or
# role, and a short block inside the story that only points to another one ("Read more: ...").
_POINTERS = ("Read more", "READ MORE", "Related:", "RELATED:", "See also", "Also read", "More:")
_NOT_STORY = (
    "//*[self::nav or self::footer or self::aside or self::form or self::button]",
    "//*[@role='navigation' or @role='banner' or @role='contentinfo' or @role='dialog'"
    " or @role='alertdialog' or @aria-modal='true']",
    "//*[self::p or self::div or self::li][.//a][string-length(normalize-space(.)) < 200]["
    + " or ".join(f"starts-with(normalize-space(.), '{label}')" for label in _POINTERS)
    + "]",
)
# Extraction options: comments are readers', not the outlet's; tables can hold the figures.
_OPTIONS = {
    "with_metadata": True,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "deduplicate": False,
    "prune_xpath": list(_NOT_STORY),
}


def decode_markup(data: bytes) -> str:
    """The page's bytes as text: UTF-8 when they are, else the charset the page declares or
    another that reads better (`decode_legacy`: a wrong declaration must not garble the page)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    found = _DECLARED.search(data[:4096])
    declared = None
    if found:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            declared = codecs.lookup(found.group(1).decode("ascii")).name
    text = decode_legacy(data, declared)
    return text if text is not None else data.decode("utf-8", errors="replace")


def _extract(markup: str, source: str):
    import trafilatura
    from lxml.etree import LxmlError

    today = dt.date.today().isoformat()
    dates = {"extensive_search": False, "original_date": True, "max_date": today}
    try:
        return trafilatura.bare_extraction(markup, date_extraction_params=dates, **_OPTIONS)
    except RecursionError as exc:
        raise ArticleError(f"{source}: the page's markup is nested too deeply to read") from exc
    except (LxmlError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise ArticleError(f"{source}: the page cannot be parsed ({exc})") from exc


def _date(document, lines: list[str]) -> str | None:
    """The date the markup gives (see the module's docstring), else a dated line at the top of
    the story."""
    return parse_date(document.date or "") or next(
        filter(None, map(dated_line, lines[:DATED_LINES])), None
    )


# What a page saved from a news feed carries from its item (feeds.annotate), in lines before the
# page itself: taken where the page lacks it, and "updated", the date a newer version of a page
# was seen, over the page's. A page's own tags of that name, anywhere after, count for nothing.
_FEED = re.compile(r'<meta name="qa:feed-(title|date|link|updated)" content="([^"]*)">\n')


def _from_feed(markup: str) -> dict[str, str]:
    found: dict[str, str] = {}
    at = 0
    while m := _FEED.match(markup, at):
        found.setdefault(m.group(1), html.unescape(m.group(2)))
        at = m.end()
    return {k: v for k, v in found.items() if v}


def convert_html(data: bytes, source: str) -> Converted:
    """A saved page's story text and metadata; `ArticleError` for a page that is binary,
    unparsable or without story text (its size is checked before: `Limits.check`)."""
    if looks_binary(data):
        raise ArticleError(f"{source}: looks binary, not a web page")
    markup = decode_markup(data)
    document = _extract(markup, source)
    body = (document.text or "").strip() if document is not None else ""
    lines = [line.strip() for line in body.split("\n") if line.strip()]
    if not lines:
        raise ArticleError(f"{source}: no article text found in the page")
    item = _from_feed(markup)
    title = " ".join((document.title or item.get("title") or "").split()) or lines[0]
    if lines[0] == title:  # the page's heading came with the story
        lines = lines[1:]
    text = "\n\n".join([title, *lines]) + "\n"
    meta = ArticleMeta(
        title=title,
        date=parse_date(item.get("updated", ""))
        or _date(document, lines)
        or parse_date(item.get("date", "")),
        author=" ".join((document.author or "").split()),
        outlet=" ".join((document.sitename or "").split()),
        url=(document.url or item.get("link") or "").strip(),
    )
    return Converted(text, meta)
