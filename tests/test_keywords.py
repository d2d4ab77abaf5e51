"""BM25 over stored term counts."""

import numpy as np

from qa.keywords import BM25, count_terms, stack


def test_bm25_ranks_rare_terms_and_ignores_unknown_words():
    texts = ["talks in Malta with Sullivan", "talks in Moscow", "trade and tariffs"]
    bm25 = BM25(np.array([1, 2, 3]), count_terms(texts))
    assert [i for i, _, _ in bm25.search("Malta", 3)] == [1]
    assert bm25.search("Canberra kangaroo", 3) == []
    top = bm25.search("talks Moscow", 3)
    assert top[0][0] == 2 and top[0][2] == 2
    assert top[1][0] == 1 and top[1][2] == 1


def test_stacked_counts_score_like_counts_of_all_texts_at_once():
    texts = ["Malta talks on Friday", "tariffs and trade talks", "a Malta ferry", "trade deal"]
    whole = BM25(np.arange(4), count_terms(texts))
    parts = BM25(np.arange(4), stack([count_terms(texts[:1]), count_terms(texts[1:])]))
    for query in ["Malta talks", "trade", "ferry tariffs"]:
        assert parts.search(query, 4) == whole.search(query, 4)
    assert stack([]).counts.shape[0] == 0
