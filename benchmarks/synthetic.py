"""A deterministic synthetic news corpus of any size, for the index benchmarks.

Articles are recombined from the seed articles' content sentences, with the numbers and the
people's names varied so the vocabulary grows as news archives do. Encoding a million chunks with
the real embedder takes hours on two cores (benchmarks/indexing.py measures encoding itself), so
a chunk's vector is the normalized mean of the real embeddings of the seed sentences it was made
from plus a little noise: it keeps the topical structure that decides how hard approximate search
is. The seed sentence embeddings are computed once and cached.
"""

from __future__ import annotations

import hashlib
import re
import sys
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.chunking import chunk_article  # noqa: E402
from qa.documents import Article, load_articles  # noqa: E402
from qa.embedding import Embedder  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.text import Span  # noqa: E402

SYLLABLES = ["ka", "lo", "mi", "ra", "sen", "to", "vi", "dor", "bel", "chu", "an", "ze", "qua"]
NOISE = 0.35  # norm of the noise added to a chunk vector, against a unit-length topic mean


def _names(rng: np.random.Generator, n: int) -> list[str]:
    return ["".join(rng.choice(SYLLABLES, size=rng.integers(2, 4))).capitalize() for _ in range(n)]


class CorpusEmbedder:
    """Vectors known in advance for the corpus's chunk texts; anything else (a benchmark query)
    goes to the real model."""

    def __init__(self, settings: Settings, vectors: dict[str, np.ndarray]):
        self.real = Embedder(settings.embed_model)
        self.model_name = self.real.model_name
        self.vectors = vectors

    @property
    def dimension(self) -> int:
        return self.real.dimension

    def warm_up(self) -> None:
        self.real.warm_up()

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if all(t in self.vectors for t in texts):
            if not texts:
                return np.zeros((0, self.dimension), dtype=np.float32)
            return np.stack([self.vectors[t] for t in texts])
        return self.real.encode(texts, progress)


def seed_sentences(settings: Settings) -> tuple[list[str], np.ndarray]:
    """The seed articles' content sentences and their real embeddings (cached)."""
    articles, _ = load_articles(settings.articles_dir)
    sentences = sorted(
        {a.text[s.start : s.end] for a in articles for s in a.content if s.end - s.start > 30}
    )
    key = hashlib.sha256("\n".join(sentences).encode()).hexdigest()[:16]
    cache = settings.cache_dir / "bench" / f"seed-sentences-{key}.npy"
    if cache.exists():
        return sentences, np.load(cache)
    vectors = Embedder(settings.embed_model).encode(sentences)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return sentences, vectors


def corpus(
    n_chunks: int, settings: Settings, seed: int = 0
) -> tuple[list[Article], dict[str, np.ndarray]]:
    """About `n_chunks` chunks' worth of articles, and the vector of every chunk text."""
    sentences, base = seed_sentences(settings)
    rng = np.random.default_rng(seed)
    names = _names(rng, 5000)
    capitalized = re.compile(r"\b[A-Z][a-z]{3,}\b")
    number = re.compile(r"\d+")
    articles: list[Article] = []
    vectors: dict[str, np.ndarray] = {}
    dim = base.shape[1]
    total = 0
    while total < n_chunks:
        picks = rng.integers(0, len(sentences), size=rng.integers(6, 16))
        cast = rng.choice(names, size=3)
        parts, spans, origin = [], [], {}
        title = f"Report {len(articles)}: {' '.join(sentences[picks[0]].split()[:6])}"
        text = title + "\n\n"
        for p in picks:
            s = capitalized.sub(
                lambda m, cast=cast: (
                    cast[zlib.crc32(m.group(0).encode()) % 3] if rng.random() < 0.3 else m.group(0)
                ),
                sentences[p],
            )
            s = number.sub(lambda _: str(rng.integers(1, 2000)), s)
            spans.append(Span(len(text), len(text) + len(s)))
            origin[len(text)] = p
            parts.append(s)
            text += s + " "
        source = f"synthetic/{len(articles):07d}.txt"
        article = Article(
            source, title, text, hashlib.sha256(text.encode()).hexdigest(), tuple(spans)
        )
        for chunk in chunk_article(article, settings.chunk_chars, settings.chunk_overlap_sentences):
            topic = base[[origin[s.start] for s in chunk.sentences]].mean(axis=0)
            topic /= np.linalg.norm(topic)
            noise = rng.standard_normal(dim).astype(np.float32)
            v = topic + NOISE * noise / np.linalg.norm(noise)
            vectors[chunk.text] = (v / np.linalg.norm(v)).astype(np.float32)
            total += 1
        articles.append(article)
    return articles, vectors
