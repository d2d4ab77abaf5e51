"""The question-answering pipeline: articles -> index -> retrieval -> reader -> cited answer.

`QA` holds the heavy parts (embedder, index, reader) and loads each lazily, once. `stream()`
yields progress as it happens (sources first, then answer text) for the chat; `answer()` is the
same pipeline run to completion.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from . import library
from .answers import Answer, Passage
from .confidence import PACKAGED, Calibrator, signals
from .documents import FolderScanner, load_articles
from .embedding import Embedder
from .followups import History, standalone_question
from .grounding import GroundedSentence, cite, ground
from .index import IndexCorrupt, IndexedArticle, IndexWriteError, SyncReport
from .library import ArticleRejected
from .prompts import answer_messages, declined, extract_messages
from .readers import DeclineGate, TokenProbabilities, shared_reader
from .retrieval import Retriever
from .settings import Settings
from .store import open_store
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


class QA:
    """Question answering over one articles folder with its index folder."""

    def __init__(
        self,
        articles_dir: str | Path | None = None,
        index_dir: str | Path | None = None,
        settings: Settings | None = None,
        progress: Callable[[str], None] | None = None,
    ):
        settings = settings or Settings.from_env()
        if articles_dir is not None:
            settings = dataclasses.replace(settings, articles_dir=Path(articles_dir))
        if index_dir is not None:
            settings = dataclasses.replace(settings, index_dir=Path(index_dir))
        self.settings = settings
        self.progress = progress or log.info
        s = self.settings
        self.embedder = Embedder(s.embed_model)
        self.index = open_store(s, self.embedder)
        self.retriever = Retriever(self.index, self.embedder, s.candidates, s.rrf_k)
        self.reader = shared_reader(s, self.progress)
        self.warnings: list[str] = []
        self._loaded = False
        self._read_at = 0.0
        self._seen: dict[str, tuple[int, int]] = {}
        self._scanner = FolderScanner(s.articles_dir, s.rescan_seconds)
        self._lock = threading.RLock()
        self._calibrator: Calibrator | None | bool = False  # False: not read yet

    @property
    def calibrator(self) -> Calibrator | None:
        """The confidence calibrator (`Settings.calibration`, else the packaged one)."""
        if self._calibrator is False:
            path = self.settings.calibration
            if path and not Path(path).is_file():
                raise FileNotFoundError(f"QA_CALIBRATION names no file: {path}")
            self._calibrator = Calibrator.load(path or PACKAGED)
        return self._calibrator  # type: ignore[return-value]

    @property
    def index_loaded(self) -> bool:
        return self._loaded

    # -- index upkeep ---------------------------------------------------------------------
    def refresh(self, force: bool = False, full: bool = True) -> SyncReport:
        """Bring the index in line with the articles folder; cheap when nothing changed, and
        only files whose size or modification time differ from the index's record are read
        (`force` reads them all). `full=False`, before each question, re-lists only folders
        that changed (see `FolderScanner`)."""
        with self._lock:
            if not self._loaded:
                try:
                    self.index.load()
                except IndexCorrupt as exc:
                    self.progress(f"The saved index is damaged ({exc}); rebuilding it.")
                    self.index.reset()
                self._loaded = True
                self._read_at = time.monotonic()
            if not self.settings.watch_folder:  # a shared store: follow it, never change it
                if force or time.monotonic() - self._read_at >= self.settings.rescan_seconds:
                    self.index.follow()
                    self._read_at = time.monotonic()
                return SyncReport()
            folder = self.settings.articles_dir
            stats = self._scanner.scan(full=full or force)
            seen = {s: (st.st_size, st.st_mtime_ns) for s, st in stats.items()}
            if not force and seen == self._seen:
                return SyncReport()
            known = self.index.articles
            unchanged = {
                source
                for source, st in stats.items()
                if not force
                and source in known
                and (known[source].size, known[source].mtime_ns) == (st.st_size, st.st_mtime_ns)
            }
            articles, self.warnings = load_articles(
                folder, {s: folder / s for s in sorted(stats.keys() - unchanged)}
            )
            if not articles and not unchanged:
                self.progress(f"No readable articles in {self.settings.articles_dir}.")
            report = self.index.sync(articles, stats, self.progress, unchanged)
            self._seen = seen
            if report.touched:
                self.progress(
                    f"Index updated: {len(report.added)} added, {len(report.changed)} changed, "
                    f"{len(report.removed)} removed ({report.chunks_embedded} passages embedded)."
                )
            return report

    def warm_up(self) -> None:
        """Load everything now rather than on the first question."""
        self.refresh()
        self.reader.warm_up()

    # -- managing the articles ------------------------------------------------------------
    def articles(self) -> list[IndexedArticle]:
        """What the index holds, in file-name order."""
        with self._lock:
            self.refresh()
            return [self.index.articles[s] for s in sorted(self.index.articles)]

    def add_article(self, name: str, data: bytes) -> IndexedArticle:
        """Check an uploaded article, save it into the folder and index it; raises
        `ArticleRejected` with a message for the user when it is refused."""
        with self._lock:
            self._check_writable()
            self.refresh()
            name = library.safe_name(name)
            known = {a.sha256 for a in self.index.articles.values()}
            library.check_article(name, data, self.settings.max_upload_bytes, known)
            source = library.save_article(self.settings.articles_dir, name, data)
            self.refresh()
            if source not in self.index.articles:
                raise ArticleRejected(f"{source} was saved but could not be indexed.")
            return self.index.articles[source]

    def _check_writable(self) -> None:
        if not self.settings.watch_folder:
            raise ArticleRejected(
                "This server answers from a shared store and does not change it; add or remove "
                "articles where the store is filled (python -m qa index --store ...)."
            )

    def add_text(self, title: str, text: str) -> IndexedArticle:
        """Add pasted text as an article whose first line is `title`."""
        title, text = (title or "").strip(), (text or "").strip()
        if not title or not text:
            raise ArticleRejected("An article needs both a title and some text.")
        return self.add_article(library.name_for_title(title), f"{title}\n\n{text}\n".encode())

    def remove_article(self, source: str) -> None:
        """Delete an article from the folder and the index."""
        with self._lock:
            self._check_writable()
            library.delete_article(self.settings.articles_dir, source)
            self.refresh()

    # -- answering ------------------------------------------------------------------------
    def retrieve(self, question: str) -> list[Passage]:
        """The passages for `question` from an index that reflects the folder right now."""
        with self._lock:  # an update from another thread never lands mid-search
            try:
                self.refresh(full=False)
            except IndexWriteError as exc:  # answer from the index as it was; say why
                log.error("%s", exc)
                self.warnings = [str(exc)]
            return self.retriever.retrieve(question, self.settings.top_k)

    def _relevant(self, passages: list[Passage]) -> bool:
        s = self.settings
        return any(
            p.dense_score >= s.min_dense_score or p.keyword_hits >= s.min_keyword_hits
            for p in passages
        )

    def stream(self, question: str, history: History | None = None) -> Iterator[Update]:
        """Answer `question`, yielding sources as soon as they are found, then answer text."""
        problem = check_question(question, self.settings.max_question_chars)
        if problem:
            yield Update(
                "answer",
                answer=Answer(str(question or ""), problem, True, reason="invalid_question"),
            )
            return
        question = question.strip()
        if history and not self.reader.loaded:
            yield Update("status", "Loading the reader model...")
        standalone = standalone_question(
            question, history, self.reader, self.settings.history_turns
        )
        passages = self.retrieve(standalone)
        if not passages:
            message = (
                f"No articles are indexed: add .txt or .md files to {self.settings.articles_dir}."
            )
            yield Update(
                "answer",
                answer=Answer(question, message, True, [], standalone, reason="no_articles"),
            )
            return
        if not self._relevant(passages):
            yield Update(
                "answer",
                answer=Answer(
                    question,
                    NOT_COVERED,
                    True,
                    [],
                    standalone,
                    passages,
                    reason="no_relevant_passages",
                ),
            )
            return
        yield Update("sources", passages=passages)
        if not self.reader.loaded:
            yield Update("status", "Loading the reader model (the first time takes a while)...")
        gate, tokens = DeclineGate(self.settings.decline_threshold), TokenProbabilities()
        pieces = []
        messages = answer_messages(standalone, passages)
        for piece in self.reader.stream(messages, gate=gate, tokens=tokens):
            pieces.append(piece)
            yield Update("token", piece)
        reply = "".join(pieces).strip()
        drafted = Answer(
            question,
            reply,
            False,
            [],
            standalone,
            passages,
            reply=reply,
            decline_probability=gate.probability,
        )
        final = self._finish(drafted, tokens.values)
        if final.reason == "restated" and self.settings.extract_pass:
            yield Update("status", "The draft only restated the question; finding the words...")
            final = self._extract(drafted) or final
        yield Update("answer", answer=final)

    def _extract(self, drafted: Answer) -> Answer | None:
        """The second pass: the reader copies the answer words out of the passages (a
        `CopyConstraint`), and that span is grounded and gated like any draft. None where the
        backend cannot constrain its output."""
        passages = drafted.passages
        constraint = self.reader.copy_constraint("\n".join(p.chunk.text for p in passages))
        if constraint is None:
            return None
        tokens = TokenProbabilities()
        messages = extract_messages(drafted.standalone_question, passages)
        span = "".join(
            self.reader.stream(
                messages, self.settings.max_span_tokens, tokens=tokens, constraint=constraint
            )
        ).strip()
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
        """The cited draft with its calibrated confidence; withheld below `min_confidence`."""
        support = min(
            (g.support for g in grounded if g.support >= self.settings.min_support), default=0.0
        )
        values = signals(
            drafted.standalone_question,
            drafted.text,
            drafted.citations,
            self.embedder,
            support,
            drafted.decline_probability,
            token_probabilities,
        )
        calibrator = self.calibrator
        confidence = calibrator.probability(values) if calibrator else None
        drafted = dataclasses.replace(drafted, confidence=confidence, signals=values)
        threshold = self.settings.min_confidence
        if calibrator and threshold < 0:
            threshold = calibrator.threshold
        if confidence is None or confidence >= threshold:
            return drafted
        return _withheld(drafted, UNSURE, "low_confidence", draft=drafted.text)

    def answer(self, question: str, history: History | None = None) -> Answer:
        """The finished answer to `question` (see `stream` for the same thing step by step)."""
        final = None
        for update in self.stream(question, history):
            if update.kind == "answer":
                final = update.answer
        assert final is not None
        return final


def _withheld(drafted: Answer, text: str, reason: str, **changes: object) -> Answer:
    """`drafted` turned into an abstention: `text` tells the user why, no citations."""
    return dataclasses.replace(
        drafted, text=text, abstained=True, citations=[], reason=reason, **changes
    )


_default: QA | None = None
_default_lock = threading.Lock()


def default_qa() -> QA:
    """The shared pipeline over `seeds/` and `index/` (or QA_ARTICLES_DIR / QA_INDEX_DIR)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = QA()
        return _default


def answer(question: str, history: History | None = None) -> Answer:
    """Answer a question from the default articles, with citations."""
    return default_qa().answer(question, history)
