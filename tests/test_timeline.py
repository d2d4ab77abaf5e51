"""Answers that know when: latest-state questions, reports that differ, relative days."""

import datetime as dt
from pathlib import Path

import pytest

from qa.answers import Answer, Passage
from qa.chunking import Chunk, chunk_article
from qa.days import resolve_day
from qa.documents import load_articles
from qa.grounding import evidence_sentences
from qa.reports import other_reports
from qa.timeline import dated, newest_first, states_date

DATA = Path(__file__).parent / "data"
PAGES = Path(__file__).parent.parent / "qa" / "devsets" / "pages"


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


def _answer(
    question: str, passages: list[Passage], words: str, source: str, text: str = ""
) -> Answer:
    """The answer a reader would give (`text`, else `words`), cited to the sentence of
    `source` that says `words`."""
    found = {
        e.span.start: e
        for e in evidence_sentences(passages)
        if e.source == source and words in e.text
    }  # overlapping chunks give a sentence twice
    (e,) = found.values()
    return Answer(question, text or f"{words} [1].", [e.citation(1)], question, passages)


def test_relative_days_resolve_against_the_publication_date():
    wednesday = dt.date(2025, 10, 15)
    assert resolve_day("Tuesday", wednesday, future=False) == dt.date(2025, 10, 14)
    assert resolve_day("Wednesday", wednesday, future=False) == wednesday
    assert resolve_day("Sunday", wednesday, future=True) == dt.date(2025, 10, 19)
    assert resolve_day("yesterday", wednesday, future=False) == dt.date(2025, 10, 14)


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
    answer = _answer(q, passages, "revised the magnitude", names[0], "It gives 6.4 [1].")
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


def _reports(*names: str) -> list[Passage]:
    """Every passage of some of the dated reports of `qa/devsets/reports`."""
    reports = PAGES.parent / "reports"
    articles, _ = load_articles(reports, {n: reports / n for n in names})
    chunks = [c for a in articles for c in chunk_article(a)]
    return [Passage(i, c, 1.0, 0.5, 2) for i, c in enumerate(chunks)]


def test_two_figures_one_sentence_sets_against_each_other_are_both_given(embedder):
    """ "X said 11,200 people had been evacuated, while Y put the figure at 13,000": the second
    figure says nothing of what it counts; it is the first's."""
    passages = _reports("rep_13_sallow_flood_peak.txt")
    q = "How many people were evacuated in the Sallow River floods?"
    answer = _answer(
        q, passages, "11,200 people", "rep_13_sallow_flood_peak.txt", "11,200 people [1]."
    )
    text = dated(q, answer, embedder).text
    assert "The reports differ: 11,200 people as of 16 April 2024 [1]; 13,000" in text
    # A figure the sentence gives for something else is not set against the answer's.
    q = "How many people had died in the Sallow River floods?"
    answer = _answer(q, passages, "rose to six after", "rep_13_sallow_flood_peak.txt", "Six [1].")
    assert dated(q, answer, embedder).text == "Six [1]."


def test_a_figure_both_reports_give_for_something_else_is_no_disagreement(embedder):
    """Both reports say 176 were on board, "including 11 crew": 11 counts the crew."""
    names = ["rep_02_lake_orrin_ferry_toll_rises.txt", "rep_03_lake_orrin_ferry_overloaded.txt"]
    passages = _reports(*names)
    q = "How many people were on board the Sella Brin when it capsized?"
    answer = _answer(q, passages, "176 people were on board when", names[0], "176 people [1].")
    found = other_reports(q, answer, passages, embedder)
    assert found is not None and found.own.figure == "176 people"
    assert "11" not in [r.figure for r in found.others]


def test_figures_in_the_same_named_unit_count_the_same_thing(embedder):
    names = ["rep_08_ostby_chemical_fire_first.txt", "rep_09_ostby_chemical_fire_out.txt"]
    passages = _reports(*names)
    q = "How many firefighters fought the blaze at the Solvane Chemical Works?"
    answer = _answer(q, passages, "60 firefighters", names[0], "About 60 firefighters [1].")
    text = dated(q, answer, embedder).text
    assert "60 firefighters as of 6 November 2024 [1]" in text
    assert "110 firefighters as of 7 November 2024 [2]" in text


def test_a_second_source_in_the_next_sentence_is_given_too(embedder):
    """ "The National Seismic Centre measured the quake at magnitude 4.9 ... The Global
    Seismological Survey ... put it at magnitude 5.0.\""""
    name = "rep_14_pyrrin_quake.txt"
    passages = _reports(name)
    q = "What was the magnitude of the Pyrrin earthquake?"
    answer = _answer(q, passages, "at magnitude 4.9", name, "Magnitude 4.9 [1].")
    text = dated(q, answer, embedder).text
    assert (
        "The reports differ: 4.9 as of 23 February 2024 [1]; 5.0 as of 23 February 2024 [2]" in text
    )
    # Aftershocks the same source recorded later in the article are not another report.
    assert "none above magnitude 3" not in text and "; 3 as of" not in text


