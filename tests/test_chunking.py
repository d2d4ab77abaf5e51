from conftest import SEEDS

from qa.chunking import chunk_article
from qa.documents import load_articles


def test_chunk_offsets_round_trip_on_every_seed():
    articles, _ = load_articles(SEEDS)
    for article in articles:
        chunks = chunk_article(article, max_chars=400, overlap=1)
        assert chunks
        for c in chunks:
            assert article.text[c.start : c.end] == c.text
            for s in c.sentences:
                assert c.start <= s.start < s.end <= c.end


def test_chunks_cover_all_content_with_overlap_and_size_limit():
    articles, _ = load_articles(SEEDS)
    article = next(a for a in articles if a.source.startswith("004"))
    chunks = chunk_article(article, max_chars=400, overlap=1)
    covered = {s for c in chunks for s in c.sentences}
    assert covered == set(article.content)
    for a, b in zip(chunks, chunks[1:], strict=False):
        if a.end > b.start:  # consecutive in one run: the last sentence is repeated
            assert a.sentences[-1] == b.sentences[0]
    assert all(len(c.text) <= 400 or len(c.sentences) == 1 for c in chunks)


def test_no_chunk_contains_boilerplate():
    articles, _ = load_articles(SEEDS)
    for article in articles:
        for c in chunk_article(article):
            assert "Your donation" not in c.text
            assert "Popular posts" not in c.text
