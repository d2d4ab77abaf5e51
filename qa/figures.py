"""A figure in a sentence: what is one, what it counts, and what it is measured in.

A figure is digits or a number in words that is no year, time, date or name ("Route 14"). What
it counts (dead, injured, missing, evacuated, ...; `ATTRIBUTES`) is read from the sentence's
dependency parse (`parse.py`): the word the figure quantifies and the words above it up to its
clause's verb, and what those govern. Its unit is the noun written right after it ("11
micrograms", "45%", "185 km/h"); people, residents and passengers are one. Some figures are no
report's total: an increment ("two more"), a part of another count ("two of the injured"), the
value before a change ("up from 12"), a limit ("licensed to carry 120").
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

from .anchors import MONTHS, NUMBER_WORDS, WEEKDAYS, numbers
from .parse import PARSER

if TYPE_CHECKING:
    from spacy.tokens import Token

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
MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
# "11 p.m.", "9:40", "14 October", "October 14": a time or a date, not a figure.
_NOT_FIGURE_AFTER = re.compile(
    rf"^(?::\d|\s*(?:a\.m\.|p\.m\.|am\b|pm\b|o'clock))|^\s*{MONTH}", re.IGNORECASE
)
_MONTH_BEFORE = re.compile(rf"\b{MONTH}\s*$", re.IGNORECASE)
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
# What a news figure counts, by the words the parse ties to it: the toll of one report is
# compared with the toll of another, never with its count of missing people.
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
COUNTED = {"dead", "injured", "missing", "evacuated", "rescued", "arrested", "buildings"}
_MEASURE = re.compile(
    r"\b(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|percent|degrees?|km/h|mph"
    r"|(?:milli|centi|kilo|micro)?(?:metres?|grams?|litres?)|miles?|feet|tonnes?|hectares?|acres?)\b"
)
_ATTRIBUTE = {w: kind for kind, words in ATTRIBUTES.items() for w in words.split()}
_PERSONS = {"people", "persons", "residents", "villagers", "inhabitants", "civilians", "passengers"}
WINDOW = 60  # characters either side of a figure that say what it counts


def figures(text: str, skip: AbstractSet[str]) -> list[re.Match[str]]:
    """The figures in `text` that may count something: not a year, time or date, and not a
    number in `skip` (the question's own)."""
    found = []
    for m in _FIGURE.finditer(text):
        digits = value(m)
        if digits in skip or re.fullmatch(r"(1[89]|20)\d\d", m.group(0)):
            continue
        if _NOT_FIGURE_AFTER.search(text[m.end() :]) or _MONTH_BEFORE.search(text[: m.start()]):
            continue
        if _NAMED.search(text[: m.start()]):
            continue  # "Route 14", "Flight 370": a name, not a count
        found.append(m)
    return found


def value(m: re.Match[str]) -> str:
    """A figure as digits, as `anchors.numbers` reads it: "1,200" and "$1200" are "1200",
    "four" is "4", "twenty-three" is "23"."""
    return next(iter(numbers(m.group(0), scaled=False)), m.group(0))


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


def unit(text: str, m: re.Match[str]) -> str:
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


def written(text: str, m: re.Match[str]) -> str:
    """The figure as the article writes it, with its unit ("11 micrograms", "45%") or the
    noun that says what it counts ("40 homes")."""
    words = _unit_words(text, m)
    if not words:
        run = _RUN.match(text, m.end(), m.end() + 40)
        first = next(_WORD.finditer(run.group(0)), None) if run else None
        noun = first is not None and first.group(0).lower() in _ATTRIBUTE
        words = [first] if noun and first.group(0).endswith("s") else []
    return text[m.start() : m.end() + words[-1].end()] if words else m.group(0)


def alike_measures(one: tuple[str, str], other: tuple[str, str]) -> bool:
    """Two figures, each as (unit, what it counts), that may count the same thing: units that
    do not contradict, and no count said by its word alone ("injured 22", "burying 40 homes")
    set against a figure in a measure ("14 hours", "40 metres")."""
    if not compatible(one[0], other[0]):
        return False
    for (unit, counts), (given, _) in ((one, other), (other, one)):
        if not unit and counts in COUNTED and _MEASURE.search(given):
            return False
    return True


def compatible(unit: str, other: str) -> bool:
    """Units that may count the same thing: the same, or one not given (a percentage is
    never a count)."""
    if "percent" in (unit, other):
        return unit == other
    return not unit or not other or unit == other


def window(text: str, m: re.Match[str]) -> str:
    return text[max(0, m.start() - WINDOW) : m.end() + WINDOW]


def stated_alike(text: str, m: re.Match[str], quote: str, f: re.Match[str]) -> bool:
    """The answer's figure is the quote's, not the same digits for another thing ("11 people
    were injured" is not "11 micrograms"): said to count the same, or in units that agree."""
    counts = counts_of(text, m)
    return (bool(counts) and counts == counts_of(quote, f)) or compatible(
        unit(text, m), unit(quote, f)
    )


def alike(counts: str, other: str, unit: str, other_unit: str) -> bool:
    """Two figures of one sentence count the same thing: said to, in the same unit, or both
    given in the same unit with nothing said of what they count."""
    if counts or other:
        return counts == other and compatible(unit, other_unit)
    return bool(unit) and unit == other_unit


# Relations by which a word says what the figure attached to it counts: "18 injured people",
# "the toll rose to 27", "leaving 30 missing", "killed 5", "people evacuated", "the number of
# confirmed dead rose to 21".
_TELLS = {"amod", "compound", "nsubj", "nsubjpass", "acomp", "oprd", "attr", "npadvmod"}
_TELLS |= {"ccomp", "xcomp", "dobj", "nmod", "poss", "acl", "relcl"}
_LEAVE = {"leave", "flee", "abandon"}  # "left their homes": evacuated, not homes counted
CLIMB = 5  # words up the parse from a figure that may say what it counts
_MODIFIES = {"amod", "compound"}  # a word's own modifiers: "the death toll", "injured people"
# Words that say a figure is a count of something their phrase names, and how much of it is read.
_GENERIC = {"number", "numbers", "total", "count", "tally", "figure", "figures"}
PHRASE = 6


def counts_of(text: str, m: re.Match[str]) -> str:
    """What the figure at `m` counts (`ATTRIBUTES`), read from the parse: the word it
    quantifies and the words above it up to its clause's verb ("12 people were killed", "the
    toll rose to 27", "a depth of 10 km"), and the phrases those govern ("18 injured people",
    "leaving 30 missing", "the number of confirmed dead rose to 21"); "" when none says.
    Another clause's words are not read ("14 people died, but officials said 3 were
    children"), nor a verb's that the figure only qualifies ("Of the 212 people on board, 161
    survived"); a figure of days or hours counts no people."""
    span = PARSER(text).char_span(m.start(), m.end(), alignment_mode="expand")
    if span is None:
        return ""
    kind = _read(span.root)
    if kind in COUNTED and _MEASURE.search(unit(text, m)):
        return ""  # "after three days of rain"
    return kind


def _read(figure: Token) -> str:
    node, path = figure, {figure.i}
    for _ in range(CLIMB):
        if node is not figure and _kind(node):
            return _kind(node)
        for child in node.children:
            if child.i in path or child.like_num:
                continue
            if child.dep_ not in _TELLS and not (node is figure and _kind(child)):
                continue  # the figure's own words all tell ("212 injured", however parsed)
            if node.lemma_ in _LEAVE and child.dep_ == "dobj" and _kind(child) == "buildings":
                return "evacuated"
            said = [_kind(child)] + [_kind(g) for g in child.children if g.dep_ in _MODIFIES]
            if child.lower_ in _GENERIC:  # "the number of people killed": its phrase says
                said += [_kind(t) for t in list(child.subtree)[:PHRASE] if not t.like_num]
            if any(said):
                return next(k for k in said if k)
        head = node.head
        if node is figure and node.dep_ == "punct" and node.i > 0:
            head = node.doc[node.i - 1]  # misparsed ("toll reaches 27"): the word before
            if head.pos_ not in ("VERB", "AUX"):
                break
        elif head is node or node.pos_ in ("VERB", "AUX") or node.dep_ == "parataxis":
            break  # the clause's verb: what is above it is another clause's
        elif node is figure and node.dep_ == "appos":
            break  # "Aldecott, 58, was detained": said of nothing
        if head.lower_ == "of" and head.head.pos_ in ("VERB", "AUX"):
            break  # "Of the 212 people on board, 161 survived"
        path.add(head.i)
        node = head
    return ""


def _kind(token: Token) -> str:
    return _ATTRIBUTE.get(token.lower_, "")


_INCREMENT = re.compile(r"\s+(?:more|additional|new|further|extra)\b")
_PART = re.compile(
    r"\s+of\s+(?:whom|them|those|these|the\s+(?:\w+\s+)?(?:injured|wounded|dead|victims|missing"
    r"|survivors|rescued))\b",
    re.IGNORECASE,
)
_FROM = re.compile(r"\b(?:up|down|rising|falling|rose|fell)\s+from\s+$", re.IGNORECASE)
_ANOTHER = re.compile(r"\b(?:another|an additional|a further)\s+$", re.IGNORECASE)
# A limit or capacity before a figure: "licensed to carry 120", "a speed limit of 60 km/h".
LIMIT = re.compile(
    r"\b(?:capacity|licen[cs]ed?|limit|permitted|allowed|designed)\b(?:\s+\w+){0,3}\s+$",
    re.IGNORECASE,
)


def not_a_total(text: str, m: re.Match[str]) -> bool:
    """The figure at `m` is no report's total: what was added ("two more bodies", "another
    40"), a part of another count ("two of the critically injured died"), or the value before
    a change ("up from 12")."""
    if _INCREMENT.match(text, m.end()) or _ANOTHER.search(text, 0, m.start()):
        return True
    return bool(_PART.match(text, m.end()) or _FROM.search(text, 0, m.start()))
