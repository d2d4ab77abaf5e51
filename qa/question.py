"""The question, analysed once: its words, anchors and numbers, and what it asks (the latest
state, a figure, a day). Each step of an answer reads the same `Question` (`analysed`), as
spaCy's components annotate one `Doc`.

"latest", "now", "so far", "still" or the present perfect ("how many have died") ask for the
latest state; "how many", "what share" ask for a figure, which reports may give differently;
"when", "on what day" ask for a day.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .anchors import Anchor, anchors, numbers
from .text import terms

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


@dataclass(frozen=True)
class Question:
    """What each step reads of a question."""

    text: str
    terms: frozenset[str]  # its search terms
    anchors: tuple[Anchor, ...]  # the names, numbers, years and dates that pin it down
    # Its numbers in digits, as written and scaled ("1.2" and "1200000" for "1.2 million"):
    # never a figure an answer gives.
    numbers: frozenset[str]
    latest: bool  # asks for the latest state
    figure: bool  # asks for a figure
    when: bool  # asks for a day


@functools.lru_cache(maxsize=256)
def analysed(text: str) -> Question:
    """The question `text`, analysed once however many steps read it."""
    return Question(
        text, frozenset(terms(text)), tuple(anchors(text)),
        frozenset(numbers(text) | numbers(text, scaled=False)),
        asks_latest(text), asks_figure(text), asks_when(text),
    )  # fmt: skip
