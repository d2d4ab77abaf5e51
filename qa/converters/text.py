"""Plain text and Markdown articles: the file's text as it is, its encoding detected.

The first non-empty line is the title. An optional front-matter block at the very top
(`---`, then `title:`, `date:`, `source:`, `url:`, `author:` lines, then `---`) gives the
metadata and is not content; without a `date:` there, a dated line near the top ("Published
March 4, 2025", "Updated: 2024-01-05") gives the publication date.
"""

from __future__ import annotations

import re

from .meta import ArticleError, ArticleMeta, Converted, dated_line, parse_date

# How far down a dated line may stand: past the title and a byline or two, not in the story.
DATED_LINES = 6
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>(?:.*\n)*?)---[ \t]*(?:\n|\Z)")
_FIELD = re.compile(r"^(?P<key>[A-Za-z_]+)\s*:\s*(?P<value>.*?)\s*$")
# Front-matter keys by the metadata field they give.
_KEYS = {
    "title": "title",
    "date": "date",
    "published": "date",
    "source": "outlet",
    "outlet": "outlet",
    "site": "outlet",
    "url": "url",
    "link": "url",
    "author": "author",
    "by": "author",
}
# Share of control characters above which decoded bytes are taken for binary data.
_CONTROL_SHARE = 0.02


def looks_binary(data: bytes) -> bool:
    """NUL bytes near the start: an image, a PDF, an archive, not text."""
    return b"\x00" in data[:8192]


def decode(data: bytes, source: str) -> str:
    """The bytes as text: UTF-8 (with or without a byte-order mark), else a legacy encoding
    (`decode_legacy`); `ArticleError` for binary data."""
    if looks_binary(data):
        raise ArticleError(f"{source}: looks binary, not a text article")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = decode_legacy(data)
    if text is None or _controls(text) > _CONTROL_SHARE * max(len(text), 1):
        raise ArticleError(f"{source}: looks binary or is in no text encoding that can be told")
    return text


def decode_legacy(data: bytes, declared: str | None = None) -> str | None:
    """Bytes that are not UTF-8, decoded by the candidate that reads least like mojibake
    (charset-normalizer's mess ratio): the encoding a page declares, cp1252 (what browsers
    assume for Western text), then those charset-normalizer detects, preferred in that order
    on a tie. Detection alone is unreliable on short texts (it reads "Café" as cp1006)."""
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    candidates = [declared, "cp1252", *(m.encoding for m in from_bytes(data))]
    best: tuple[float, int, str] | None = None
    for rank, encoding in enumerate(dict.fromkeys(filter(None, candidates))):
        try:
            text = data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
        mess = mess_ratio(text[:20_000], 1.0)
        if best is None or (mess, rank) < best[:2]:
            best = (mess, rank, text)
    return best[2] if best else None


def _controls(text: str) -> int:
    return sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")


def front_matter(text: str) -> tuple[dict[str, str], int]:
    """The front-matter fields by metadata name, and where the text after the block starts;
    ({}, 0) when the text has none. Quotes around a value are dropped; unknown keys ignored."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, 0
    fields: dict[str, str] = {}
    for line in m.group("body").split("\n"):
        f = _FIELD.match(line)
        if f and f.group("key").lower() in _KEYS:
            value = f.group("value")
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            fields.setdefault(_KEYS[f.group("key").lower()], value.strip())
    if not fields:  # a rule line, not metadata
        return {}, 0
    return fields, m.end()


def convert_text(data: bytes, source: str) -> Converted:
    """A `.txt` or `.md` file: its text (line ends unified), title and metadata."""
    text = decode(data, source).replace("\r\n", "\n").replace("\r", "\n")
    fields, body_start = front_matter(text)
    lines = [line.strip() for line in text[body_start:].split("\n") if line.strip()]
    if not lines:
        raise ArticleError(f"{source}: is empty")
    title = fields.get("title") or re.sub(r"^#+\s*", "", lines[0])  # a Markdown heading
    date = parse_date(fields["date"]) if fields.get("date") else None
    if date is None:
        date = next(filter(None, map(dated_line, lines[:DATED_LINES])), None)
    meta = ArticleMeta(
        title=title,
        date=date,
        author=fields.get("author", ""),
        outlet=fields.get("outlet", ""),
        url=fields.get("url", ""),
    )
    return Converted(text, meta, body_start)
