"""What every converter gives back: the article's stored text and its metadata, and the dates
written in the ways news pages write them, read as ISO dates."""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field


class ArticleError(ValueError):
    """An article file that cannot be used (binary, unreadable, too large, no text), and why."""


@dataclass(frozen=True)
class ArticleMeta:
    """Who published an article, where and when; empty where the file does not say."""

    title: str = ""
    date: str | None = None  # publication date, ISO yyyy-mm-dd
    author: str = ""
    outlet: str = ""  # the site or paper's name, as it names itself
    url: str = ""  # the canonical address of the page
    pages: tuple[int, ...] = ()  # a PDF's: the offset in the stored text where each page starts

    def page_at(self, offset: int) -> int | None:
        """The page (from 1) the stored text's `offset` is on; None for an article without
        pages."""
        return bisect.bisect_right(self.pages, offset) or 1 if self.pages else None


@dataclass(frozen=True)
class Converted:
    """A file as the index keeps it: `text` is what citation offsets point into; content
    sentences are looked for from `body_start` on (a front-matter block is not content)."""

    text: str
    meta: ArticleMeta = field(default_factory=ArticleMeta)
    body_start: int = 0


_MONTHS = {
    name: n
    for n, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY, _YEAR = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?", r"(?P<year>(?:19|20)\d{2})"
# 2025-03-04 (a time may follow), 2025/03/04; March 4, 2025; 4 March 2025.
_DATE_FORMS = (
    re.compile(r"(?P<year>(?:19|20)\d{2})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?!\d)"),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),
)
# "Published March 4, 2025", "First published on June 18, 2019", "date 2023-09-09",
# "Updated: 2024-01-05": a line that dates the article, near its top.
DATED_LINE = re.compile(
    r"^\W*(?:(?:first\s+|originally\s+)?published|updated|posted|dated?|filed)\b[\s:,-]*(?:on\s+)?"
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?",
    re.IGNORECASE,
)


def parse_date(text: str) -> str | None:
    """The first date written in `text` (ISO, "March 4, 2025" or "4 March 2025") as
    yyyy-mm-dd; None when there is none or it is no real day."""
    found = [m for form in _DATE_FORMS if (m := form.search(text))]
    for m in sorted(found, key=lambda m: m.start()):
        month = m.group("month")
        month = int(month) if month.isdigit() else _MONTHS[month.lower().rstrip(".")]
        try:
            return dt.date(int(m.group("year")), month, int(m.group("day"))).isoformat()
        except ValueError:
            continue
    return None


# A byline's parts: "By Lena Marsh, Coastline Herald | Published June 12, 2024, 6:15 a.m."
_PARTS = re.compile(r"\s+[|·•]\s+")
# What may stand beside a date that is a part by itself: a weekday, a time, a time zone.
_AROUND_DATE = re.compile(
    r"^[\W\d]*(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day)?[\W\d]*(?:[ap]\.?m\.?)?"
    r"[\W\d]*(?:[A-Z]{2,4})?\W*$",
    re.IGNORECASE,
)


def dated_line(line: str) -> str | None:
    """The date of a line such as "Published March 4, 2025", or of a byline with such a part
    or a bare date ("By Devon Whitlock, Ashford Courier-Press | April 11, 2025"); None for any
    other line."""
    for part in _PARTS.split(line.strip()):
        m = DATED_LINE.match(part)
        if m:
            rest = part[m.end() :]
            date = parse_date(rest[:60])
            if date and re.match(r"\W*\d|\W*[a-z]", rest, re.IGNORECASE):
                return date
        elif part is not line and (date := parse_date(part)):
            found = next(f.search(part) for f in _DATE_FORMS if f.search(part))
            if _AROUND_DATE.match(part[: found.start()] + " " + part[found.end() :]):
                return date
    return None


def display_date(iso: str | None, full: bool = False) -> str:
    """An ISO date as people write it: "25 Apr 2015" ("25 April 2015" in `full`, for a
    sentence); empty for None."""
    if not iso:
        return ""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    month = f"{day:%B}" if full else _ABBREVIATED[day.month - 1]
    return f"{day.day} {month} {day.year}"


_ABBREVIATED = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
