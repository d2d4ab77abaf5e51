"""Checks that ask the reader again about the excerpts it has just read (their computed state is
kept, so a check costs only its question and answer tokens).

Binding: is the answer about what was asked? The reader scores its own reply again with the
question's anchor swapped, once for the entity nearest the answer in the quote and once for a
made-up one. A reply bound to the anchor asked becomes less likely when the anchor changes; a
reply that is as likely for the town beside it, or for a town that does not exist, is an answer
to another question: the mayor of the neighbouring town, the figure of another year's quake.

Agreement: a few replies sampled from the same prompt; a reader unsure of its answer scatters.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .answers import Passage
from .prompts import answer_messages, declined
from .readers import Reader
from .text import strip_markers, terms

_ANSWER = {"\0answer"}  # stands in the quote for a word of the answer: never swapped in
_WORD = re.compile(r"[\w’'.-]*\w,?")


@dataclass(frozen=True)
class Swap:
    """The words of the question the quote does not hold, and the quote's words in their
    place: "public works" for "finance" before "committee", "2016" for "2024" before "quake"."""

    old: str
    new: str


def _replace(text: str, old: str, new: str) -> str:
    return re.sub(re.escape(old), new, text, flags=re.IGNORECASE)


def _words(text: str) -> list[tuple[str, set[str]]]:
    """Each word with its terms (empty for a stopword)."""
    return [(m.group(0), set(terms(m.group(0)))) for m in _WORD.finditer(text)]


# The words that open a question ask; they are never an entity to swap.
_ASKING = re.compile(
    r"^\W*(?:(?:how (?:many|much|long|old|far|often|large|big))|what|which|who|whom|whose|when"
    r"|where|why|how)\b",
    re.IGNORECASE,
)


def aligned_swap(question: str, quote: str, reply: str = "") -> Swap | None:
    """Where the question and the quote say different things in the same place: a run of the
    question's words that the quote lacks, next to a word both share, swapped for the quote's
    words on that side of it ("public works" -> "finance" before "committee"); else a name of
    the question that the quote holds elsewhere, while the quote's word after the shared word
    before it is another name ("mayor of Port Vessa" -> "mayor of Lenn"). None when nothing
    differs or nothing lines up."""
    opening = _ASKING.match(question)
    skip = len(_words(question[: opening.end()])) if opening else 1
    asked = _words(question)
    # The answer's own words (what the reply adds) are never the entity to swap in.
    answer = set(terms(reply)) - set(terms(question))
    said = [(w, t) if not t & answer else (w, _ANSWER) for w, t in _words(quote)]
    have = set().union(*(t for _, t in said)) if said else set()
    missing = [k >= skip and bool(t) and not t <= have for k, (_, t) in enumerate(asked)]
    runs, k = [], skip
    while k < len(asked):
        if not missing[k]:
            k += 1
            continue
        j = k
        while j < len(asked) and missing[j] and j - k < 3:
            j += 1
            if re.search(r"['’]s?$", asked[j - 1][0]):
                break  # a possessive ends a name: "Riverton's public works"
        runs.append((k, j - 1))
        k = j
    for forward in (True, False):
        for first, last in runs:
            swap = _aligned(asked, said, first, last, forward)
            if swap:
                return swap
    return _other_name(question, asked, said, skip)


def _other_name(question: str, asked, said, skip: int) -> Swap | None:
    """A name of the question the quote holds, while the quote gives another name right after
    the word that comes before it in the question."""
    from .anchors import anchors

    for anchor in anchors(question):
        if anchor.kind != "name":
            continue
        at = question.find(anchor.text)
        before = [t for w, t in _words(question[:at]) if t]
        if len(before) <= max(0, skip - 1):
            continue
        shared = before[-1]
        for n, (_, t) in enumerate(said):
            if t != shared:
                continue
            names: list[str] = []
            for word, wt in said[n + 1 : n + 5]:
                if not wt:
                    if names:
                        break
                    continue  # "mayor of Lenn": past the stopword
                if not word[:1].isupper() or wt == _ANSWER or wt <= anchor.words:
                    break
                names.append(word)
                if word.endswith(","):
                    break
            if names and not set(terms(" ".join(names))) & anchor.words:
                return Swap(anchor.text, " ".join(names).rstrip(",."))

    return None


def _aligned(asked, said, first: int, last: int, forward: bool) -> Swap | None:
    """The quote's words before (or after) the quote's occurrence of the question's shared
    word that follows (or precedes) the missing run."""
    step = 1 if forward else -1
    k = last + 1 if forward else first - 1
    while 0 <= k < len(asked) and not asked[k][1]:
        k += step  # a stopword between: look past it
    if not 0 <= k < len(asked) or not asked[k][1]:
        return None
    shared = asked[k][1]
    asked_terms = set().union(*(t for _, t in asked))
    width = last - first + 1
    for at, (_, t) in enumerate(said):
        if t != shared:
            continue
        picked: list[str] = []
        m = at - step
        while 0 <= m < len(said) and len(picked) < width:
            word, wt = said[m]
            if wt == _ANSWER or (wt and wt <= asked_terms):
                break  # the answer, or the question's own word: no other entity in that slot
            if wt:
                picked.append(word)
            elif picked:
                break
            m -= step
        if picked:
            new = " ".join(picked if not forward else reversed(picked))
            old = " ".join(w for w, _ in asked[first : last + 1])
            return Swap(old.rstrip(","), new.rstrip(","))
    return None


def _answer_logprob(
    reader: Reader, question: str, asked: str, passages: list[Passage], reply: str
) -> float:
    """The mean log-probability of the reply's answer tokens (those of words the question does
    not have) when the question's last statement is `asked`."""
    scored = reader.continuation_logprobs(answer_messages(question, passages, asked=asked), reply)
    wanted = set(terms(asked))
    spans = [m.span() for m in _WORD.finditer(reply) if set(terms(m.group(0))) - wanted]
    values, at = [], 0
    for piece, value in scored:
        end = at + len(piece)
        if any(a < end and at < b for a, b in spans):
            values.append(value)
        at = end
    if not values:
        values = [v for _, v in scored]
    return sum(values) / len(values) if values else 0.0


