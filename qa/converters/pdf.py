"""PDF articles (press releases, reports, e-paper pages): their text layer, read with pypdf.

What is stored and cited is the extracted text, as for a saved page: the title on the first
line, then the paragraphs, one per line, blank lines between. A PDF's lines are joined back
into paragraphs, a word hyphenated across two lines is joined ("inter-" + "national"), and the
running headers and footers (a line at the top or bottom of most pages, its numbers aside) and
page numbers are kept out of the text, as a page's menus are, so a sentence that runs on to the
next page reads whole. Each page's first character is kept (`ArticleMeta.pages`), so a citation
says which page its quote is on. The title and date come from the document's metadata where it
has them.

A PDF is untrusted input: its size is checked before it is read; one that needs a password, has
no text layer (a scan), too many pages, or compressed data past pypdf's limits (a compression
bomb) is refused with a message naming it; one encrypted with an empty password is read.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass

from .meta import ArticleError, ArticleMeta, Converted, dated_line

MAX_PAGES = 2000  # more pages than this is no article
MAX_CHARS = 5_000_000  # nor is more text than this
_PAGE_NUMBER = re.compile(
    r"^\W*(?:page\s+)?(?:\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?"
    r"|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))\W*$",
    re.IGNORECASE,
)
_END = re.compile(r"[.!?:;\"”’)]$")
_HYPHENATED = re.compile(r"[A-Za-z]-$")


@dataclass(frozen=True)
class _About:
    """What the document's metadata says of it."""

    title: str = ""
    author: str = ""
    date: str | None = None


def _pages(data: bytes, source: str) -> tuple[list[str], _About]:
    """Each page's text, and what the document's metadata says of it."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ArticleError(f"{source}: the PDF needs a password; save a copy without one")
        if len(reader.pages) > MAX_PAGES:
            raise ArticleError(f"{source}: {len(reader.pages)} pages, over {MAX_PAGES}")
        pages, total = [], 0
        for page in reader.pages:
            contents = page.get_contents()
            if contents is not None:  # unpacked here: text extraction would hide a bomb
                contents.get_data()
            pages.append(page.extract_text() or "")
            total += len(pages[-1])
            if total > MAX_CHARS:
                raise ArticleError(f"{source}: more than {MAX_CHARS:,} characters of text")
        return pages, _about(reader.metadata)
    except ArticleError:
        raise
    except LimitReachedError as exc:
        raise ArticleError(
            f"{source}: holds more compressed data than is safe to unpack ({exc})"
        ) from exc
    except DependencyError as exc:
        raise ArticleError(f"{source}: cannot be decrypted here ({exc})") from exc
    except Exception as exc:  # a malformed file fails in many ways
        raise ArticleError(f"{source}: not a readable PDF ({exc or type(exc).__name__})") from exc


def _about(info) -> _About:
    """The metadata's title, author and creation date, where it gives readable ones."""
    if info is None:
        return _About()
    title = " ".join(str(info.title or "").split())
    author = " ".join(str(info.author or "").split())
    try:
        created = info.creation_date
    except (ValueError, TypeError):  # a malformed date string
        created = None
    return _About(title, author, created.date().isoformat() if created else None)


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def _furniture(pages: list[list[str]]) -> set[str]:
    """The shapes of lines that run at the top or bottom of most pages: headers, footers."""
    if len(pages) < 2:
        return set()
    edges = Counter(
        shape for lines in pages for shape in {_shape(x) for x in lines[:2] + lines[-2:]}
    )
    return {shape for shape, n in edges.items() if n >= max(2, len(pages) / 2)}


def _content(lines: list[str], furniture: set[str]) -> list[str]:
    """A page's lines without its header, footer and page number."""
    kept = list(lines)
    for end in (0, -1):  # from the top, then from the bottom
        while kept:
            line = kept[end]
            if _shape(line) in furniture or _PAGE_NUMBER.match(line):
                kept.pop(end)
            else:
                break
    return kept


def _paragraphs(lines: list[str]) -> list[str]:
    """Lines joined into paragraphs: a paragraph ends at a blank line, or at a line that ends a
    sentence well short of the page's full line (the longest)."""
    full = max((len(x) for x in lines), default=0)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            paragraphs, current = _close(paragraphs, current), ""
            continue
        if _HYPHENATED.search(current) and line[:1].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}" if current else line
        if _END.search(line) and len(line) < 0.8 * full:
            paragraphs, current = _close(paragraphs, current), ""
    return _close(paragraphs, current)


def _close(paragraphs: list[str], current: str) -> list[str]:
    return [*paragraphs, current] if current.strip() else paragraphs


def convert_pdf(data: bytes, source: str) -> Converted:
    """A PDF's text, by paragraphs, with the offset where each page starts."""
    texts, info = _pages(data, source)
    pages = [[" ".join(x.split()) for x in text.split("\n")] for text in texts]
    furniture = _furniture([[x for x in lines if x] for lines in pages])
    by_page = [_paragraphs(_content(lines, furniture)) for lines in pages]
    if not any(by_page):
        raise ArticleError(
            f"{source}: the PDF has no text layer (a scan, or images only); run it through "
            "OCR and add the result"
        )
    title = info.title
    first = next(p for p in by_page if p)
    if not title:  # the first line when it is short enough for one, else the file's name
        title = first[0] if len(first[0]) <= 150 else re.sub(r"[-_]+", " ", source[:-4]).strip()
    if first[0] == title:
        first.pop(0)
    text, starts = title, []
    for paragraphs in by_page:
        if starts and paragraphs and not _END.search(text) and paragraphs[0][:1].islower():
            # The sentence runs on from the page before (a word may be hyphenated across).
            text = text[:-1] if _HYPHENATED.search(text) else text + " "
            starts.append(len(text))
            text += paragraphs.pop(0)
        else:
            starts.append(len(text) + 2)
        for paragraph in paragraphs:
            text += "\n\n" + paragraph
    lines = [p for ps in by_page for p in ps][:5]
    meta = ArticleMeta(
        title=title,
        date=info.date or next(filter(None, map(dated_line, lines)), None),
        author=info.author,
        pages=tuple(min(s, len(text)) for s in starts),
    )
    return Converted(text + "\n", meta, body_start=len(title) + 1)
