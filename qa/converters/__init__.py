"""Converters: article files of each format into the text the index stores, with metadata.

One converter per format, as Haystack has them: `text.py` (plain text and Markdown, with an
optional front-matter block) and `html.py` (saved web pages, through trafilatura). Each gives
a `Converted` (stored text and `ArticleMeta`) or raises `ArticleError` with a reason a person
can act on.
"""

from __future__ import annotations

from .meta import ArticleError, ArticleMeta, Converted, display_date, parse_date

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
# Largest saved page that is parsed: pages are mostly markup, so larger than a text article.
MAX_PAGE_BYTES = 5 * 1024 * 1024


def is_page(source: str) -> bool:
    return source.lower().endswith(HTML_SUFFIXES)


def check_page_size(size: int, source: str, max_bytes: int) -> None:
    """Refuse a page over the size limit before it is read or parsed."""
    if size > max_bytes:
        raise ArticleError(
            f"{source}: the page is {size / 2**20:.1f} MB, over the "
            f"{max_bytes / 2**20:g} MB limit for pages"
        )


def convert(data: bytes, source: str, max_page_bytes: int = MAX_PAGE_BYTES) -> Converted:
    """The file `source` (named relative to the articles folder) as text and metadata, by the
    converter its suffix names."""
    if is_page(source):
        check_page_size(len(data), source, max_page_bytes)
        from .html import convert_html

        return convert_html(data, source)
    from .text import convert_text

    return convert_text(data, source)


__all__ = [
    "HTML_SUFFIXES",
    "MAX_PAGE_BYTES",
    "SUFFIXES",
    "TEXT_SUFFIXES",
    "ArticleError",
    "ArticleMeta",
    "Converted",
    "check_page_size",
    "convert",
    "display_date",
    "is_page",
    "parse_date",
]
