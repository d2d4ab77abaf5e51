"""The question's anchors and the weakest-anchor check."""

from qa.anchors import Vocabulary, anchors, numbers, weakest_level


def _kinds(question: str) -> list[tuple[str, str]]:
    return [(a.text, a.kind) for a in anchors(question)]


def test_names_numbers_years_and_dates_are_anchors_ordinary_words_are_not():
    assert _kinds("Which Riverton council member chairs the public safety committee?") == [
        ("Riverton", "name")
    ]
    assert _kinds("What magnitude did the USGS give for the 2017 Mexico earthquake?") == [
        ("USGS", "name"),
        ("Mexico", "name"),
        ("2017", "year"),
    ]
    assert _kinds("What happened on Tuesday, June 3?") == [
        ("Tuesday", "date"),
        ("June", "date"),
        ("3", "number"),
    ]


def test_a_possessive_ends_a_name():
    assert _kinds("How much did Hartwell Construction bid for Cedar Hollow's Third Street?") == [
        ("Hartwell Construction", "name"),
        ("Cedar Hollow's", "name"),
        ("Third Street", "name"),
    ]


def test_numbers_match_whatever_their_separators():
    text = Vocabulary.of("At least 1,394 people died; the 14.2 million figure was revised.")
    assert all(text.holds(a) for a in anchors("Were 1394 dead or $14.2 million spent?"))
    assert numbers("Eighty-one, twenty two and 14,200,000") == {"81", "22", "14200000"}
    assert numbers("$14.2 million, 3.5bn") == {"14200000", "3500000000"}


def test_the_weakest_anchor_decides_the_level():
    """A paraphrase keeps its anchors; one missing year is enough to make it another event."""
    sentence = Vocabulary.of("The 2023 quake near Dravik killed 41 people.")
    article = Vocabulary.of("Dravik was struck in 2023. A 2004 quake was smaller.")
    levels = [sentence, sentence, article]
    assert weakest_level(anchors("How many lost their lives in Dravik in 2023?"), levels) == 3
    assert weakest_level(anchors("How many died in Dravik in 2004?"), levels) == 1
    assert weakest_level(anchors("How many died in Dravik in 1999?"), levels) == 0
    assert weakest_level(anchors("how many died?"), levels) == 3  # nothing to pin down
