"""Answers that know when. A news figure holds on its date ("at least 12 dead" on Wednesday,
27 on Friday), so three things follow from the articles' publication dates:

- a question about the latest state ("latest", "now", "so far", "still") is read with the
  newest reports first (`context.select` favours them too), and its answer says as of when;
- when another dated article gives another figure for what the answer states (among the
  excerpts, or among more of the retrieved passages, held to a stricter test), or the cited
  sentence sets two sources' figures against each other ("X said 11,200, while Y put the figure
  at 13,000"), the answer says the reports differ and gives each figure with its date and
  citation (for a question about the latest state, the newest figure leads);
- a day an article gives relative to its date ("on Tuesday", "yesterday") is resolved against
  that date.

Which figure of another report counts "the same thing" is decided as a reader would skim:
only for a question that asks for a figure; the sentence names what the question names; the
figure is no year, time, date or name ("Route 14"); the word that says what it counts (dead,
injured, missing, evacuated, ...; `ATTRIBUTES`) and its unit do not contradict the answer's;
the cited sentence does not give it for something else ("176 people, including 11 crew"); it is
no limit ("licensed to carry 120"); and the words around it match the question about as well as
the words around the answer's figure do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .anchors import MONTHS, NUMBER_WORDS, WEEKDAYS, Vocabulary, anchors, numbers
from .answers import Answer, Citation, Passage
from .converters import display_date
from .embedding import Embedder
from .grounding import Evidence, evidence_sentences
from .text import strip_markers

# The latest state is asked for in words ("latest", "so far") or by the present perfect: "how
# many have died" asks how many as of now.
NOW = (
    r"latest|most recent|newest|now|so far|to date|currently|current|still|as it stands"
    r"|up to date"
)
LATEST = re.compile(
    rf"\b({NOW}|(?:has|have)(?: not| now)? (?:been|\w+ed|\w+en|grown|risen|left|fled|burnt))\b",
    re.IGNORECASE,
)
_NOW = re.compile(rf"\b(?:{NOW})\b", re.IGNORECASE)
# A question whose answer is a figure: only then can reports give it different values.
FIGURE_ASKED = re.compile(
    r"\bhow (?:many|much|long|old|far|often|deep|high|large|big|wide|strong|severe|fast|heavy"
    r"|hot|tall)\b"
    r"|\b(?:what|which)\b.{0,40}\b(?:number|count|toll|figure|magnitude|levels?|share"
    r"|percentage|rate|amount|size|total|depth|area|height|width|cost|sum)\b",
    re.IGNORECASE,
)
WHEN = re.compile(
    r"^\W*(when\b|(?:on |in )?(?:what|which) (?:day|date)\b"
    r"|(?:what|which) (?:was|is) the (?:day|date)\b)",
    re.IGNORECASE,
)
# A figure: digits with separators, not a year ("2024"), a time ("9:40", "11 p.m.") or a date.
_FIGURE = re.compile(
    r"(?<![\w.:,$-])\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.:,$-])\$?\d+(?:\.\d+)?"
    r"|\b(?:"
    + "|".join(w for w in NUMBER_WORDS if w != "zero")
    + r")(?:-(?:"
    + "|".join(w for w in NUMBER_WORDS if NUMBER_WORDS[w] in "123456789")
    + r"))?\b",
    re.IGNORECASE,
)
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
# "11 p.m.", "9:40", "14 October", "October 14": a time or a date, not a figure.
_NOT_FIGURE_AFTER = re.compile(
    rf"^(?::\d|\s*(?:a\.m\.|p\.m\.|am\b|pm\b|o'clock))|^\s*{_MONTH}", re.IGNORECASE
)
_MONTH_BEFORE = re.compile(rf"\b{_MONTH}\s*$", re.IGNORECASE)
# A word right before a figure that names it: "on Route 14", "train 418", "No. 7".
_NAMED = re.compile(
    rf"(?:(?<=[\w,;] )(?!{'|'.join(w.title() for w in WEEKDAYS)}\b)[A-Z][a-z]+|\bNo\.|#"
    r"|\b(?:Route|Line|Road|Highway|Category|Terminal|Zone|Pier|Room|Ward)"
    r"|\b(?i:train|flight|bus|platform|gate))\s?$"
)
# Units written short, and the long forms they stand for: "185 km/h", "312 mm".
_ABBREVIATED = {
    "km/h": "km/h", "kph": "km/h", "mph": "mph", "km": "kilometres", "mm": "millimetres",
    "cm": "centimetres", "kg": "kilograms", "ft": "feet", "mi": "miles",
}  # fmt: skip
# The words right after a figure, up to punctuation ("%" is a word of its own).
_RUN = re.compile(r"%|(?:\s+[a-z]+(?:/[a-z]+)?)+", re.IGNORECASE)
_WORD = re.compile(r"%|[a-z]+(?:/[a-z]+)?", re.IGNORECASE)
# Words after a figure that say nothing of what it counts.
_NO_UNIT = {
    "of", "and", "or", "to", "in", "on", "at", "by", "as", "the", "a", "more", "other",
    "were", "was", "are", "is", "had", "have", "has", "said", "who", "that", "from",
    "with", "after", "before", "than", "since",
}  # fmt: skip
# What a news figure counts, by the words next to it: the toll of one report is compared with
# the toll of another, never with its count of missing people.
ATTRIBUTES = {
    "dead": "dead death deaths died die dies dying killed killing kill toll fatalities lives",
    "injured": "injured injuries injuring wounded hurt hospitalised hospitalized",
    "missing": "missing unaccounted",
    "evacuated": "evacuated evacuation evacuations evacuate evacuees displaced homeless fled",
    "rescued": "rescued alive survivors survived saved",
    "arrested": "arrested detained charged",
    "buildings": "homes houses buildings",
    "magnitude": "magnitude",
    "depth": "deep depth",
}
# What is counted, never measured: a figure said to count it is no length, time or speed.
_COUNTED = {"dead", "injured", "missing", "evacuated", "rescued", "arrested", "buildings"}
_MEASURE = re.compile(
    r"\b(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|percent|degrees?|km/h|mph"
    r"|(?:milli|centi|kilo|micro)?(?:metres?|grams?|litres?)|miles?|feet|tonnes?|hectares?|acres?)\b"
)
_ATTRIBUTE = {w: kind for kind, words in ATTRIBUTES.items() for w in words.split()}
_PHRASES = {"left their homes": "evacuated", "fled their homes": "evacuated"}
NEAR = 10  # words either side of a figure that say what it counts
_PERSONS = {"people", "persons", "residents", "villagers", "inhabitants", "civilians", "passengers"}
WINDOW = 60  # characters either side of a figure that say what it counts
MARGIN = 0.08  # how much worse than the answer's own another figure's words may match the question
SAID_MARGIN = 0.15  # the same, for a figure said to count the same thing (the toll, the injured)
# How alike the words around two figures must be, unless both are said to count one thing.
SAME_THING = 0.45
_FUTURE = re.compile(
    r"\b(will|would|expected|due|next|plans?|planned|scheduled|is to|are to)\b", re.IGNORECASE
)
_DATE_GIVEN = re.compile(
    rf",?\s*(?:the\s+)?(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?)?{_MONTH}", re.IGNORECASE
)
# A date the answer gives: "June 16", "16 June", "2024-06-16".
_NAMES_DATE = re.compile(rf"\b{_MONTH}\s*\d|\d\s*{_MONTH}|\b\d{{4}}-\d\d-\d\d\b", re.IGNORECASE)
_RELATIVE = re.compile(
    r"\b(yesterday|today|tonight|last night|this morning|this afternoon|this evening|"
    + "|".join(sorted(WEEKDAYS))
    + r")\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Report:
    """One dated article's figure for what was asked, with the sentence that gives it."""

    figure: str  # as the article writes it
    citation: Citation


