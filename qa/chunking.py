"""Chunks: runs of whole content sentences, with a little overlap, that know where they came from.

A chunk never spans boilerplate, so `article.text[chunk.start:chunk.end] == chunk.text` always
holds and a quote copied by offsets is exactly what was indexed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .converters import ArticleMeta
from .documents import Article
from .text import Span


@dataclass(frozen=True)
class Chunk:
    """A passage of one article: its text and where it sits in the article file."""

    source: str
    title: str
    text: str
    start: int
    end: int
    sentences: tuple[Span, ...]  # absolute offsets in the article of each sentence
    meta: ArticleMeta = ArticleMeta()  # the article's date, outlet, ...: for its citations


def _segments(article: Article) -> list[list[Span]]:
    """Runs of content sentences with no boilerplate sentence between them."""
    text = article.text
    runs: list[list[Span]] = []
    previous: Span | None = None
    for sentence in article.content:
        gap = text[previous.end : sentence.start] if previous else ""
        if previous is None or gap.strip():
            runs.append([])
        runs[-1].append(sentence)
        previous = sentence
    return runs


def chunk_article(article: Article, max_chars: int = 600, overlap: int = 1) -> list[Chunk]:
    """Greedy sentence packing up to `max_chars`, each chunk repeating the last `overlap`
    sentences of the one before, so an answer straddling a boundary is still whole somewhere."""
    chunks: list[Chunk] = []
    for run in _segments(article):
        first = 0
        while first < len(run):
            last = first
            while last + 1 < len(run) and run[last + 1].end - run[first].start <= max_chars:
                last += 1
            sentences = tuple(run[first : last + 1])
            start, end = sentences[0].start, sentences[-1].end
            chunks.append(
                Chunk(
                    article.source,
                    article.title,
                    article.text[start:end],
                    start,
                    end,
                    sentences,
                    article.meta,
                )
            )
            if last + 1 >= len(run):
                break
            first = max(first + 1, last + 1 - overlap)
    return chunks
