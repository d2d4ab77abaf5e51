"""Citations are tied to passage sentences by evidence, not by the reader's markers."""

import re

from qa.documents import load_articles
from qa.grounding import cite, ground


def _passages(seed_qa, question):
    return seed_qa.retrieve(question)


def test_supported_answer_gets_a_verbatim_quote(seed_qa):
    q = "Where did Jake Sullivan and Wang Yi hold talks?"
    passages = _passages(seed_qa, q)
    grounded = ground(q, "They held talks in Malta [3].", passages, seed_qa.embedder)
    text, citations = cite(grounded, seed_qa.settings.min_support)
    assert text == "They held talks in Malta [1]."
    (c,) = citations
    assert c.source == "004_6412272d63db9382.txt" and "Malta" in c.quote
    articles = {a.source: a for a in load_articles(seed_qa.settings.articles_dir)[0]}
    assert articles[c.source].text[c.start : c.end] == c.quote


def test_unsupported_answer_gets_no_citation(seed_qa):
    q = "Where did Jake Sullivan and Wang Yi hold talks?"
    passages = _passages(seed_qa, q)
    grounded = ground(q, "They met in Canberra, Australia [1].", passages, seed_qa.embedder)
    assert cite(grounded, seed_qa.settings.min_support) == ("", [])


def test_invented_numbers_are_unsupported(seed_qa):
    q = "What share of global GDP do APEC economies account for?"
    passages = _passages(seed_qa, q)
    good = ground(q, "About 62% of global GDP.", passages, seed_qa.embedder)
    bad = ground(q, "About 48% of global GDP.", passages, seed_qa.embedder)
    assert good[0].support >= seed_qa.settings.min_support
    assert bad[0].support < seed_qa.settings.min_support


def test_markers_and_citations_always_agree(seed_qa):
    q = "What did Sullivan and Wang discuss?"
    passages = _passages(seed_qa, q)
    reply = (
        "Sullivan and Wang discussed Russia's war in Ukraine and the Taiwan Strait [2]. "
        "They also discussed artificial intelligence [9]. Penguins run the talks."
    )
    text, citations = cite(ground(q, reply, passages, seed_qa.embedder), 0.5)
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", text)]
    assert markers and sorted(set(markers)) == [c.number for c in citations]
    assert "Penguins" not in text
    allowed = {(p.chunk.source, p.chunk.start, p.chunk.end) for p in passages}
    for c in citations:  # only passages given to the reader are ever cited
        assert any(s == c.source and a <= c.start and c.end <= b for s, a, b in allowed)


def test_restating_the_question_is_not_an_answer(seed_qa):
    q = "Which news agency reported on Han Zheng's meetings in Washington?"
    passages = _passages(seed_qa, q)
    grounded = ground(
        q, "A news agency reported on Han Zheng's meetings.", passages, seed_qa.embedder
    )
    assert grounded[0].evidence is None and grounded[0].support == 0.0


def test_a_quantity_question_needs_a_quantity(seed_qa):
    q = "How many days of talks did Wang Yi hold with Jake Sullivan?"
    passages = _passages(seed_qa, q)
    vague = ground(
        q, "Wang Yi and Sullivan held several days of talks in Malta.", passages, seed_qa.embedder
    )
    exact = ground(q, "They held two days of talks in Malta.", passages, seed_qa.embedder)
    assert vague[0].support == 0.0
    assert exact[0].support >= seed_qa.settings.min_support


def test_the_readers_own_source_mentions_become_citation_hints():
    from qa.grounding import answer_sentences

    reply = "According to Excerpt 1, Xi called in November. They met in Malta (Excerpt 3) [2]."
    assert answer_sentences(reply) == [
        ("Xi called in November.", {1}),
        ("They met in Malta.", {2, 3}),
    ]
    assert answer_sentences("The excerpt states that talks were held.") == [
        ("Talks were held.", set())
    ]
    assert answer_sentences("According to the second excerpt, 31 were on board.") == [
        ("31 were on board.", {2})
    ]


def _one_passage(text: str, title: str = "Bridge repairs") -> list:
    from qa.answers import Passage
    from qa.chunking import Chunk
    from qa.text import split_sentences

    chunk = Chunk("bridge.txt", title, text, 0, len(text), tuple(split_sentences(text)))
    return [Passage(0, chunk, 1.0, 0.6, 3)]


def test_the_quote_is_the_sentence_that_states_the_answer(embedder):
    text = (
        "The Elm Street bridge will close for repairs in March. "
        "The repairs will cost $4.8 million, the city said. "
        "Cyclists crossing the Elm Street bridge will be sent on a detour during the repairs."
    )
    q = "How much will the Elm Street bridge repairs cost?"
    grounded = ground(q, "The repairs will cost $4.8 million.", _one_passage(text), embedder)
    _, (citation,) = cite(grounded, 0.5)
    assert "$4.8 million" in citation.quote


def test_a_figure_grounds_whatever_its_formatting(embedder):
    text = (
        "The city approved the plan on Thursday. Eighty-one people were treated in hospital, "
        "and the repairs will cost 1,200,000 dollars, the city said."
    )
    q = "How many people were treated in hospital, and what will the repairs cost?"
    reply = "81 people were treated in hospital and the repairs will cost $1.2 million."
    (grounded,) = ground(q, reply, _one_passage(text), embedder)
    assert grounded.evidence is not None and grounded.support >= 0.5


def test_a_date_the_article_gives_as_a_weekday_grounds(embedder):
    """ "On Tuesday" in an article of Wednesday 12 June 2024 is 11 June 2024; another day is no
    date the article gives."""
    import dataclasses

    from qa.converters import ArticleMeta

    text = "A passenger ferry capsized on Lake Orrin on Tuesday night, killing at least 12 people."
    (passage,) = _one_passage(text, "Ferry capsizes")
    meta = ArticleMeta(date="2024-06-12")
    passages = [dataclasses.replace(passage, chunk=dataclasses.replace(passage.chunk, meta=meta))]
    q = "On what date did the ferry capsize on Lake Orrin?"
    for day, supported in (("June 11, 2024", True), ("11 June", True), ("June 14, 2024", False)):
        (grounded,) = ground(q, f"The ferry capsized on {day}.", passages, embedder)
        assert (grounded.support > 0) is supported, day
