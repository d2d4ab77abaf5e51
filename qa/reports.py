"""Reports that differ: the figures other dated reports give for what the answer's figure counts.

Which figure of another report counts "the same thing" is decided as a reader would skim: only
for a question that asks for a figure; the report is about the event asked (its names, and its
year in the text or date); what each figure counts (`figures.counts_of`) and its unit do not
contradict the answer's; the cited sentence does not give it for something else ("176 people,
including 11 crew"); it is a total (`figures.not_a_total`: no increment, "two more"; no part
of another count, "two of the injured"; no value before a change, "up from 12") and no limit;
and the words around it match the question about as well as the words around the answer's
figure do. A sentence may also set two sources' figures against each other ("X said 11,200,
while Y put the figure at 13,000"), or the next sentence give a second source's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .anchors import Vocabulary
from .answers import Answer, Citation, Passage
from .contrast import in_contrast, second_source
from .days import date_of
from .embedding import Embedder
from .figures import (
    LIMIT,
    alike,
    alike_measures,
    counts_of,
    figures,
    not_a_total,
    stated_alike,
    unit,
    value,
    window,
    written,
)
from .grounding import Evidence, evidence_sentences
from .question import analysed
from .text import strip_markers

MARGIN = 0.08  # how much worse than the answer's own another figure's words may match the question
SAID_MARGIN = 0.15  # the same, for a figure said to count the same thing (the toll, the injured)
# How alike the words around two figures must be, unless both are said to count one thing.
SAME_THING = 0.45


@dataclass(frozen=True)
class Report:
    """One dated article's figure for what was asked, with the sentence that gives it."""

    figure: str  # as the article writes it
    citation: Citation


@dataclass(frozen=True)
class Figures:
    """What the dated passages say of the answer's figure."""

    own: Report  # the answer's figure, in the sentence it cites
    others: list[Report]  # other figures for the same thing, where reports differ
    confirmed: Report | None = None  # a newer report that gives the same figure


@dataclass(frozen=True)
class _Own:
    """The answer's figure in the sentence it cites, and what is known of it."""

    question: str
    asked: frozenset[str]  # the question's own numbers: never a figure
    figure: str  # as digits
    citation: Citation
    at: re.Match[str]  # in the cited sentence
    unit: str
    counts: str  # as the answer, the cited sentence or another giving it says ("" if none)
    in_quote: str  # as the cited sentence says, else `counts`

    def cites(self, e: Evidence) -> bool:
        return e.source == self.citation.source and e.span.start == self.citation.start


def other_reports(
    question: str,
    answer: Answer,
    passages: list[Passage],
    embedder: Embedder,
    wider: Iterable[Passage] = (),
) -> Figures | None:
    """The answer's figure and the figures dated articles among `passages` give for the same
    thing where they differ: one per other article (its best match), and the figures the cited
    sentence itself gives for it ("4 micrograms ..., while the lab measured 11 micrograms");
    also the newest other report that gives the same figure. Sentences of `wider` that the
    passages lack count too, where their words match both the question and the answer's own
    (a report the reader was not shown is held to the stricter test). None when the answer
    gives no figure asked for or cites no dated article."""
    asked, text = analysed(question).numbers, strip_markers(answer.text)
    said = figures(text, asked)
    if not said or not analysed(question).figure:
        return None
    figure = value(said[0])
    cited = [
        (c, f)
        for c in answer.citations
        for f in figures(c.quote, asked)
        if value(f) == figure and stated_alike(text, said[0], c.quote, f)
    ]
    if not cited or not date_of(cited[0][0].date):
        return None
    citation, at = cited[0]
    shown = {(e.source, e.span.start) for e in evidence_sentences(passages)}
    sentences: list[Evidence] = []
    seen: set[tuple[str, int]] = set()
    for e in evidence_sentences([*passages, *wider]):  # each dated sentence once
        if date_of(e.meta.date) and (e.source, e.span.start) not in seen:
            seen.add((e.source, e.span.start))
            sentences.append(e)
    # What the reader was shown; sentences beyond it are only ever other reports' figures.
    read = [e for e in sentences if (e.source, e.span.start) in shown]
    own, same = _own(question, asked, text, said[0], citation, at, read)
    candidates, contrasted = _candidates(own, sentences, read)
    later = [
        (e, m)
        for e, m in same
        if e.source != citation.source and (e.meta.date or "") > (citation.date or "")
    ]
    found = [(e, m) for e, m, _, _ in candidates]
    windows = [window(citation.quote, at)] + [window(e.text, m) for e, m in found + later]
    vectors = embedder.encode([question, *windows])
    to_question, to_own = vectors[1:] @ vectors[0], vectors[1:] @ vectors[1]
    n = 1 + len(candidates)
    best = _best(
        own,
        contrasted,
        zip(candidates, to_question[1:n], to_own[1:n], strict=True),
        float(to_question[0]),
        shown,
    )
    confirmed = _confirmed(own, zip(later, to_question[n:], strict=True), float(to_question[0]))
    return Figures(Report(written(citation.quote, at), citation), best, confirmed)


