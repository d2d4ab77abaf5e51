"""Days an article gives: its date, and days it names relative to it ("on Tuesday",
"yesterday"), resolved against it. An answer may state such a day as a date ("June 11, 2024"):
the article gives that date though it never writes it."""

from __future__ import annotations

import datetime as dt
import re

from .anchors import MONTHS, WEEKDAYS
from .text import split_sentences

FUTURE = re.compile(
    r"\b(will|would|expected|due|next|plans?|planned|scheduled|is to|are to)\b", re.IGNORECASE
)
RELATIVE = re.compile(
    r"\b(yesterday|today|tonight|last night|this morning|this afternoon|this evening|"
    + "|".join(sorted(WEEKDAYS))
    + r")\b",
    re.IGNORECASE,
)


def date_of(iso: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def resolve_day(word: str, published: dt.date, future: bool) -> dt.date:
    """The date a relative day names in an article published on `published`: a weekday is the
    last one on or before it, or the next one after it where the sentence looks ahead."""
    word = word.lower()
    if word in ("yesterday", "last night"):
        return published - dt.timedelta(days=1)
    if word not in WEEKDAYS:
        return published  # today, tonight, this morning
    target = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].index(
        word
    )
    if future:
        return published + dt.timedelta(days=(target - published.weekday() - 1) % 7 + 1)
    return published - dt.timedelta(days=(published.weekday() - target) % 7)


# A date as written: "June 11", "11 June", "June 11, 2024", "11 June 2024" (the month with its
# capital: "20 may have died" names no day).
_MONTH_NAME = "|".join(m.capitalize() for m in sorted(MONTHS, key=len, reverse=True))
_DATE = re.compile(
    rf"\b(?:({_MONTH_NAME})\.?\s+(\d{{1,2}})(?!\d)(?:st|nd|rd|th)?|(\d{{1,2}})(?:st|nd|rd|th)?\s+"
    rf"(?:of\s+)?({_MONTH_NAME})\b\.?)(?:,?\s+((?:19|20)\d\d)\b)?"
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def days_given(text: str, published: str | None) -> set[dt.date]:
    """The article's date and the days its sentences name relative to it (a weekday looks
    ahead in a sentence about what will happen)."""
    day = date_of(published)
    if day is None:
        return set()
    given = {day}
    for span in split_sentences(text):
        sentence = text[span.start : span.end]
        ahead = bool(FUTURE.search(sentence))
        given |= {resolve_day(m.group(0), day, ahead) for m in RELATIVE.finditer(sentence)}
    return given


def undated(sentence: str, days: set[dt.date]) -> str:
    """`sentence` without the dates it writes that are among `days` ("June 11, 2024"), and
    without their years written alone: what is left must be found in the article as written."""
    years = {str(d.year) for d in days}

    def given(m: re.Match[str]) -> str:
        month, number = (m[1], m[2]) if m[1] else (m[4], m[3])
        for d in days:
            same = f"{d:%b}".lower() == month.lower()[:3] and d.day == int(number)
            if same and m[5] in (None, str(d.year)):
                return " "
        return m.group(0)

    left = _DATE.sub(given, sentence)
    return _YEAR.sub(lambda m: " " if m.group(0) in years else m.group(0), left)
