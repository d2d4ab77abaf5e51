"""Two sources' figures for one thing, as a report sets them side by side: in one sentence ("the
agency said 11,200 people had been evacuated, while the society put the figure at 13,000") or in
the sentence after the cited one ("The observatory put the peak gust at 204 km/h.")."""

from __future__ import annotations

import re

from .anchors import Vocabulary
from .figures import WINDOW, compatible

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


def in_contrast(
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
    if (all(counts) and counts[0] != counts[1]) or not compatible(*units):
        return False
    if pair[1].group(0).isalpha():
        return False  # "two more bodies": a number in words is no rival figure
    later = 0 if second is pair[0] else 1  # what is known of the second figure
    thing = Vocabulary.of(text[: first.end() + WINDOW]).words
    return bool(counts[later] and counts[later] == counts[1 - later]) or bool(
        units[later] or _given_for(text, second, thing)
    )


def second_source(
    text: str, m: re.Match[str], counts: tuple[str, str], units: tuple[str, str], cited: str
) -> bool:
    """The first figure of the sentence after the cited one gives a second source's value for
    the cited figure's thing: "it" or that thing is put at a value ("The observatory put the
    peak gust at 204 km/h."), or a source gives it in the same named unit ("The union said the
    train had been doing about 120 km/h."); nothing said of it contradicts the answer's."""
    if (counts[0] and counts[1] not in ("", counts[0])) or not compatible(*units):
        return False
    if _BACK.search(text, 0, m.start()):
        return _given_for(text, m, Vocabulary.of(cited).words)
    named = units[0] not in ("", "people") and units[0] == units[1]
    return named and bool(_ATTRIBUTED.search(text, 0, m.start()))
