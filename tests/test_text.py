from qa.text import split_sentences, terms


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_abbreviations_and_initials_do_not_end_sentences():
    text = "Mr. Han met U.S. Secretary Blinken. J.D. Vance spoke later."
    assert _sentences(text) == ["Mr. Han met U.S. Secretary Blinken.", "J.D. Vance spoke later."]


def test_glued_sentences_are_split():
    text = "Your support makes all the difference.Secretary of State Antony Blinken met Monday."
    assert _sentences(text) == [
        "Your support makes all the difference.",
        "Secretary of State Antony Blinken met Monday.",
    ]


def test_quoted_speech_attribution_stays_with_its_quote():
    text = "“We will make it safe!” he added. Then they left."
    assert _sentences(text) == ["“We will make it safe!” he added.", "Then they left."]


def test_offsets_point_into_the_original_text():
    text = "  First one.\n\nSecond one?  Third!\n"
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == ["First one.", "Second one?", "Third!"]


def test_terms_normalize_stem_and_drop_stopwords():
    assert terms("The talks in Malta") == ["talk", "malta"]
    assert terms("Biden’s meetings") == terms("Biden's meeting")


def test_name_terms_are_the_names_and_numbers():
    from qa.text import name_terms

    assert name_terms("How much will the Millbrook bridge cost in 2025?") == {"millbrook", "2025"}
    assert name_terms("Who won the contract?") == set()
    assert name_terms("It will cost $4.8 million.") == {"48"}
