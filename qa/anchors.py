"""The question's anchors: the names, numbers, years and dates that pin down what it asks about.

A near miss usually keeps the question's ordinary words and loses an anchor: asked about the
2004 quake, the passage gives the 2023 one; asked about one town's mayor, the sentence names the
mayor of another. A paraphrase changes the ordinary words and keeps the anchors. So the checks
below look only at anchors, and each check takes the weakest anchor, not the average: one
missing year is enough to make the answer about something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import normalize, terms

MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
}  # fmt: skip
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
# A month's short forms stand for it: "Nov. 15" answers "in November".
_MONTH = {m[:3]: m for m in sorted(MONTHS, key=len) if len(m) >= 4} | {"sept": "september"}
# Adjectives of nationality or region describe rather than pin down: a paraphrase says "the
# American capital" for "Washington" and keeps its meaning.
DEMONYMS = {
    "american", "chinese", "russian", "british", "english", "european", "asian", "african",
    "mediterranean", "ukrainian", "korean", "japanese", "indian", "french", "german", "italian",
    "spanish", "mexican", "canadian", "australian", "iranian", "israeli", "palestinian", "arab",
    "taiwanese", "western", "eastern", "northern", "southern", "pacific", "atlantic", "latin",
}  # fmt: skip

# Capitalised words that start a question or a clause without naming anything.
_NOT_NAMES = {
    "who", "whom", "whose", "what", "which", "when", "where", "why", "how", "did", "does", "do",
    "is", "was", "were", "are", "the", "a", "an", "in", "on", "at", "of", "according", "after",
    "before", "during", "for", "to", "by", "with", "and", "or", "i", "it", "its", "has", "have",
    "had", "can", "could", "would", "will", "should", "name", "tell", "give", "list", "they",
    "he", "she", "we", "this", "that", "these", "those", "there", "then", "but", "so", "as",
    "besides", "apart", "other", "than", "about", "also", "if", "not", "from", "under", "over",
}  # fmt: skip
_NAME = re.compile(r"[A-Z][\w’'.&-]*(?:\s+(?:of|de|del|la|van|von|&)?\s*[A-Z][\w’'.&-]*)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class Anchor:
    """One name, number, year or date of a question, as the terms that must be found."""

    text: str  # as the question writes it
    kind: str  # name | number | year | date
    words: frozenset[str]  # its search terms (names and dates)
    number: str = ""  # its digits without separators (numbers and years)


# Numbers written as words, as digits ("one" is left out: "one of the victims" is no count).
_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
_TENS = "thirty forty fifty sixty seventy eighty ninety"
NUMBER_WORDS = {w: str(n) for n, w in enumerate(_UNITS.split(" ")) if n != 1} | {
    w: str(10 * n) for n, w in enumerate(_TENS.split(" "), 3)
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
_DIGITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
# "eighty-one" is 81; "1.2 million", "$1.2m" and "1,200,000" are 1200000 ("m" only after a
# currency sign: "a 5m wall" is metres).
_COMPOUND = re.compile(rf"\b(twenty|{_TENS.replace(' ', '|')})[- ]({'|'.join(_DIGITS)})\b", re.I)
_SCALED = re.compile(
    rf"\b(\d+(?:\.\d+)?|{'|'.join(NUMBER_WORDS)})\s*(thousand|million|billion|trillion|bn)\b"
    r"|(?<=[$£€])(\d+(?:\.\d+)?)(m|bn)\b",
    re.IGNORECASE,
)
_SCALE = {"thousand": 10**3, "million": 10**6, "m": 10**6, "billion": 10**9, "bn": 10**9}
_SCALE["trillion"] = 10**12


def numbers(text: str, scaled: bool = True) -> set[str]:
    """The numbers in `text`, in digits without thousands separators: "1,394", "three",
    "eighty-one" and "1.2 million" are "1394", "3", "81" and "1200000" (or "1.2", not
    `scaled`)."""
    text = _scaled(text) if scaled else text
    found = {m.group(0).replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}
    for m in _COMPOUND.finditer(text):
        found.add(str(int(NUMBER_WORDS[m[1].lower()]) + _DIGITS.index(m[2].lower()) + 1))
    text = _COMPOUND.sub(" ", text)
    return found | {NUMBER_WORDS[m.group(1).lower()] for m in _NUMBER_WORD.finditer(text)}


def _scaled(text: str) -> str:
    """`text` with "1.2 million", "two million" and "$1.2m" written in digits."""
    return _SCALED.sub(_digits, text)


def _digits(m: re.Match[str]) -> str:
    number, scale = (m[1], m[2]) if m[1] else (m[3], m[4])
    return str(round(float(NUMBER_WORDS.get(number.lower(), number)) * _SCALE[scale.lower()]))


def _canonical(words: list[str]) -> list[str]:
    """Terms with a month's short form written out."""
    return [_MONTH.get(w, w) for w in words]


