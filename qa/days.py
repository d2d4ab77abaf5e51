"""Days an article gives: its date, and days it names relative to it ("on Tuesday",
"yesterday"), resolved against it. An answer may state such a day as a date ("June 11, 2024"):
the article gives that date though it never writes it."""

from __future__ import annotations

import datetime as dt
import re

from .anchors import MONTHS, WEEKDAYS

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


# A date as written: "June 11", "11 June", "June 11, 2024", "11 June 2024".
_MONTH_NAME = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE = re.compile(
    rf"\b(?:({_MONTH_NAME})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?|(\d{{1,2}})(?:st|nd|rd|th)?\s+"
    rf"(?:of\s+)?({_MONTH_NAME})\b\.?)(?:,?\s+((?:19|20)\d\d))?",
    re.IGNORECASE,
)


def days_given(text: str, published: str | None) -> set[dt.date]:
    """The article's date and the days `text` names relative to it."""
    day = date_of(published)
    if day is None:
        return set()
    words = {m.group(0) for m in RELATIVE.finditer(text)}  # a weekday may look back or ahead
    return {day} | {resolve_day(w, day, ahead) for w in words for ahead in (False, True)}


def dated_numbers(sentence: str, days: set[dt.date]) -> set[str]:
    """The numbers of `sentence` that write one of `days` as a date ("June 11, 2024"), and a
    year of theirs written alone."""
    found = set()
    for m in _DATE.finditer(sentence):
        month, number = (m[1], m[2]) if m[1] else (m[4], m[3])
        month = month.lower()[:3]
        year = m[5]
        for d in days:
            if f"{d:%b}".lower() == month and d.day == int(number) and year in (None, str(d.year)):
                found |= {number, str(d.year)} if year else {number}
    years = {str(d.year) for d in days}
    return found | {y for y in re.findall(r"\b(?:19|20)\d\d\b", sentence) if y in years}
