"""The fused retriever over the real index of the seeds."""

import numpy as np


def test_fused_retriever_finds_articles_by_rare_names(seed_qa):
    for query, source in [
        ("Sergey Lavrov", "004_6412272d63db9382.txt"),
        ("Oriana Skylar Mastro", "003_aeeab2822e5e7b66.txt"),
        ("Marco Rubio and Pete Hegseth", "001_98f127979d69c2d2.txt"),
        ("Wang Qishan", "002_288f5675482de11b.txt"),
    ]:
        passages = seed_qa.retrieve(query)
        assert passages[0].chunk.source == source, query
        assert passages[0].keyword_hits >= 1


def test_paraphrase_is_found_by_the_dense_side(seed_qa):
    passages = seed_qa.retrieve("Which entrepreneur objected to banning the video app?")
    assert "000_2cbac0f5d2d1e101.txt" in {p.chunk.source for p in passages}


def test_off_topic_question_scores_low(seed_qa):
    passages = seed_qa.retrieve("What is the capital of Australia?")
    assert max(p.dense_score for p in passages) < seed_qa.settings.min_dense_score
    assert all(p.keyword_hits == 0 for p in passages)


def test_dense_scores_are_true_cosines(seed_qa):
    passages = seed_qa.retrieve("Lavrov")
    query = seed_qa.embedder.encode(["Lavrov"])[0]
    for p in passages:
        assert np.isclose(p.dense_score, float(seed_qa.index.vector(p.chunk_id) @ query), atol=1e-4)