def asks_latest(question: str) -> bool:
    return bool(LATEST.search(question))


def timeless(question: str) -> str:
    """The question without its words for now ("latest", "so far", "still"): the report's
    date answers them, and the sentence that states the figure seldom says them all."""
    return " ".join(_NOW.sub(" ", question).split())


def asks_figure(question: str) -> bool:
    return bool(FIGURE_ASKED.search(question))


def asks_when(question: str) -> bool:
    return bool(WHEN.search(question))


def _day(iso: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def newest_first(passages: list[Passage], about: set[str] | None = None) -> list[Passage]:
    """The excerpts grouped by article, the newest article `about` the event asked first
    (then other dated ones, then undated ones, in the order they came), each article's
    excerpts in their own order."""
    first: dict[str, int] = {}
    for i, p in enumerate(passages):
        first.setdefault(p.chunk.source, i)

    def key(item: tuple[int, Passage]) -> tuple[int, int, int]:
        i, p = item
        day = _day(p.chunk.meta.date)
        if day and about is not None and p.chunk.source not in about:
            return (1, 0, first[p.chunk.source])
        return (0 if day else 2, -day.toordinal() if day else 0, first[p.chunk.source])

    return [p for _, p in sorted(enumerate(passages), key=key)]


def _figures(text: str, skip: set[str]) -> list[re.Match[str]]:
    """The figures in `text` that may count something: not a year, time or date, and not a
    number in `skip` (the question's own)."""
    found = []
    for m in _FIGURE.finditer(text):
        digits = _value(m)
        if digits in skip or re.fullmatch(r"(1[89]|20)\d\d", digits):
            continue
        if _NOT_FIGURE_AFTER.search(text[m.end() :]) or _MONTH_BEFORE.search(text[: m.start()]):
            continue
        if _NAMED.search(text[: m.start()]):
            continue  # "Route 14", "Flight 370": a name, not a count
        found.append(m)
    return found


def _value(m: re.Match[str]) -> str:
    """A figure as digits: "1,200" and "$1200" are "1200", "four" is "4"."""
    words = m.group(0).lower().split("-")  # "twenty-three" is 20 + 3
    if all(w in NUMBER_WORDS for w in words):
        return str(sum(int(NUMBER_WORDS[w]) for w in words))
    return m.group(0).lstrip("$").replace(",", "")


def _unit_words(text: str, m: re.Match[str]) -> list[re.Match[str]]:
    """The words right after a figure that say what it is measured in ("hectares", "per
    cent", "million crowns"), with a word before them that says what it counts ("18 injured
    people"): none when a verb, punctuation or nothing follows ("risen to 19, officials
    said", "the 19 confirmed")."""
    run = _RUN.match(text, m.end(), m.end() + 40)  # up to the first punctuation
    words = list(_WORD.finditer(run.group(0))) if run else []
    low = [w.group(0).lower() for w in words]
    if low[:2] == ["per", "cent"]:
        return words[:2]
    if low[:1] in (["%"], ["percent"]) or (low and low[0] in _ABBREVIATED):
        return words[:1]
    skip = 1 if low and low[0] in _ATTRIBUTE else 0
    if low[skip : skip + 1] in (["million"], ["billion"], ["thousand"]):  # "2 million crowns"
        return words[: skip + 2]
    word = low[skip] if len(low) > skip else ""
    counted = word in _PERSONS or (word.endswith("s") and word not in _NO_UNIT)
    return words[: skip + 1] if counted else []


def _unit(text: str, m: re.Match[str]) -> str:
    """What the figure is measured in, by the noun after it; people, residents and passengers
    are one ("" when none is given)."""
    words = [w.group(0).lower() for w in _unit_words(text, m)]
    if not words:
        return ""
    if words[0] in ("%", "percent", "per"):
        return "percent"
    if words[0] in _ATTRIBUTE:
        words = words[1:]
    if words[0] in _PERSONS:
        return "people"
    unit = " ".join(_ABBREVIATED.get(w, w) for w in words)
    return re.sub(r"(?<=[a-z])ers\b", "res", unit)  # "meters" is "metres"


def _written(text: str, m: re.Match[str]) -> str:
    """The figure as the article writes it, with its unit ("11 micrograms", "45%") or the
    noun that says what it counts ("40 homes")."""
    words = _unit_words(text, m)
    if not words:
        run = _RUN.match(text, m.end(), m.end() + 40)
        first = next(_WORD.finditer(run.group(0)), None) if run else None
        noun = first is not None and first.group(0).lower() in _ATTRIBUTE
        words = [first] if noun and first.group(0).endswith("s") else []
    return text[m.start() : m.end() + words[-1].end()] if words else m.group(0)


def _alike_measures(one: tuple[str, str], other: tuple[str, str]) -> bool:
    """Two figures, each as (unit, what it counts), that may count the same thing: units that
    do not contradict, and no count said by its word alone ("injured 22", "burying 40 homes")
    set against a figure in a measure ("14 hours", "40 metres")."""
    if not _compatible(one[0], other[0]):
        return False
    for (unit, counts), (given, _) in ((one, other), (other, one)):
        if not unit and counts in _COUNTED and _MEASURE.search(given):
            return False
    return True


def _compatible(unit: str, other: str) -> bool:
    """Units that may count the same thing: the same, or one not given (a percentage is
    never a count)."""
    if "percent" in (unit, other):
        return unit == other
    return not unit or not other or unit == other


_CLAUSE = re.compile(r"[;:,](?=\s)|\s(?:and|but|while|whereas)\s")


def _attribute(text: str, m: re.Match[str]) -> str:
    """What the figure at `m` counts, by the nearest attribute word within `NEAR` words of it
    in its clause, up to the next figure (after it before before it, at the same distance):
    "killed 5 and injured 19"; "at a depth of 10" is 10's, not the figure's before it ("" when
    none is near)."""
    before = _CLAUSE.split(text[: m.start()])[-1].lower()
    after = _CLAUSE.split(text[m.end() :])[0].lower()
    for phrase, kind in _PHRASES.items():
        before, after = before.replace(phrase, kind), after.replace(phrase, kind)
    right = re.findall(r"[a-z]+", re.split(r"\d", after)[0])
    if len(right) >= 2 and right[-1] in ("of", "at", "to", "by") and re.search(r"\d", after):
        right = right[:-2]  # "a depth of" the next figure
    left = re.findall(r"[a-z]+", re.split(r"\d", before)[-1])[::-1]
    for k in range(NEAR):
        for side in (right, left):
            if k < len(side) and side[k] in _ATTRIBUTE:
                return _ATTRIBUTE[side[k]]
    return ""


def _window(text: str, m: re.Match[str]) -> str:
    return text[max(0, m.start() - WINDOW) : m.end() + WINDOW]


@dataclass(frozen=True)
class Figures:
    """What the dated passages say of the answer's figure."""

    own: Report  # the answer's figure, in the sentence it cites
    others: list[Report]  # other figures for the same thing, where reports differ
    confirmed: Report | None = None  # a newer report that gives the same figure


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
    asked, text = numbers(question), strip_markers(answer.text)
    said = _figures(text, asked)
    if not said or not asks_figure(question):
        return None
    figure = _value(said[0])
    cited = [
        (c, f)
        for c in answer.citations
        for f in _figures(c.quote, asked)
        if _value(f) == figure and _stated_alike(text, said[0], c.quote, f)
    ]
    if not cited or not _day(cited[0][0].date):
        return None
    own, at = cited[0]
    shown = {(e.source, e.span.start) for e in evidence_sentences(passages)}
    sentences: list[Evidence] = []
    seen: set[tuple[str, int]] = set()
    for e in evidence_sentences([*passages, *wider]):  # each dated sentence once
        if _day(e.meta.date) and (e.source, e.span.start) not in seen:
            seen.add((e.source, e.span.start))
            sentences.append(e)
    # What the reader was shown; sentences beyond it are only ever other reports' figures.
    read = [e for e in sentences if (e.source, e.span.start) in shown]

    def is_cited(e: Evidence) -> bool:
        return e.source == own.source and e.span.start == own.start

    # The same figure elsewhere: the cited sentence may only mention it ("four more than the 19
    # confirmed"), another report state what it counts, a later one confirm it.
    unit = _unit(own.quote, at)
    same = [
        (e, m)
        for e in read
        for m in _figures(e.text, asked)
        if _value(m) == figure
        and not is_cited(e)
        and _alike_measures(
            (unit, _attribute(own.quote, at)), (_unit(e.text, m), _attribute(e.text, m))
        )
    ]  # not "burying 40 homes" where the answer's 40 is metres
    # What the figure counts: as the answer says, else as the cited sentence or another that
    # gives the same figure says.
    stated = [(text, said[0]), (own.quote, at)] + [(e.text, m) for e, m in same]
    counts = next((k for k in (_attribute(t, m) for t, m in stated) if k), "")
    # Within the cited sentence its own words rule: "killing 12 and leaving 30 missing" sets
    # no 30 against an answer that calls the 12 missing.
    in_quote = _attribute(own.quote, at) or counts
    names = [a for a in anchors(question) if a.kind == "name"]
    years = {a.number for a in anchors(question) if a.kind == "year"}
    besides = {_value(m) for m in _figures(own.quote, asked)} - {figure}
    limited = bool(_LIMIT.search(own.quote, 0, at.start()))  # the answer gives a limit itself
    candidates: list[tuple[Evidence, re.Match[str], str, str]] = []  # with what each counts
    contrasted: list[tuple[Evidence, re.Match[str]]] = []  # "A said 4, while B measured 11"
    # The sentence right after the cited one may give a second source's figure for the same
    # thing ("The Global Seismological Survey put it at magnitude 5.0.").
    after = next(
        (e for e in read if e.source == own.source and 0 <= e.span.start - own.end <= 3), None
    )
    for e in sentences:
        itself, follows = is_cited(e), e is after
        if e.source == own.source and not (itself or follows):
            continue  # the article's own story of how a figure changed is not a disagreement
        report = Vocabulary.of(f"{e.title} {e.text}")
        if not (itself or follows) and not all(a.words & report.words for a in names):
            continue  # about another place or event (one word of each name will do)
        if not (itself or follows) and years - report.numbers - {(e.meta.date or "")[:4]}:
            continue  # another year's event: the year asked is neither in it nor its date
        for i, m in enumerate(_figures(e.text, asked)):  # each that may count the same thing
            other, other_unit = _attribute(e.text, m), _unit(e.text, m)
            if _value(m) == figure or _other_year(e, asked):
                continue  # the same figure, or "in 1998 ... 14 people died": another event
            if _INCREMENT.match(e.text, m.end()) or _ANOTHER.search(e.text, 0, m.start()):
                continue  # "two more bodies", "another 40": what was added, not the total
            if _LIMIT.search(e.text, 0, m.start()) and not limited:
                continue  # "licensed to carry 120", "a limit of 60 km/h": what was allowed
            if follows:  # only its first figure can be given for the cited one's thing
                pair = (counts, other), (unit, other_unit)
                if i == 0 and _second_source(e.text, m, *pair, own.quote):
                    contrasted.append((e, m))
                continue
            if not itself and _value(m) in besides:
                continue  # the cited sentence gives it too, for something else ("11 crew")
            if itself and _contrasted(e.text, (at, m), (in_quote, other), (unit, other_unit)):
                contrasted.append((e, m))
                continue
            if counts and other != counts:
                continue  # said to count something else, or not said to count the same
            if itself and not _alike(in_quote, other, unit, other_unit):
                continue  # in the cited sentence itself, only a figure said to count the same
            if m.group(0).isalpha() and not (counts and other == counts):
                continue  # "two of them": a number in words is a figure if said to be one
            if _alike_measures((unit, counts), (other_unit, other)):
                candidates.append((e, m, other, other_unit))
    later = [
        (e, m) for e, m in same if e.source != own.source and (e.meta.date or "") > (own.date or "")
    ]
    found = [(e, m) for e, m, _, _ in candidates]
    windows = [_window(own.quote, at)] + [_window(e.text, m) for e, m in found + later]
    vectors = embedder.encode([question, *windows])
    to_question, to_own = vectors[1:] @ vectors[0], vectors[1:] @ vectors[1]
    reference = float(to_question[0])  # how well the cited sentence's words match
    # Figures set against the answer's by the report itself need no other test; each keeps
    # its own place (sentence and offset), so none displaces another report's best match.
    best = {
        f"{e.source}:{e.span.start}:{m.start()}": (
            1.0,
            Report(_written(e.text, m), own if e.span.start == own.start else e.citation(0)),
        )
        for e, m in contrasted
    }
    n = 1 + len(candidates)
    scored = zip(candidates, to_question[1:n], to_own[1:n], strict=True)
    for (e, m, other, other_unit), asked_score, own_score in scored:
        # Said to count the same thing (the toll, the injured) of the event asked about, it
        # does; otherwise its words must match the question and the answer's own.
        itself = is_cited(e)
        # Another report's figure in the same named unit ("110 firefighters") is said to count
        # the same thing too; within the cited sentence ("the limit is 60 km/h") it is not.
        said = (bool(counts) and counts == other) or (
            not (counts or other or itself) and unit not in ("", "people") and unit == other_unit
        )
        strict = (e.source, e.span.start) not in shown  # from `wider`: not what the reader read
        if asked_score < reference - (SAID_MARGIN if said and not strict else MARGIN):
            continue
        if (strict or not said) and own_score < SAME_THING:
            continue
        key = f"{e.source}:{e.span.start}" if e.source == own.source else e.source
        if key not in best or asked_score > best[key][0]:
            citation = own if itself else e.citation(0)
            best[key] = (float(asked_score), Report(_written(e.text, m), citation))
    confirmed = None
    for (e, m), asked_score in zip(later, to_question[n:], strict=True):
        other = _attribute(e.text, m)
        if counts and other and counts != other:
            continue
        if asked_score < reference - (SAID_MARGIN if counts and other == counts else MARGIN):
            continue
        if confirmed is None or (e.meta.date or "") > (confirmed.citation.date or ""):
            confirmed = Report(_written(e.text, m), e.citation(0))
    return Figures(Report(_written(own.quote, at), own), [r for _, r in best.values()], confirmed)


def _other_year(e: Evidence, asked: set[str]) -> bool:
    """The sentence names a year other than its article's and the question's."""
    year = (e.meta.date or "")[:4]
    return any(y not in (year, *asked) for y in re.findall(r"\b(?:1[89]|20)\d\d\b", e.text))


_INCREMENT = re.compile(r"\s+(?:more|additional|new|further|extra)\b")
_ANOTHER = re.compile(r"\b(?:another|an additional|a further)\s+$", re.IGNORECASE)
# A limit or capacity before a figure: "licensed to carry 120", "a speed limit of 60 km/h".
_LIMIT = re.compile(
    r"\b(?:capacity|licen[cs]ed?|limit|permitted|allowed|designed)\b(?:\s+\w+){0,3}\s+$",
    re.IGNORECASE,
)
_CONTRAST = re.compile(r"\b(?:while|whereas|but)\b|;")
# Words that give a figure as someone's: "said", "put the figure at", "according to".
_ATTRIBUTED = re.compile(
    r"\b(?:said|says|put|puts|counted|measured|estimated|reported|recorded|registered|gave"
    r"|according to)\b",
    re.IGNORECASE,
)
# "put it at", "put the peak gust at about": a figure given for a thing named before it.
_BACK = re.compile(
    r"\b(?:put|puts|placed|estimated|estimates|gave|gives|measured|set)\s+(?:it|the((?: [a-z]+)"
    r"{1,3}))\s+(?:at|as)\s+(?:[a-z]+\s+){0,2}$",
    re.IGNORECASE,
)
_GENERIC = Vocabulary.of("figure number toll count total tally").words
# "counted 3,400, saying ...": a source's figure with nothing said of what it counts.
_GIVEN = re.compile(
    r"\b(?:said|says|counted|measured|estimated|reported|recorded|registered|gave)\s+"
    r"(?:about |around |nearly |some |only |at least )?$",
    re.IGNORECASE,
)
_BARE = re.compile(r"\s*(?:[,.;:]|$)")


def _given_for(text: str, m: re.Match[str], thing: frozenset[str]) -> bool:
    """The figure at `m` is a source's value for the thing the words `thing` name: "put it
    at", "put the toll at", "put the peak gust at" (for gusts), or a bare "counted 3,400,"."""
    back = _BACK.search(text, 0, m.start())
    if back:
        named = back.group(1)
        return named is None or bool(Vocabulary.of(named).words & (thing | _GENERIC))
    return bool(_GIVEN.search(text, 0, m.start()) and _BARE.match(text, m.end()))


def _contrasted(
    text: str,
    pair: tuple[re.Match[str], re.Match[str]],
    counts: tuple[str, str],
    units: tuple[str, str],
) -> bool:
    """Two figures of one sentence that it sets against each other as two sources' ("the
    agency said 11,200 people had been evacuated, while the society put the figure at
    13,000"): a contrast between them, then a source for the second; nothing said of either
    contradicts the other; and the second is tied to the first's thing: said to count it, in
    a unit of its own, or given for it ("put the figure at", "counted 3,400,")."""
    first, second = sorted(pair, key=lambda m: m.start())
    contrast = _CONTRAST.search(text, first.end(), second.start())
    if contrast is None or not _ATTRIBUTED.search(text, contrast.end(), second.start()):
        return False
    if (all(counts) and counts[0] != counts[1]) or not _compatible(*units):
        return False
    if pair[1].group(0).isalpha():
        return False  # "two more bodies": a number in words is no rival figure
    later = 0 if second is pair[0] else 1  # what is known of the second figure
    thing = Vocabulary.of(text[: first.end() + WINDOW]).words
    return bool(counts[later] and counts[later] == counts[1 - later]) or bool(
        units[later] or _given_for(text, second, thing)
    )


def _second_source(
    text: str, m: re.Match[str], counts: tuple[str, str], units: tuple[str, str], cited: str
) -> bool:
    """The first figure of the sentence after the cited one gives a second source's value for
    the cited figure's thing: "it" or that thing is put at a value ("The observatory put the
    peak gust at 204 km/h."), or a source gives it in the same named unit ("The union said the
    train had been doing about 120 km/h."); nothing said of it contradicts the answer's."""
    if (counts[0] and counts[1] not in ("", counts[0])) or not _compatible(*units):
        return False
    if _BACK.search(text, 0, m.start()):
        return _given_for(text, m, Vocabulary.of(cited).words)
    named = units[0] not in ("", "people") and units[0] == units[1]
    return named and bool(_ATTRIBUTED.search(text, 0, m.start()))


def _stated_alike(text: str, m: re.Match[str], quote: str, f: re.Match[str]) -> bool:
    """The answer's figure is the quote's, not the same digits for another thing ("11 people
    were injured" is not "11 micrograms"): said to count the same, or in units that agree."""
    counts = _attribute(text, m)
    return (bool(counts) and counts == _attribute(quote, f)) or _compatible(
        _unit(text, m), _unit(quote, f)
    )


def _alike(counts: str, other: str, unit: str, other_unit: str) -> bool:
    """Two figures of one sentence count the same thing: said to, in the same unit, or both
    given in the same unit with nothing said of what they count."""
    if counts or other:
        return counts == other and _compatible(unit, other_unit)
    return bool(unit) and unit == other_unit


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
    latest = asks_latest(question)
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
    elif latest and _day(answer.citations[0].date):
        text = f"As of {display_date(answer.citations[0].date, full=True)}: {text}"
    if asks_when(question):
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


def resolved_days(text: str, citations: list[Citation]) -> str:
    """A sentence saying which date each relative day in `text` was, from the date of the
    article that says it ("" when there is none to resolve)."""
    said = []
    for m in _RELATIVE.finditer(text):
        word = m.group(0)
        if _DATE_GIVEN.match(text[m.end() :]):
            continue  # "on Tuesday, June 11": the date is given
        source = next(
            (c for c in citations if word.lower() in c.quote.lower() and _day(c.date)), None
        )
        if source is None:
            continue
        published = _day(source.date)
        assert published is not None
        future = bool(_FUTURE.search(source.quote))
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
    day = _day(iso)
    if day is None:
        return False
    month, short = f"{day:%B}".lower(), f"{day:%b}".lower()
    flat = " ".join(re.sub(r"[^\w\s-]", " ", text.lower()).split())
    forms = {
        iso, f"{day.day} {month} {day.year}", f"{month} {day.day} {day.year}",
        f"{day.day} {short} {day.year}", f"{short} {day.day} {day.year}",
    }  # fmt: skip
    return any(form in flat for form in forms)
