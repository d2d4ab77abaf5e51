"""Answers that know when: latest-state questions, reports that differ, relative days."""

import datetime as dt
from pathlib import Path

import pytest

from qa.answers import Answer, Passage
from qa.chunking import chunk_article
from qa.documents import load_articles
from qa.grounding import evidence_sentences
from qa.timeline import (
    _figures,
    asks_latest,
    asks_when,
    dated,
    newest_first,
    other_reports,
    resolve_day,
    states_date,
)

PAGES = Path(__file__).parent / "data" / "pages"


NAMES = [p.name for p in sorted(PAGES.glob("p0[1-4]_*.html"))]  # the Korvane landslide reports


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    articles, _ = load_articles(PAGES, {n: PAGES / n for n in NAMES})
    return {a.source: a.text for a in articles}


@pytest.fixture(scope="module")
def korvane() -> list[Passage]:
    """Every passage of the four Korvane landslide reports, oldest first (15-17 Oct 2025)."""
    articles, _ = load_articles(PAGES, {n: PAGES / n for n in NAMES})
    chunks = [c for a in articles for c in chunk_article(a)]
    return [Passage(i, c, 1.0, 0.5, 2) for i, c in enumerate(chunks)]


def _answer(question: str, passages: list[Passage], words: str, source: str) -> Answer:
    """The answer a reader would give, cited to the sentence of `source` that says `words`."""
    (e,) = [e for e in evidence_sentences(passages) if e.source == source and words in e.text]
    return Answer(question, f"{words} [1].", [e.citation(1)], question, passages)


@pytest.mark.parametrize(
    "question, latest",
    [
        ("What is the latest death toll from the Korvane landslide?", True),
        ("How many people have died so far?", True),
        ("How many people have been evacuated because of the breach?", True),
        ("How wide is the breach now?", True),
        ("How many people died in the first reports?", False),
        ("Who is the mayor of Korvane?", False),
    ],
)
def test_latest_state_questions_are_recognised(question, latest):
    assert asks_latest(question) is latest


def test_when_questions_are_recognised():
    assert asks_when("On what date did the landslide happen?")
    assert asks_when("When did the dam give way?")
    assert not asks_when("How many homes were buried?")


def test_relative_days_resolve_against_the_publication_date():
    wednesday = dt.date(2025, 10, 15)
    assert resolve_day("Tuesday", wednesday, future=False) == dt.date(2025, 10, 14)
    assert resolve_day("Wednesday", wednesday, future=False) == wednesday
    assert resolve_day("Sunday", wednesday, future=True) == dt.date(2025, 10, 19)
    assert resolve_day("yesterday", wednesday, future=False) == dt.date(2025, 10, 14)


def test_names_and_times_are_no_figures():
    text = "About 8,500 left on Route 14 at 9:40 p.m. in 2024, No. 7 and 12 people"
    assert [m.group(0) for m in _figures(text, set())] == ["8,500", "12"]


def test_dates_are_recognised_as_written():
    for text in ("as of 17 October 2025", "on Oct. 17, 2025", "(2025-10-17)", "17 Oct 2025"):
        assert states_date(text, "2025-10-17"), text
    assert not states_date("as of 16 October 2025", "2025-10-17")


def test_newest_reports_come_first_each_in_its_own_order(korvane):
    ordered = newest_first(korvane)
    dates = [p.chunk.meta.date for p in ordered]
    assert dates == sorted(dates, reverse=True)
    first = [p for p in ordered if p.chunk.source == ordered[0].chunk.source]
    assert [p.chunk.start for p in first] == sorted(p.chunk.start for p in first)


def test_a_later_toll_is_found_and_a_missing_count_is_not(korvane, embedder):
    q = "How many people had died in the Korvane landslide?"
    answer = _answer(q, korvane, "has risen to 19", "p02_post_korvane_toll_rises.html")
    found = other_reports(q, answer, korvane, embedder)
    assert found is not None and found.own.figure == "19"
    figures = {r.figure: r.citation for r in found.others}
    assert "27" in figures and figures["27"].date == "2025-10-17"
    assert "25" not in figures  # "at least 25 people are still missing" counts something else
    text = dated(q, answer, embedder).text
    assert "The reports differ" in text and "27 as of 17 October 2025" in text


def test_latest_answer_leads_with_the_newest_report(korvane, texts, embedder):
    q = "What is the latest death toll from the Korvane landslide?"
    answer = _answer(q, korvane, "has risen to 19", "p02_post_korvane_toll_rises.html")
    result = dated(q, answer, embedder)
    assert result.text.startswith("As of 17 October 2025, the newest report gives 27 [")
    assert "19 as of 16 October 2025 [1]" in result.text
    numbers = [c.number for c in result.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    for c in result.citations:  # every added citation is an exact quote of its article
        assert texts[c.source][c.start : c.end] == c.quote


def test_a_figure_a_later_report_repeats_is_dated_by_it(embedder):
    reports = PAGES.parent / "reports"
    names = ["rep_06_karsa_quake_revised.txt", "rep_07_karsa_quake_rescue.txt"]
    articles, _ = load_articles(reports, {n: reports / n for n in names})
    chunks = [c for a in articles for c in chunk_article(a)]
    passages = [Passage(i, c, 1.0, 0.5, 2) for i, c in enumerate(chunks)]
    q = "What magnitude does the National Seismic Centre currently give the Karsa earthquake?"
    answer = _answer(q, passages, "revised the magnitude", names[0])
    answer = Answer(q, "It gives 6.4 [1].", answer.citations, q, passages)
    found = other_reports(q, answer, passages, embedder)
    assert found is not None and found.confirmed is not None
    assert found.confirmed.citation.source == names[1]  # 21 Sep repeats 19 Sep's 6.4
    text = dated(q, answer, embedder).text
    assert text.startswith("As of 21 September 2024 [2]: It gives 6.4 [1].")


def test_when_answer_gives_the_date_of_a_relative_day(korvane, embedder):
    q = "On what date did the Korvane landslide happen?"
    answer = _answer(q, korvane, "on Tuesday night", "p01_ledger_korvane_landslide.html")
    result = dated(q, answer, embedder)
    assert "Tuesday was 14 October 2025" in result.text


def test_undated_articles_are_left_as_they_are(seed_qa):
    q = "What share of global GDP do APEC economies account for?"
    passages = seed_qa.retrieve(q)
    (e,) = [e for e in evidence_sentences(passages) if "62%" in e.text][:1]
    answer = Answer(q, "About 62% of global GDP [1].", [e.citation(1)], q, passages)
    assert dated(q, answer, seed_qa.embedder) is answer