def _own(
    question: str,
    asked: frozenset[str],
    text: str,
    said: re.Match[str],
    citation: Citation,
    at: re.Match[str],
    read: list[Evidence],
) -> tuple[_Own, list[tuple[Evidence, re.Match[str]]]]:
    """What the answer's figure counts, with the sentences the reader read that give the same
    figure: the cited sentence may only mention it ("four more than the 19 confirmed"), another
    report state what it counts, a later one confirm it."""
    own_unit = unit(citation.quote, at)
    same = [
        (e, m)
        for e in read
        for m in figures(e.text, asked)
        if value(m) == value(at)
        and not (e.source == citation.source and e.span.start == citation.start)
        and alike_measures(
            (own_unit, counts_of(citation.quote, at)), (unit(e.text, m), counts_of(e.text, m))
        )
    ]  # not "burying 40 homes" where the answer's 40 is metres
    # What the figure counts: as the answer says, else as the cited sentence or another that
    # gives the same figure says.
    stated = [(text, said), (citation.quote, at)] + [(e.text, m) for e, m in same]
    counts = next((k for k in (counts_of(t, m) for t, m in stated) if k), "")
    # Within the cited sentence its own words rule: "killing 12 and leaving 30 missing" sets
    # no 30 against an answer that calls the 12 missing.
    in_quote = counts_of(citation.quote, at) or counts
    own = _Own(question, asked, value(at), citation, at, own_unit, counts, in_quote)
    return own, same


_Found = tuple[Evidence, re.Match[str]]


def _candidates(
    own: _Own, sentences: list[Evidence], read: list[Evidence]
) -> tuple[list[tuple[Evidence, re.Match[str], str, str]], list[_Found]]:
    """The figures of other reports of the event asked that may count what the answer's does,
    each with what it counts and its unit; and those a sentence sets against it as another
    source's ("A said 4, while B measured 11"; "The survey put it at magnitude 5.0.")."""
    found = analysed(own.question).anchors
    names = [a for a in found if a.kind == "name"]
    years = {a.number for a in found if a.kind == "year"}
    quote = own.citation.quote
    besides = {value(m) for m in figures(quote, own.asked)} - {own.figure}
    limited = bool(LIMIT.search(quote, 0, own.at.start()))  # the answer gives a limit itself
    candidates: list[tuple[Evidence, re.Match[str], str, str]] = []
    contrasted: list[_Found] = []
    # The sentence right after the cited one may give a second source's figure for the same
    # thing ("The Global Seismological Survey put it at magnitude 5.0.").
    after = next(
        (
            e
            for e in read
            if e.source == own.citation.source and 0 <= e.span.start - own.citation.end <= 3
        ),
        None,
    )
    for e in sentences:
        itself, follows = own.cites(e), e is after
        if e.source == own.citation.source and not (itself or follows):
            continue  # the article's own story of how a figure changed is not a disagreement
        report = Vocabulary.of(f"{e.title} {e.text}")
        if not (itself or follows) and not all(a.words & report.words for a in names):
            continue  # about another place or event (one word of each name will do)
        if not (itself or follows) and years - report.numbers - {(e.meta.date or "")[:4]}:
            continue  # another year's event: the year asked is neither in it nor its date
        for i, m in enumerate(figures(e.text, own.asked)):  # each that may count the same
            if value(m) == own.figure or _other_year(e, own.asked) or not_a_total(e.text, m):
                continue  # the same figure, another event's ("in 1998 ..."), or no total
            if LIMIT.search(e.text, 0, m.start()) and not limited:
                continue  # "licensed to carry 120", "a limit of 60 km/h": what was allowed
            other, other_unit = counts_of(e.text, m), unit(e.text, m)
            if follows:  # only its first figure can be given for the cited one's thing
                pair = (own.counts, other), (own.unit, other_unit)
                if i == 0 and second_source(e.text, m, *pair, quote):
                    contrasted.append((e, m))
                continue
            if not itself and value(m) in besides:
                continue  # the cited sentence gives it too, for something else ("11 crew")
            pair = (own.in_quote, other), (own.unit, other_unit)
            if itself and in_contrast(e.text, (own.at, m), *pair):
                contrasted.append((e, m))
            elif _counts_alike(own, itself, m, other, other_unit):
                candidates.append((e, m, other, other_unit))
    return candidates, contrasted


