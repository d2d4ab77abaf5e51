"""Answers that know when. A news figure holds on its date ("at least 12 dead" on Wednesday, 27
on Friday), so three things follow from the articles' publication dates:

- a question about the latest state (`question.asks_latest`) is read with the newest reports
  first (`context.select` favours them too), and its answer says as of when;
- when other dated reports give another figure for what the answer states (`reports.py`), the
  answer says the reports differ and gives each figure with its date and citation (for a
  question about the latest state, the newest figure leads);
- a day an article gives relative to its date ("on Tuesday", "yesterday") is resolved against
  that date.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from .answers import Answer, Citation, Passage
from .converters import display_date
from .days import FUTURE, RELATIVE, date_of, resolve_day
from .embedding import Embedder
from .figures import MONTH
from .question import analysed
from .reports import Report, other_reports
from .text import strip_markers

_DATE_GIVEN = re.compile(
    rf",?\s*(?:the\s+)?(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?)?{MONTH}", re.IGNORECASE
)
# A date the answer gives: "June 16", "16 June", "2024-06-16".
_NAMES_DATE = re.compile(rf"\b{MONTH}\s*\d|\d\s*{MONTH}|\b\d{{4}}-\d\d-\d\d\b", re.IGNORECASE)


def newest_first(passages: list[Passage], about: set[str] | None = None) -> list[Passage]:
    """The excerpts grouped by article, the newest article `about` the event asked first
    (then other dated ones, then undated ones, in the order they came), each article's
    excerpts in their own order."""
    first: dict[str, int] = {}
    for i, p in enumerate(passages):
        first.setdefault(p.chunk.source, i)

    def key(item: tuple[int, Passage]) -> tuple[int, int, int]:
        i, p = item
        day = date_of(p.chunk.meta.date)
        if day and about is not None and p.chunk.source not in about:
            return (1, 0, first[p.chunk.source])
        return (0 if day else 2, -day.toordinal() if day else 0, first[p.chunk.source])

    return [p for _, p in sorted(enumerate(passages), key=key)]


def _renumbered(reports: list[Report], start: int) -> list[Report]:
    """The reports with the citations they add numbered from `start` (a figure of a sentence
    already cited keeps its number)."""
    numbered = []
    for r in reports:
        if r.citation.number == 0:
            r = dataclasses.replace(r, citation=dataclasses.replace(r.citation, number=start))
            start += 1
        numbered.append(r)
    return numbered


def dated(
    question: str, answer: Answer, embedder: Embedder, wider: Iterable[Passage] = ()
) -> Answer:
    """The cited answer told with its dates: as of when (latest-state questions), how the
    reports differ, and what day a relative day was. Other reports of its figure are sought in
    the answer's excerpts and in `wider` (more of the retrieved passages than the reader read:
    a second report of the same figure often matches the question's words less well)."""
    if not answer.citations:
        return answer
    found = other_reports(question, answer, answer.passages, embedder, wider)
    text, citations = answer.text, list(answer.citations)
    latest = analysed(question).latest
    if found and latest and found.confirmed:
        # The newest report that gives the same figure dates it.
        confirmed = dataclasses.replace(found.confirmed.citation, number=len(citations) + 1)
        citations.append(confirmed)
        found = dataclasses.replace(found, own=Report(found.own.figure, confirmed))
    if found and found.others:
        own = found.own
        others = _renumbered(found.others, len(citations) + 1)
        citations += [r.citation for r in others if r.citation.number > len(citations)]
        by_date = sorted([own, *others], key=lambda r: r.citation.date or "")
        if latest:
            text = _latest_first(text, own, by_date, answer)
        else:
            text = f"{text} The reports differ: {_listed(by_date)}."
    elif latest and found:
        text = f"As of {_as_of(found.own.citation, answer)}: {text}"
    elif latest and date_of(answer.citations[0].date):
        text = f"As of {display_date(answer.citations[0].date, full=True)}: {text}"
    if analysed(question).when:
        # The days the answer names; where it names no day or date, those of the sentence it
        # cites ("It happened in the storm [1]" for "... on Saturday night").
        said = strip_markers(answer.text)
        days = resolved_days(said, answer.citations)
        if not days and not _NAMES_DATE.search(said):
            days = resolved_days(answer.citations[0].quote, answer.citations[:1])
        text += days
    if text == answer.text:
        return answer
    return dataclasses.replace(answer, text=text, citations=citations)


def _latest_first(text: str, own: Report, by_date: list[Report], answer: Answer) -> str:
    """A latest-state answer whose reports differ: the newest day's figure leads (the answer's
    where it is of that day), figures of that same day that differ follow, then the earlier
    reports."""
    day = by_date[-1].citation.date
    newest = [r for r in by_date if r.citation.date == day]
    earlier = [r for r in by_date if r.citation.date != day]
    if any(r is own for r in newest):
        lead = f"As of {_as_of(own.citation, answer)}: {text}"
        if len(newest) > 1:
            lead += f" The reports of that day differ: {_listed(newest)}."
    elif len(newest) > 1:
        lead = f"As of {display_date(day, full=True)}, the newest reports differ: "
        lead += "; ".join(f"{r.figure} [{r.citation.number}]" for r in newest) + "."
    else:
        lead = f"As of {display_date(day, full=True)}, the newest report gives "
        lead += f"{newest[0].figure} [{newest[0].citation.number}]."
    return f"{lead} Earlier reports: {_listed(earlier)}." if earlier else lead


def _as_of(citation: Citation, answer: Answer) -> str:
    """The date an answer holds as of, with the citation that dates it where that is not one
    the answer already gives."""
    date = display_date(citation.date, full=True)
    cited = any(c.number == citation.number for c in answer.citations)
    return date if cited else f"{date} [{citation.number}]"


def _listed(reports: Iterable[Report]) -> str:
    return "; ".join(
        f"{r.figure} as of {display_date(r.citation.date, full=True)} [{r.citation.number}]"
        for r in reports
    )


def resolved_days(text: str, citations: list[Citation]) -> str:
    """A sentence saying which date each relative day in `text` was, from the date of the
    article that says it ("" when there is none to resolve)."""
    said = []
    for m in RELATIVE.finditer(text):
        word = m.group(0)
        if _DATE_GIVEN.match(text[m.end() :]):
            continue  # "on Tuesday, June 11": the date is given
        source = next(
            (c for c in citations if word.lower() in c.quote.lower() and date_of(c.date)), None
        )
        if source is None:
            continue
        published = date_of(source.date)
        assert published is not None
        future = bool(FUTURE.search(source.quote))
        day = resolve_day(word, published, future)
        was = "is" if future else "was"
        phrase = f"{word[:1].upper()}{word[1:]} {was} {display_date(day.isoformat(), full=True)}"
        if phrase not in said:
            said.append(phrase)
    if not said:
        return ""
    return f" (By the report's date, {'; '.join(said)}.)"


def states_date(text: str, iso: str) -> bool:
    """`text` gives the date `iso` in one of the ways dates are written."""
    day = date_of(iso)
    if day is None:
        return False
    month, short = f"{day:%B}".lower(), f"{day:%b}".lower()
    flat = " ".join(re.sub(r"[^\w\s-]", " ", text.lower()).split())
    forms = {
        iso, f"{day.day} {month} {day.year}", f"{month} {day.day} {day.year}",
        f"{day.day} {short} {day.year}", f"{short} {day.day} {day.year}",
    }  # fmt: skip
    return any(form in flat for form in forms)
