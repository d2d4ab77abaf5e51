"""Two sources' figures for one thing, set side by side in one sentence."""

import pytest

from qa.contrast import in_contrast
from qa.figures import counts_of, figures, unit


@pytest.mark.parametrize(
    "sentence, rivals",
    [
        (
            "The office said 2,900 homes were damaged, while the society counted 3,400, saying so.",
            True,
        ),
        ("The ministry said 14 people had died, while the governor put the toll at 17.", True),
        ("The agency measured 4 micrograms, while the lab measured 11 micrograms.", True),
        ("14 people died, while 30 were taken to hospital, officials said.", False),
        ("14 people died, but officials said 3 were children.", False),
        (
            "The storm killed 14 people, compared with 30 in a storm last year, the agency said.",
            False,
        ),
    ],
)
def test_two_sources_set_against_each_other_in_one_sentence(sentence, rivals):
    first, second = figures(sentence, set())
    counts = counts_of(sentence, first), counts_of(sentence, second)
    units = unit(sentence, first), unit(sentence, second)
    assert in_contrast(sentence, (first, second), counts, units) is rivals
