"""What the reader is given: the sentences that bear on the question, as runs of article text."""

from pathlib import Path

from qa.documents import load_articles

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_excerpts_are_short_runs_of_the_articles_own_text(seed_qa):
    texts = {a.source: a.text for a in load_articles(SEEDS)[0]}
    question = "Where did Jake Sullivan and Wang Yi hold talks?"
    excerpts = seed_qa.retrieve(question)
    budget = seed_qa.settings.context_chars
    assert excerpts and sum(len(p.chunk.text) for p in excerpts) <= budget * 1.3
    assert "Malta" in " ".join(p.chunk.text for p in excerpts)
    for p in excerpts:
        c = p.chunk
        assert texts[c.source][c.start : c.end] == c.text
        assert [texts[c.source][s.start : s.end] for s in c.sentences]  # whole sentences
        assert c.sentences[0].start == c.start and c.sentences[-1].end == c.end


def test_the_excerpts_come_from_more_passages_than_the_reader_used_to_read(seed_qa):
    """Sentences are picked from the best `top_k` passages, not the first three whole."""
    excerpts = seed_qa.retrieve("Who met Blinken at the UN, and who did Wang Yi meet in Moscow?")
    assert len(excerpts) >= 2
    text = " ".join(p.chunk.text for p in excerpts)
    assert "Han Zheng" in text and "Lavrov" in text


def test_a_question_naming_a_place_some_articles_hold_reads_those_first(seed_qa):
    """Anchor-aware retrieval: articles that lack the question's name rank below."""
    from qa.anchors import anchors

    question = "What did Han Zheng say in Singapore?"
    seed_qa.refresh()
    passages = seed_qa.retriever.retrieve(question, 8)
    singapore = anchors(question)[-1]
    held = [seed_qa.retriever.vocabulary(p.chunk.source).holds(singapore) for p in passages]
    assert any(not h for h in held)  # other articles were found too,
    assert held == sorted(held, reverse=True)  # and rank below every one that names it


def test_a_question_about_the_latest_state_reads_the_newest_report(tmp_path, settings):
    """The Karsa quake was reported three times; the newest report (21 Sep) holds the toll."""
    from qa import QA

    reports = Path(__file__).parent.parent / "qa" / "devsets" / "reports"
    qa = QA(reports, tmp_path / "index", settings)
    excerpts = qa.retrieve("How many people have died in the Karsa Province earthquake so far?")
    newest = [p for p in excerpts if p.chunk.source == "rep_07_karsa_quake_rescue.txt"]
    assert any("31 people had been killed" in p.chunk.text for p in newest)


def test_a_latest_question_about_one_years_event_reads_that_events_reports_first(
    tmp_path, settings
):
    """Newer reports count only among those about the event asked: a question about the 2023
    Dravik quake is not updated by a 2025 article about another quake, though it is newer and
    matches the question's words as well."""
    from qa import QA

    folder = tmp_path / "articles"
    folder.mkdir()
    stories = {
        "dravik_first.txt": ("2023-05-01", "Quake kills 9 in Dravik", "killed nine people"),
        "dravik_update.txt": ("2023-05-03", "Dravik quake toll rises to 14", "killed 14 people"),
        "orsk_2025.txt": ("2025-02-11", "Earthquake toll rises to 30", "killed 30 people"),
    }
    for name, (date, title, said) in stories.items():
        town = "Orsk" if "orsk" in name else "Dravik"
        (folder / name).write_text(
            f"---\ntitle: {title}\ndate: {date}\n---\n{title}\n\nThe earthquake that struck "
            f"{town} has {said}, officials said, as rescuers searched collapsed homes.\n",
            encoding="utf-8",
        )
    qa = QA(folder, tmp_path / "index", settings)
    excerpts = qa.retrieve("What is the latest death toll of the 2023 Dravik earthquake?")
    order = list(dict.fromkeys(p.chunk.source for p in excerpts))
    assert order[:2] == ["dravik_update.txt", "dravik_first.txt"]
    assert qa.retriever.about("the 2023 Dravik earthquake", set(order)) == {
        "dravik_first.txt",
        "dravik_update.txt",
    }
