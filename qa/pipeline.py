"""The question-answering pipeline: articles -> index -> retrieval -> reader -> cited answer.

`QA` joins the article collection (folder and index, kept in step: collection.py) and the
answerer (question -> answer: answerer.py) over one embedder and reader, each loaded lazily,
once. `stream()` yields progress as it happens (sources first, then answer text) for the chat;
`answer()` is the same pipeline run to completion.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from . import context, feeds, timeline
from .answerer import Answerer, Update
from .answers import Answer, Passage
from .collection import Collection
from .confidence import Calibrator
from .embedding import Embedder
from .feeds import Feeds, Poll
from .followups import History
from .parse import PARSER
from .question import analysed
from .readers import shared_reader
from .retrieval import Retriever
from .settings import Settings
from .store import IndexedArticle, IndexWriteError, SyncReport

log = logging.getLogger(__name__)


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
        self.progress = progress or log.info
        self.embedder = Embedder(settings.embed_model)
        PARSER.configure(settings.parser_model)  # loaded on first use
        self.collection = Collection(settings, self.embedder, self.progress)
        self.index = self.collection.index
        self.retriever = Retriever(self.index, self.embedder, settings.candidates, settings.rrf_k)
        self.reader = shared_reader(settings, self.progress)
        self.answerer = Answerer(
            settings, self.embedder, self.reader, self.retriever.vocabulary, self.reports
        )
        self.feeds = Feeds(self)

    @property
    def settings(self) -> Settings:
        return self.answerer.settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.collection.settings = self.answerer.settings = settings

    @property
    def calibrator(self) -> Calibrator | None:
        return self.answerer.calibrator

    @property
    def index_loaded(self) -> bool:
        return self.collection.loaded

    @property
    def warnings(self) -> list[str]:
        return self.collection.warnings

    def refresh(self, force: bool = False, full: bool = True) -> SyncReport:
        """Bring the index in line with the articles folder (see `Collection.refresh`)."""
        return self.collection.refresh(force, full)

    def warm_up(self) -> None:
        """Load everything now rather than on the first question."""
        loaded = self.load_reader_aside()
        self.refresh()
        loaded()
        if self.settings.dated_answers:
            PARSER.warm_up()  # what a figure counts, for answers told with their dates

    def load_reader_aside(self) -> Callable[[], None]:
        """Start loading the reader in another thread, alongside indexing: assembling the model
        waits on the disk while the embedder's start waits on Python. Returns a function that
        waits for it and raises what failed. A transformers model loads when that is called
        instead: its loading swaps process-wide state that the embedder's loading uses too."""
        if self.reader.backend != "served":
            return self.reader.warm_up
        failed: list[Exception] = []

        def load() -> None:
            try:
                self.reader.warm_up()
            except Exception as exc:  # raised by `loaded`, in the thread that waits
                failed.append(exc)

        thread = threading.Thread(target=load, daemon=True, name="reader-load")
        thread.start()

        def loaded() -> None:
            thread.join()
            if failed:
                raise failed[0]

        return loaded

    def articles(self) -> list[IndexedArticle]:
        """What the index holds, in file-name order."""
        return self.collection.articles()

    def add_article(self, name: str, data: bytes, newer_version: bool = False) -> IndexedArticle:
        """Check an uploaded article, save it into the folder and index it; raises
        `ArticleRejected` with a message for the user when it is refused."""
        return self.collection.add_article(name, data, newer_version)

    def add_link(self, link: str) -> IndexedArticle | Poll:
        """Fetch a web page or PDF, or copy a local file, into the folder and index it; a news
        feed's address is followed instead: its new items' pages are added now and at each
        poll (`feeds`), and what this first poll did is returned."""
        added = self.collection.add_link(link)
        if isinstance(added, IndexedArticle):
            return added
        feeds.parse(added.data, link)  # refused here unless it reads as a feed
        return self.feeds.follow(link)

    def add_text(self, title: str, text: str) -> IndexedArticle:
        """Add pasted text as an article whose first line is `title`."""
        return self.collection.add_text(title, text)

    def remove_article(self, source: str) -> None:
        """Delete an article from the folder and the index."""
        self.collection.remove_article(source)

    def retrieve(self, question: str) -> list[Passage]:
        """The passages for `question` from an index that reflects the folder right now."""
        with self.collection.lock:  # an update from another thread never lands mid-search
            try:
                self.refresh(full=False)
            except IndexWriteError as exc:  # answer from the index as it was; say why
                log.error("%s", exc)
                self.collection.warnings = [str(exc)]
            s = self.settings
            # A question about the latest state reads from more passages, so that the newest
            # reports are among them even where older ones match its words better.
            latest = s.dated_answers and analysed(question).latest
            passages = self.retriever.retrieve(question, s.wide_k if latest else s.top_k)
            newest = self._about(question, passages) if latest else None
            if latest and newest is None:
                passages = passages[: s.top_k]  # nothing to tell newer by
            excerpts = context.select(
                question, passages, self.index, self.embedder, s.context_chars, newest
            )
            return timeline.newest_first(excerpts, newest) if newest is not None else excerpts

    def _about(self, question: str, passages: list[Passage]) -> set[str] | None:
        """The articles among `passages` about the event a latest-state question asks (the
        newest article about another quake is no update of this one); None when fewer than two
        dates tell them apart."""
        about = self.retriever.about(question, {p.chunk.source for p in passages})
        dates = {p.chunk.meta.date for p in passages if p.chunk.source in about}
        return about if len(dates - {None, ""}) >= 2 else None

    def reports(self, question: str) -> list[Passage]:
        """The passages a figure answer is checked against for other reports of it: the top
        `wide_k` retrieved, beyond the excerpts the reader read (timeline.py)."""
        with self.collection.lock:
            return self.retriever.retrieve(question, self.settings.wide_k)

    def stream(self, question: str, history: History | None = None) -> Iterator[Update]:
        """Answer `question`, yielding sources as soon as they are found, then answer text."""
        return self.answerer.stream(question, history, self.retrieve)

    def answer(self, question: str, history: History | None = None) -> Answer:
        """The finished answer to `question` (see `stream` for the same thing step by step)."""
        final = None
        for update in self.stream(question, history):
            if update.kind == "answer":
                final = update.answer
        assert final is not None
        return final


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
