"""A check that asks the reader again about the excerpts it has just read (their state is kept
in the engine's prompt cache, so a check costs only its own answer tokens).

Agreement: a few replies sampled from the same prompt; a reader unsure of its answer scatters.
It is off by default (`QA_PROBES=agreement` turns it on): on held-out questions it raised the
confidence's AUROC by about 0.03 at four to five seconds an answer (docs/quality.md). The
binding probe of earlier versions (the reply scored again with the question's anchor swapped)
did not separate right from wrong drafts and needed the scores of a reply the reader did not
write, which the OpenAI-compatible protocol does not give; it is gone.
"""

from __future__ import annotations

from .answers import Passage
from .prompts import answer_messages, declined
from .question import analysed
from .readers import Reader
from .text import terms


def agreement(
    reader: Reader, question: str, passages: list[Passage], reply: str, count: int
) -> dict[str, float]:
    """Of `count` sampled replies: the share that give the draft's answer words, the number of
    distinct answers, and the share that decline."""
    samples = reader.samples(answer_messages(question, passages), count, max_new_tokens=32)
    asked = set(analysed(question).terms)
    key = frozenset(set(terms(reply)) - asked)
    keys = [frozenset(set(terms(s)) - asked) if not declined(s) else None for s in samples]
    same = sum(k is not None and bool(key) and len(k & key) >= 0.5 * len(key) for k in keys)
    return {
        "agree_share": same / count,
        "agree_distinct": float(len({k for k in keys if k is not None})),
        "agree_declined": sum(k is None for k in keys) / count,
    }
