"""A second look before an answer is shown: do the cited sentences say it?

Grounding checks that an answer's words occur in a passage; it cannot tell "Han Zheng stayed at
the UN General Assembly" (a place he visited, not a hotel) from a real answer. So the reader is
asked one yes/no question with only the cited sentences in view, and its P(yes) must reach
`Settings.verify_threshold`. It reads ~60 prompt tokens (about 1-2 s here). It is off by default
(threshold 0): at 0.8 it raised abstention and citation precision on both question sets but
withheld right answers on the development set (docs/quality.md), so it is a strict
mode for users who would rather get no answer than a wrong one.
"""

from __future__ import annotations

from .answers import Citation
from .prompts import verify_messages
from .readers import Reader


def support_probability(
    reader: Reader, question: str, answer: str, citations: list[Citation]
) -> float:
    """The reader's P(yes): the cited sentences state `answer` to `question`."""
    return reader.yes_probability(verify_messages(question, answer, citations))
