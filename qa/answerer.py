"""From a question to an answer: rewrite a follow-up, retrieve, draft with the reader, ground the
draft in passage sentences, score its confidence, and withhold what is not supported. Each step
that can fail says why in `Answer.reason`."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Literal

from . import calibrators, probes, timeline
from .anchors import Vocabulary
from .answers import Answer, Passage
from .confidence import Calibrator, signals
from .embedding import Embedder
from .followups import History, standalone_question
from .grounding import GroundedSentence, cite, ground
from .prompts import answer_messages, declined, extract_messages
from .question import analysed
from .readers import DeclineGate, Reader, ReaderUnavailable, TokenProbabilities
from .settings import Settings
from .verification import support_probability

log = logging.getLogger(__name__)

NOT_COVERED = "The articles don't cover this: I found nothing in them that answers the question."
UNSUPPORTED = (
    "The articles don't clearly answer this: the answer I drafted was not supported by the "
    "passages, so I won't state it as fact."
)
UNSURE = (
    "The articles don't clearly answer this: the passages I found mention related things, but I "
    "could not confirm that they say what was asked, so I won't guess."
)


@dataclass(frozen=True)
class Update:
    """One step of a streamed answer, in the order they arrive."""

    kind: Literal["status", "sources", "token", "answer"]
    text: str = ""
    passages: list[Passage] = field(default_factory=list)
    answer: Answer | None = None


def check_question(question: object, max_chars: int) -> str | None:
    """A message for the user when the question cannot be asked as it is, else None."""
    if not isinstance(question, str) or not question.strip():
        return "Please type a question."
    if len(question) > max_chars:
        return (
            f"That question is {len(question):,} characters long; the limit is {max_chars:,}. "
            "Please ask something shorter."
        )
    if not re.search(r"\w", question):
        return "Please ask a question in words."
    return None


class Answerer:
    """Answers questions with one reader and embedder; keeps no state between questions."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        reader: Reader,
        article: Callable[[str], Vocabulary] | None = None,
        reports: Callable[[str], list[Passage]] | None = None,
    ):
        self.settings = settings
        self.embedder = embedder
        self.reader = reader
        self.article = article  # an article's terms and numbers, by source (the anchors' test)
        self.reports = reports  # the passages a figure is checked against for other reports
        self._choice: calibrators.Choice | None = None  # found on first use

    @property
    def calibration(self) -> calibrators.Choice:
        """The calibrator for this reader, where it came from, or why there is none."""
        if self._choice is None:
            self._choice = calibrators.find(self.settings)
        return self._choice

    @property
    def calibrator(self) -> Calibrator | None:
        return self.calibration.calibrator

    @property
    def notes(self) -> list[str]:
        """Why answers are shown as unsure whatever their draft: no calibrator for this reader,
        or a reader that gives no token probabilities."""
        notes = list(self.reader.notes)
        if self.calibration.note and self.settings.min_confidence < 0:
            notes.append(self.calibration.note)
        return notes

    def _relevant(self, passages: list[Passage]) -> bool:
        s = self.settings
        return any(
            p.dense_score >= s.min_dense_score or p.keyword_hits >= s.min_keyword_hits
            for p in passages
        )

    def stream(
        self,
        question: str,
        history: History | None,
        retrieve: Callable[[str], list[Passage]],
    ) -> Iterator[Update]:
        """Answer `question` from the passages `retrieve` finds, yielding sources as soon as they
        are found, then answer text."""
        problem = check_question(question, self.settings.max_question_chars)
        if problem:
            yield Update(
                "answer",
                answer=Answer(str(question or ""), problem, reason="invalid_question"),
            )
            return
        question = question.strip()
        try:
            yield from self._answer(question, history, retrieve)
        except ReaderUnavailable as exc:  # a reader server down, slow or failing: say so
            yield Update("answer", answer=Answer(question, str(exc), reason="reader_unavailable"))

    def _answer(
        self, question: str, history: History | None, retrieve: Callable[[str], list[Passage]]
    ) -> Iterator[Update]:
        if history and not self.reader.loaded:
            yield Update("status", self._loading())
        standalone = standalone_question(
            question, history, self.reader, self.settings.history_turns
        )
        passages = retrieve(standalone)
        early = self._without_reader(question, standalone, passages)
        if early is not None:
            yield Update("answer", answer=early)
            return
        yield Update("sources", passages=passages)
        if not self.reader.loaded:
            yield Update("status", self._loading())
        drafted, token_probabilities = yield from self._draft(question, standalone, passages)
        final = self._finish(drafted, token_probabilities)
        if final.reason == "restated" and self.settings.extract_pass:
            yield Update("status", "The draft only restated the question; finding the words...")
            final = self._extract(drafted) or final
        yield Update("answer", answer=final)

    def _loading(self) -> str:
        if self.settings.reader_url:
            return f"Reaching the reader server at {self.settings.reader_url}..."
        return "Loading the reader model (the first time takes a while)..."

    def _without_reader(
        self, question: str, standalone: str, passages: list[Passage]
    ) -> Answer | None:
        """The abstention decided before the reader reads anything: no articles at all, or
        nothing retrieved that is relevant enough (see `_relevant`)."""
        if not passages:
            message = (
                f"No articles are indexed: add .txt or .md files to {self.settings.articles_dir}."
            )
            return Answer(question, message, [], standalone, reason="no_articles")
        if not self._relevant(passages):
            return Answer(
                question, NOT_COVERED, [], standalone, passages, reason="no_relevant_passages"
            )
        return None

    def _draft(
        self, question: str, standalone: str, passages: list[Passage]
    ) -> Generator[Update, None, tuple[Answer, list[float]]]:
        """The reader's reply, streamed as token updates; returns it as a draft answer with
        the probability of each token it picked."""
        gate, tokens = DeclineGate(self.settings.decline_threshold), TokenProbabilities()
        pieces = []
        messages = answer_messages(standalone, passages)
        for piece in self.reader.stream(messages, gate=gate, tokens=tokens):
            if "\n" in piece and "".join(pieces).strip():  # the answer sentence has ended
                pieces.append(piece.split("\n")[0])
                break
            pieces.append(piece)
            yield Update("token", piece)
        reply = "".join(pieces).strip()
        drafted = Answer(
            question,
            reply,
            [],
            standalone,
            passages,
            reply=reply,
            decline_probability=gate.probability,
        )
        return drafted, tokens.values

    def _extract(self, drafted: Answer) -> Answer | None:
        """The second pass: the reader copies the answer words out of the passages (held to
        them by the reader's copy constraint), and that span is grounded and gated like any
        draft. None where the reader cannot constrain its output, or the pass failed."""
        passages = drafted.passages
        constraint = self.reader.copy_constraint("\n".join(p.chunk.text for p in passages))
        if constraint is None:
            return None
        tokens = TokenProbabilities()
        messages = extract_messages(drafted.standalone_question, passages)
        try:
            span = "".join(
                self.reader.stream(
                    messages, self.settings.max_span_tokens, tokens=tokens, constraint=constraint
                )
            ).strip()
        except ReaderUnavailable as exc:  # the first pass's answer stands
            log.warning("The copying second pass failed: %s", exc)
            return None
        if not span or len(tokens.values) >= self.settings.max_span_tokens:
            return None  # nothing, or a run of text that never ended: no phrase answers it
        return self._finish(dataclasses.replace(drafted, reply=span), tokens.values, True)

    def _finish(
        self, drafted: Answer, token_probabilities: list[float], extracted: bool = False
    ) -> Answer:
        """The drafted reply made into an answer with citations, or an abstention."""
        if declined(drafted.reply):
            return _withheld(drafted, NOT_COVERED, "reader_declined")
        grounded = ground(
            drafted.standalone_question, drafted.reply, drafted.passages, self.embedder
        )
        text, citations = cite(grounded, self.settings.min_support)
        if not citations:
            restated = not extracted and any(g.restates for g in grounded)
            return _withheld(drafted, UNSUPPORTED, "restated" if restated else "unsupported")
        drafted = dataclasses.replace(drafted, text=text, citations=citations)
        drafted = self._gate(drafted, grounded, token_probabilities)
        if drafted.abstained or self.settings.verify_threshold <= 0:
            return drafted
        support = support_probability(self.reader, drafted.standalone_question, text, citations)
        if support < self.settings.verify_threshold:
            return _withheld(
                drafted, UNSUPPORTED, "unverified", support_probability=support, draft=text
            )
        return dataclasses.replace(drafted, support_probability=support)

    def _gate(
        self,
        drafted: Answer,
        grounded: list[GroundedSentence],
        token_probabilities: list[float],
    ) -> Answer:
        """The cited draft with its calibrated confidence, graded: shown when it reaches
        `min_confidence`, shown as what the articles may say when it reaches `min_unsure`,
        withheld below."""
        values = self._judge(drafted, grounded, token_probabilities)
        calibrator = self.calibrator
        scored = calibrator is not None and self.reader.scores
        confidence = calibrator.probability(values) if scored else None
        drafted = dataclasses.replace(drafted, confidence=confidence, signals=values)
        if self.settings.dated_answers:
            question = drafted.standalone_question
            wider: list[Passage] = []
            if self.reports and analysed(question).figure:
                wider = self.reports(question)
            drafted = timeline.dated(question, drafted, self.embedder, wider)
        confident, unsure = self.thresholds()
        if (confidence if confidence is not None else 0.0) >= confident:
            return drafted
        if confidence is None or confidence >= unsure:
            return dataclasses.replace(
                drafted,
                text=f"The articles may say: {drafted.text} I could not confirm it.",
                reason="unsure",
                draft=drafted.text,
            )
        return _withheld(drafted, UNSURE, "low_confidence", draft=drafted.text)

    def thresholds(self) -> tuple[float, float]:
        """The confidences a draft needs to be stated and to be shown as unsure, in effect."""
        return self.calibration.thresholds(self.settings)

    def _judge(
        self,
        drafted: Answer,
        grounded: list[GroundedSentence],
        token_probabilities: list[float],
    ) -> dict[str, float]:
        """Every signal about a cited draft: the text's, then the reader's own checks."""
        s = self.settings
        support = min((g.support for g in grounded if g.support >= s.min_support), default=0.0)
        question = drafted.standalone_question
        values = signals(
            question,
            drafted.text,
            drafted.citations,
            self.embedder,
            support,
            drafted.decline_probability,
            token_probabilities,
            drafted.passages,
            self.article,
        )
        checks = {c.strip() for c in s.probes.split(",") if c.strip()}
        if "agreement" in checks:
            started = time.perf_counter()
            values |= probes.agreement(
                self.reader, question, drafted.passages, drafted.reply, s.agreement_samples
            )
            values["seconds_agreement"] = time.perf_counter() - started
        return values


def _withheld(drafted: Answer, text: str, reason: str, **changes: object) -> Answer:
    """`drafted` turned into an abstention: `text` tells the user why, no citations."""
    return dataclasses.replace(drafted, text=text, citations=[], reason=reason, **changes)
