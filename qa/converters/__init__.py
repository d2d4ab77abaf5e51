"""Converters: article files of each format into the text the index stores, with metadata.

One converter per format, as Haystack has them: `text.py` (plain text and Markdown, with an
optional front-matter block), `html.py` (saved web pages, through trafilatura) and `pdf.py`
(a PDF's text layer, through pypdf). Each gives a `Converted` (stored text and `ArticleMeta`)
or raises `ArticleError` with a reason a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .meta import ArticleError, ArticleMeta, Converted, display_date, parse_date

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES
# Largest saved page that is parsed: pages are mostly markup, so larger than a text article.
MAX_PAGE_BYTES = 5 * 1024 * 1024
# Largest PDF that is read: fonts and images make a few pages of text megabytes.
MAX_PDF_BYTES = 20 * 1024 * 1024


def is_page(source: str) -> bool:
    return source.lower().endswith(HTML_SUFFIXES)


def is_pdf(source: str) -> bool:
    return source.lower().endswith(PDF_SUFFIXES)


@dataclass(frozen=True)
class Limits:
    """The largest saved page and PDF that are read (`Settings.limits`); a text file is held to
    the upload limit alone, when it is added."""

    page: int = MAX_PAGE_BYTES
    pdf: int = MAX_PDF_BYTES

    def of(self, source: str) -> int | None:
        """The limit for a file of this kind; None for a text file."""
        return self.page if is_page(source) else self.pdf if is_pdf(source) else None

    def check(self, size: int, source: str) -> None:
        """Refuse a page or PDF over its limit before it is read or parsed."""
        limit = self.of(source)
        if limit is not None and size > limit:
            kind = "pages" if is_page(source) else "PDFs"
            article = "page" if is_page(source) else "PDF"
            raise ArticleError(
                f"{source}: the {article} is {size / 2**20:.1f} MB, over the "
                f"{limit / 2**20:g} MB limit for {kind}"
            )


LIMITS = Limits()  # the defaults


def convert(data: bytes, source: str, limits: Limits = LIMITS) -> Converted:
    """The file `source` (named relative to the articles folder) as text and metadata, by the
    converter its suffix names."""
    limits.check(len(data), source)
    if is_page(source):
        from .html import convert_html

        return convert_html(data, source)
    if is_pdf(source):
        from .pdf import convert_pdf

        return convert_pdf(data, source)
    from .text import convert_text

    return convert_text(data, source)


__all__ = [
    "HTML_SUFFIXES",
    "MAX_PAGE_BYTES",
    "MAX_PDF_BYTES",
    "PDF_SUFFIXES",
    "SUFFIXES",
    "TEXT_SUFFIXES",
    "ArticleError",
    "ArticleMeta",
    "Converted",
    "LIMITS",
    "Limits",
    "convert",
    "display_date",
    "is_page",
    "is_pdf",
    "parse_date",
]