def binding(
    reader: Reader, question: str, reply: str, passages: list[Passage], quote: str
) -> dict[str, float]:
    """How much less likely the reply's answer becomes when the words of the question the quote
    lacks are swapped for the quote's own (`bind_swap`: near 0 or below, the reply answers the
    quote's question, not the one asked); NaN when the quote says what the question says.
    `bind_found` is whether there was anything to swap."""
    reply = strip_markers(reply).strip()
    swap = aligned_swap(question, quote, reply)
    if swap is None:
        return {"bind_swap": math.nan, "bind_found": 0.0}
    other_question = _replace(question, swap.old, swap.new)
    other_reply = _replace(reply, swap.old, swap.new)
    asked = _answer_logprob(reader, question, question, passages, reply)
    other = _answer_logprob(reader, question, other_question, passages, other_reply)
    return {"bind_swap": asked - other, "bind_found": 1.0}


def agreement(
    reader: Reader, question: str, passages: list[Passage], reply: str, count: int
) -> dict[str, float]:
    """Of `count` sampled replies: the share that give the draft's answer words, the number of
    distinct answers, and the share that decline."""
    samples = reader.samples(answer_messages(question, passages), count, max_new_tokens=32)
    asked = set(terms(question))
    key = frozenset(set(terms(reply)) - asked)
    keys = [frozenset(set(terms(s)) - asked) if not declined(s) else None for s in samples]
    same = sum(k is not None and bool(key) and len(k & key) >= 0.5 * len(key) for k in keys)
    return {
        "agree_share": same / count,
        "agree_distinct": float(len({k for k in keys if k is not None})),
        "agree_declined": sum(k is None for k in keys) / count,
    }