def test_a_report_beyond_the_excerpts_is_found_in_the_wider_passages(embedder):
    """The reader read the first report's depth; the revised report's is among the passages
    retrieved beyond its excerpts."""
    first, revised = "rep_05_karsa_quake_first.txt", "rep_06_karsa_quake_revised.txt"
    shown, wider = _reports(first), _reports(revised)
    q = "How deep was the Karsa earthquake?"
    answer = _answer(q, shown, "a depth of 14 kilometres", first, "14 kilometres deep [1].")
    assert dated(q, answer, embedder).text == "14 kilometres deep [1]."
    text = dated(q, answer, embedder, wider).text
    assert "The reports differ: 14 kilometres as of 19 September 2024 [1]; 10 kilometres" in text
    assert text.count("[2]") == 1  # the revised report's sentence, cited


def _sentence(passages: list[Passage], words: str) -> Passage:
    """The sentence of `passages` that says `words`, as a passage of its own."""
    e = next(e for e in evidence_sentences(passages) if words in e.text)
    p = passages[e.passage - 1]
    c = p.chunk
    chunk = Chunk(c.source, c.title, e.text, e.span.start, e.span.end, (e.span,), c.meta)
    return Passage(p.chunk_id, chunk, p.score, p.dense_score, p.keyword_hits)


def test_wider_passages_are_held_to_the_stricter_test(embedder):
    """A later report's aftershock ("a magnitude 5.2 aftershock") is said to be a magnitude
    too. Among the excerpts that is enough, a false rival this test pins only to show the
    difference; from beyond them a figure needs words like the answer's own as well, and an
    aftershock's are not the main quake's."""
    first, later = "rep_05_karsa_quake_first.txt", "rep_07_karsa_quake_rescue.txt"
    shown = _reports(first)
    aftershock = _sentence(_reports(later), "A magnitude 5.2 aftershock")
    q = "What preliminary magnitude did the National Seismic Centre first give for the Karsa quake?"
    answer = _answer(q, shown, "preliminary magnitude of 6.1", first, "Magnitude 6.1 [1].")
    read = other_reports(q, answer, [*shown, aftershock], embedder)
    assert read is not None and [r.figure for r in read.others] == ["5.2"]
    found = other_reports(q, answer, shown, embedder, [aftershock])
    assert found is not None and found.others == []


def test_a_limit_and_a_count_of_people_count_nothing_else(embedder):
    """ "Licensed to carry 120 passengers" is what was allowed, not who was on board; "injured
    22" counts people, never hours."""
    names = ["rep_02_lake_orrin_ferry_toll_rises.txt", "rep_03_lake_orrin_ferry_overloaded.txt"]
    passages = _reports(*names)
    q = "How many people were on board the Sella Brin when it capsized?"
    answer = _answer(q, passages, "176 people were on board when", names[0], "176 people [1].")
    found = other_reports(q, answer, passages, embedder)
    assert found is not None and "120" not in " ".join(r.figure for r in found.others)
    names = ["rep_09_ostby_chemical_fire_out.txt", "rep_10_ostby_chemical_fire_air.txt"]
    passages = _reports(*names)
    q = "How long did it take firefighters to put out the Ostby fire?"
    answer = _answer(q, passages, "some 14 hours", names[0], "About 14 hours [1].")
    assert dated(q, answer, embedder).text == "About 14 hours [1]."


def test_a_latest_answer_gives_the_rival_figure_of_its_own_day(embedder):
    updates = DATA / "updates"
    name = "upd_02_cyclone_nerys_toll_rises.txt"
    articles, _ = load_articles(updates, {name: updates / name})
    passages = [Passage(i, c, 1.0, 0.5, 2) for i, c in enumerate(chunk_article(articles[0]))]
    q = "How many people have died in Cyclone Nerys so far?"
    answer = _answer(q, passages, "said 14 people had died", name, "14 people have died [1].")
    text = dated(q, answer, embedder).text
    assert text.startswith(
        "As of 21 October 2025: 14 people have died [1]. The reports of that day"
    )
    assert "17 as of 21 October 2025 [1]" in text and "Earlier reports" not in text


def test_a_part_of_the_count_is_no_rival_figure(embedder):
    """The toll's sentence says "after two of the critically injured died": the two are among
    the thirteen, not another report of the toll."""
    updates = DATA / "updates"
    name = "upd_06_pellbrook_derailment_line_reopens.txt"
    articles, _ = load_articles(updates, {name: updates / name})
    passages = [Passage(i, c, 1.0, 0.5, 2) for i, c in enumerate(chunk_article(articles[0]))]
    q = "How many people have died in the Pellbrook train derailment?"
    words = "Thirteen people are now known to have died"
    answer = _answer(q, passages, words, name, "13 people have died [1].")
    text = dated(q, answer, embedder).text
    assert text.startswith("As of ") and "differ" not in text and "two" not in text
