"""Text primitives shared by chunking, keyword search and grounding: sentences with offsets, terms.

Everything here keeps character offsets into the original string, so a citation can always be
copied back out of the article verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .stopwords import STOPWORDS


@dataclass(frozen=True)
class Span:
    """A half-open character range `[start, end)` in some text."""

    start: int
    end: int


# Words that end with a period without ending a sentence.
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "gen",
    "gov",
    "sen",
    "rep",
    "col",
    "lt",
    "sgt",
    "capt",
    "vs",
    "etc",
    "inc",
    "ltd",
    "co",
    "corp",
    "no",
    "fig",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "approx",
    "dept",
    "est",
}
_CLOSERS = "\"'”’)]»"
# A sentence ends at . ! ? (plus closing quotes) followed by space and a capital, digit or
# opening quote, or glued to a new capitalised word ("difference.Secretary"), as scraped web
# text often has.
_BOUNDARY = re.compile(
    r"[.!?…][" + re.escape(_CLOSERS) + r"]*(?:\s+(?=[\"'“‘(\[A-Z0-9])|(?=[A-Z][a-z]))"
)
_WORD = re.compile(r"\w+(?:[.'’\-]\w+)*", re.UNICODE)


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` closes an abbreviation such as "Mr." or "U.S."."""
    if text[dot] != ".":
        return False
    match = re.search(r"(\w+(?:\.\w+)*)$", text[:dot])
    if not match:
        return False
    word = match.group(1)
    if word.lower() in _ABBREVIATIONS:
        return True
    # Initials and dotted acronyms: "J.", "U.S", "J.D".
    return bool(re.fullmatch(r"(?:[A-Z]\.)*[A-Z]", word))


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans in `text[start:end]`, trimmed of whitespace; lines never join."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start = start + line.start()
        line_end = start + line.end()
        cursor = line_start
        for boundary in _BOUNDARY.finditer(text, line_start, line_end):
            if _is_abbreviation(text, boundary.start()):
                continue
            stop = boundary.end()
            while stop > cursor and text[stop - 1].isspace():
                stop -= 1
            if stop > cursor:
                spans.append(Span(cursor, stop))
            cursor = boundary.end()
        spans.append(Span(cursor, line_end))
    return [s for s in (_trim(text, s) for s in spans) if s.end > s.start]


def _trim(text: str, span: Span) -> Span:
    start, end = span.start, span.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def normalize(text: str) -> str:
    """Lowercase, strip accents and unify quotes so "Biden’s" and "Biden's" match."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("’", "'").replace("‘", "'").lower()


def _stem(word: str) -> str:
    """A tiny suffix stripper, the same on both sides of every comparison: "talks"/"talk",
    "meetings"/"meet", "threatened"/"threaten", "imposed"/"impose", "ties"/"tie"."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith(("sses", "xes", "zes", "ches", "shes")):
            word = word[:-2]
        else:
            word = word[:-1]
    if word.endswith("eed") and len(word) >= 6:
        word = word[:-1]  # "agreed" -> "agree"
    for suffix, shortest in (("ing", 6), ("ed", 5)):
        if word.endswith(suffix) and len(word) >= shortest:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # "planned" -> "plan"
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]  # "imposed" -> "impos" == "impose" -> "impos"
    return word


def terms(text: str, keep_stopwords: bool = False) -> list[str]:
    """Search terms: normalized, lightly stemmed words, stopwords dropped unless asked.
    Hyphenated words count as their parts, so "21-member" matches "21 members"."""
    words = (
        part
        for m in _WORD.finditer(normalize(text))
        for part in m.group(0).replace(".", "").split("-")
    )
    return [_stem(w) for w in words if w and (keep_stopwords or w not in STOPWORDS)]


# Words capitalised for grammar (a question's first word, "According to"), not names.
_NOT_NAMES = {
    "who", "whom", "whose", "what", "which", "when", "where", "why", "how", "did", "does", "do",
    "is", "was", "were", "are", "the", "a", "an", "in", "on", "at", "of", "according", "after",
    "before", "during", "for", "to", "by", "with", "and", "or", "i", "it", "its", "has", "have",
    "had", "can", "could", "would", "will", "should", "name", "tell", "give", "list", "they",
    "he", "she", "we", "this", "that", "these", "those", "there", "then", "but", "so", "as",
}  # fmt: skip
_NAME = re.compile(r"\b[A-Z][\w’'.-]*|\$?\d[\d,.]*")


def name_terms(text: str) -> set[str]:
    """The terms of the names and numbers in `text` ("Millbrook", "2024", "$4.8"): what an
    answer adds that the sentence cited for it should hold itself."""
    found: set[str] = set()
    for match in _NAME.finditer(text):
        word = match.group(0)
        if word.lower().strip(".") not in _NOT_NAMES:
            found |= set(terms(word))
    return found


# An "[n]" or "[n, m]" citation marker in an answer, with the space before it.
MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")


def strip_markers(text: str) -> str:
    """`text` without its citation markers."""
    return MARKER.sub("", text)


def marker_numbers(marker: str) -> list[int]:
    """The passage numbers of one marker's group ("1, 2" -> [1, 2])."""
    return [int(n) for n in re.findall(r"\d+", marker)]