def _counts_alike(own: _Own, itself: bool, m: re.Match[str], other: str, other_unit: str) -> bool:
    """Nothing said of the figure at `m` (what it counts, `other`, in `other_unit`) sets it
    apart from the answer's; in the cited sentence itself it must be said to count the same."""
    if own.counts and other != own.counts:
        return False  # said to count something else, or not said to count the same
    if itself and not alike(own.in_quote, other, own.unit, other_unit):
        return False
    if m.group(0).isalpha() and not (own.counts and other == own.counts):
        return False  # "two of them": a number in words is a figure if said to be one
    return alike_measures((own.unit, own.counts), (other_unit, other))


def _best(
    own: _Own,
    contrasted: list[_Found],
    scored: Iterable[tuple[tuple[Evidence, re.Match[str], str, str], float, float]],
    reference: float,
    shown: set[tuple[str, int]],
) -> list[Report]:
    """Each other report's figure whose words match the question about as well as the cited
    sentence's do (`reference`), the best one per article; figures set against the answer's by
    the report itself need no test and keep their own place (sentence and offset)."""
    best = {
        f"{e.source}:{e.span.start}:{m.start()}": (
            1.0,
            Report(written(e.text, m), own.citation if own.cites(e) else e.citation(0)),
        )
        for e, m in contrasted
    }
    for (e, m, other, other_unit), asked_score, own_score in scored:
        # Said to count the same thing (the toll, the injured) of the event asked about, it
        # does; otherwise its words must match the question and the answer's own.
        itself = own.cites(e)
        # Another report's figure in the same named unit ("110 firefighters") is said to count
        # the same thing too; within the cited sentence ("the limit is 60 km/h") it is not.
        said = (bool(own.counts) and own.counts == other) or (
            not (own.counts or other or itself)
            and own.unit not in ("", "people")
            and own.unit == other_unit
        )
        strict = (e.source, e.span.start) not in shown  # from `wider`: not what the reader read
        if asked_score < reference - (SAID_MARGIN if said and not strict else MARGIN):
            continue
        if (strict or not said) and own_score < SAME_THING:
            continue
        key = f"{e.source}:{e.span.start}" if e.source == own.citation.source else e.source
        if key not in best or asked_score > best[key][0]:
            citation = own.citation if itself else e.citation(0)
            best[key] = (float(asked_score), Report(written(e.text, m), citation))
    return [r for _, r in best.values()]


def _confirmed(own: _Own, later: Iterable[tuple[_Found, float]], reference: float) -> Report | None:
    """The newest later report that gives the answer's figure for the same thing."""
    confirmed = None
    for (e, m), asked_score in later:
        other = counts_of(e.text, m)
        if own.counts and other and own.counts != other:
            continue
        if asked_score < reference - (
            SAID_MARGIN if own.counts and other == own.counts else MARGIN
        ):
            continue
        if confirmed is None or (e.meta.date or "") > (confirmed.citation.date or ""):
            confirmed = Report(written(e.text, m), e.citation(0))
    return confirmed


def _other_year(e: Evidence, asked: frozenset[str]) -> bool:
    """The sentence names a year other than its article's and the question's."""
    year = (e.meta.date or "")[:4]
    return any(y not in (year, *asked) for y in re.findall(r"\b(?:1[89]|20)\d\d\b", e.text))