def _names(question: str) -> list[str]:
    """Runs of capitalised words, without a leading question word, split after a possessive
    ("Cedar Hollow's Third Street" is two names)."""
    names = []
    for m in _NAME.finditer(question):
        words = m.group(0).split()
        while words and words[0].lower().strip(".,") in _NOT_NAMES:
            words = words[1:]  # "Which Riverton ..." -> "Riverton"
        run: list[str] = []
        for word in words:
            run.append(word)
            if re.search(r"['’]s?$", word):
                names.append(" ".join(run))
                run = []
        if run:
            names.append(" ".join(run))
    return names


def anchors(question: str) -> list[Anchor]:
    """The anchors of a question, each once."""
    found: dict[tuple[str, str], Anchor] = {}
    for text in _names(question):
        key = frozenset(_canonical(terms(text)))
        if not key or key <= DEMONYMS:
            continue
        first = normalize(text.split()[0]).strip(".,")
        kind = "date" if first in MONTHS or first in WEEKDAYS else "name"
        found.setdefault((kind, text.lower()), Anchor(text, kind, key))
    for m in _NUMBER.finditer(question):
        digits = m.group(0).replace(",", "").rstrip(".")
        scaled = _SCALED.match(question, m.start())  # "1.2 million" is 1200000
        digits = _digits(scaled) if scaled else digits
        kind = "year" if re.fullmatch(r"(1[89]|20)\d\d", m.group(0)) else "number"
        found.setdefault((kind, digits), Anchor(m.group(0), kind, frozenset(), digits))
    return list(found.values())


@dataclass(frozen=True)
class Vocabulary:
    """The terms and numbers of a text, to look anchors up in."""

    words: frozenset[str]
    numbers: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Vocabulary:
        return cls(frozenset(_canonical(terms(text))), frozenset(numbers(text)))

    def union(self, other: Vocabulary) -> Vocabulary:
        return Vocabulary(self.words | other.words, self.numbers | other.numbers)

    def holds(self, anchor: Anchor) -> bool:
        if anchor.number:
            return anchor.number in self.numbers
        return anchor.words <= self.words


def weakest_level(found: list[Anchor], levels: list[Vocabulary]) -> int:
    """For texts from the narrowest to the widest (the cited sentence, its passage, its
    article), how many of them hold every anchor, taking each anchor at the narrowest text
    that holds it: 3 when the sentence holds them all, 0 when some anchor is nowhere."""
    if not found:
        return len(levels)
    worst = len(levels)
    for anchor in found:
        held = next((i for i, v in enumerate(levels) if v.holds(anchor)), len(levels))
        worst = min(worst, len(levels) - held)
    return worst


def other_nearer(question: str, reply: str, quote: str) -> float:
    """1.0 when the quote holds one of the question's anchors, but another name, number or
    year of the same kind stands nearer the answer in it: "around Port Vessa, the mayor of
    Lenn, Arto Kell" gives Lenn's mayor, not Port Vessa's. 0.0 otherwise."""
    asked_terms = set(terms(question))
    answer = set(terms(reply)) - asked_terms
    spots = [
        m.start() for m in re.finditer(r"[\w’'.-]*\w", quote) if set(terms(m.group(0))) & answer
    ]
    if not spots:
        return 0.0
    at, lowered = spots[0], quote.lower()
    held = Vocabulary.of(question)
    others = [
        o
        for o in anchors(quote)
        if not held.holds(o) and not (o.words & answer) and o.number not in answer
    ]
    for anchor in anchors(question):
        where = lowered.find(anchor.text.lower())
        if where < 0:
            continue
        for other in others:
            there = lowered.find(other.text.lower())
            if other.kind == anchor.kind and abs(there - at) < abs(where - at):
                return 1.0
    return 0.0
