"""What flows out of retrieval and the pipeline: passages, answers and the citations that
support them. Plain dataclasses that import nothing heavy."""

from __future__ import annotations

from dataclasses import dataclass, field

from .chunking import Chunk


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the evidence for its relevance."""

    chunk_id: int
    chunk: Chunk
    score: float  # fused RRF score: only meaningful as an order
    dense_score: float  # cosine similarity to the question, -1 when not in the dense list
    keyword_hits: int  # distinct question terms that occur in the chunk


@dataclass(frozen=True)
class Citation:
    """One `[number]` in an answer: the exact article sentence that supports it.

    `quote` is copied from the article's stored text by offsets, so
    `article_text[start:end] == quote` (for a saved page, the text extracted from it).
    """

    number: int
    source: str  # file name relative to the articles folder
    title: str
    quote: str
    start: int
    end: int
    date: str | None = None  # the article's publication date, ISO yyyy-mm-dd, where known
    url: str = ""  # the page it came from, where known
    outlet: str = ""  # who published it ("USA Today"), where known
    page: int | None = None  # the page the quote is on, for a PDF


@dataclass(frozen=True)
class Answer:
    """An answer whose `[n]` markers in `text` match `citations[n-1]`."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    standalone_question: str = ""  # the question as retrieved for, after follow-up rewriting
    passages: list[Passage] = field(default_factory=list)  # what the reader was given
    reason: str = ""  # why it abstained: invalid_question, no_relevant_passages, ...
    reply: str = ""  # the reader's raw reply, for debugging and evaluation
    decline_probability: float | None = None  # the reader's P(NOT FOUND) at its first token
    support_probability: float | None = None  # the reader's P(yes) that the citations say it
    # The calibrated probability that the cited draft is right (see confidence.py), the signals
    # it was computed from, and the draft itself when the confidence gate withheld it.
    confidence: float | None = None
    signals: dict[str, float] = field(default_factory=dict)
    draft: str = ""

    @property
    def abstained(self) -> bool:
        """No answer was given; `reason` says why."""
        return bool(self.reason)

    @property
    def grade(self) -> str:
        """ "confident": the answer is stated with its citations; "unsure": what the articles
        may say is shown with its quote, not stated as the answer; "not_found": no answer."""
        if not self.reason:
            return "confident"
        return "unsure" if self.reason == "unsure" else "not_found"
