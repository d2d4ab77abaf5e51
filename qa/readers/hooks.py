"""What the pipeline asks of a reply beyond its text, as logit hooks that see (and may change)
the logits of each generated token (the transformers reader runs them as logits processors):
the decline decision at the first token, a yes/no probe, each picked token's probability. The
served reader reads the same from the server's `logprobs` and fills in the same objects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def probabilities(scores) -> np.ndarray:
    """The softmax of one row of logits (a torch row batch or a numpy vector)."""
    row = np.asarray(scores.float() if hasattr(scores, "float") else scores, np.float64)
    row = np.exp(row.reshape(-1) - row.max())
    return row / row.sum()


class DeclineGate:
    """Takes the decline decision at the first answer token, explicitly and measurably.

    The reply starts with NOT FOUND exactly when the model's probability of that start reaches
    `threshold`; otherwise that start is barred and the model answers. The probability is kept
    (and reported per question by `python -m qa eval --json`), so the threshold can be chosen
    from data rather than left to the greedy pick. One gate per generation; it works on the
    logits a hook is handed (a torch row batch or a numpy vector).
    """

    def __init__(self, threshold: float):
        self.threshold = threshold
        self.probability: float | None = None
        self.token_ids: list[int] = []  # set by the reader: the tokens that start NOT FOUND

    def __call__(self, input_ids, scores):
        if self.probability is not None or not self.token_ids:
            return scores
        self.probability = float(probabilities(scores)[self.token_ids].sum())
        scores = scores.clone() if hasattr(scores, "clone") else scores.copy()
        if self.probability >= self.threshold:
            scores[...] = float("-inf")
            scores[..., self.token_ids[0]] = 0.0
        else:
            scores[..., self.token_ids] = float("-inf")
        return scores


# Sees (and may change) the logits of each generated token: a DeclineGate, a YesNoProbe, a
# TokenProbabilities, or several chained.
LogitsHook = Callable[[Any, Any], Any]


class YesNoProbe:
    """Reads P(yes) against P(no) from the first-token logits of a reply; changes nothing.

    Used to ask the model a yes/no question (see verification.py) and keep its confidence rather
    than its greedy word, so the acceptance threshold can be chosen from data.
    """

    def __init__(self, yes_ids: list[int], no_ids: list[int]):
        self.yes_ids, self.no_ids = yes_ids, no_ids
        self.probability: float | None = None

    def __call__(self, input_ids, scores):
        if self.probability is None:
            row = probabilities(scores)
            yes, no = row[self.yes_ids].sum(), row[self.no_ids].sum()
            self.probability = float(yes / (yes + no))
        return scores


class TokenProbabilities:
    """Records the probability of each token the reader picks (greedy: the largest), after any
    earlier hook changed the logits; changes nothing. A low one marks where the model hesitated,
    often the very name or number it answers with (a signal for confidence.py)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def __call__(self, input_ids, scores):
        self.values.append(float(probabilities(scores).max()))
        return scores


def chain(*hooks: LogitsHook | None) -> LogitsHook | None:
    """One hook that runs `hooks` in order (None when there are none)."""
    present = [h for h in hooks if h is not None]
    if len(present) <= 1:
        return present[0] if present else None

    def run(input_ids, scores):
        for hook in present:
            scores = hook(input_ids, scores)
        return scores

    return run
