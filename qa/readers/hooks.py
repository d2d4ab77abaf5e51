"""Logit hooks: see (and may change) the logits of each generated token, on either backend.
The decline decision at the first token, a yes/no probe, each picked token's probability, and a
mask that lets the reader write only a span copied from the passages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def probabilities(scores) -> np.ndarray:
    """The softmax of one row of logits, from either backend (a torch row batch or numpy)."""
    row = np.asarray(scores.float() if hasattr(scores, "float") else scores, np.float64)
    row = np.exp(row.reshape(-1) - row.max())
    return row / row.sum()


def log_softmax(row: np.ndarray) -> np.ndarray:
    """The log-probabilities of one row of logits."""
    row = np.asarray(row, np.float64)
    shifted = row - row.max()
    return shifted - np.log(np.exp(shifted).sum())


class DeclineGate:
    """Takes the decline decision at the first answer token, explicitly and measurably.

    The reply starts with NOT FOUND exactly when the model's probability of that start reaches
    `threshold`; otherwise that start is barred and the model answers. The probability is kept
    (and reported per question by `python -m qa eval --json`), so the threshold can be chosen
    from data rather than left to the greedy pick. One gate per generation; it works on the
    logits of either backend (a torch row batch or a numpy vector).
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
# TokenProbabilities, a CopyConstraint, or several chained.
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


class CopyConstraint:
    """Lets the reader write only words copied from `source`: a logits mask, so the reply is by
    construction a span of the excerpts (extractive decoding with a generative model). Each
    token must continue some occurrence of the text so far; a span starts at a word and may end
    (the `end_ids` token) only after a whole word. Works on bytes, as byte-level tokens may hold
    half a character."""

    def __init__(self, source: str, vocab: dict[bytes, list[int]], pieces: list[bytes], end_ids):
        self.source = source.encode()
        self.vocab, self.pieces, self.end_ids = vocab, pieces, list(end_ids)
        self.longest = max(map(len, vocab), default=1)
        self._prompt: int | None = None

    def _occurrences(self, written: bytes) -> list[int]:
        """Where in the source a continuation of `written` would go on."""
        src = self.source
        if not written:  # a word's start, or the space before it
            return [
                i
                for i in range(len(src))
                if (src[i : i + 1].isalnum() and (i == 0 or not src[i - 1 : i].isalnum()))
                or (src[i : i + 1] == b" " and src[i + 1 : i + 2].isalnum())
            ]
        found, at = [], src.find(written)
        while at >= 0:
            found.append(at + len(written))
            at = src.find(written, at + 1)
        return found

    def allowed(self, written: bytes) -> list[int]:
        """Token ids that keep the reply a span of the source."""
        ids: set[int] = set()
        ends = False
        for at in self._occurrences(written):
            rest = self.source[at : at + self.longest].split(b"\n")[0]
            for n in range(1, len(rest) + 1):
                ids.update(self.vocab.get(rest[:n], ()))
            if written.strip() and not self.source[at : at + 1].isalnum():
                ends = True
        if ends or not ids:
            ids.update(self.end_ids)
        return sorted(ids)

    def __call__(self, input_ids, scores):
        row_ids = (input_ids[0] if getattr(input_ids, "ndim", 1) == 2 else input_ids).tolist()
        if self._prompt is None:
            self._prompt = len(row_ids)
        written = b"".join(self.pieces[i] for i in row_ids[self._prompt :])
        keep = self.allowed(written)
        masked = scores.clone() if hasattr(scores, "clone") else scores.copy()
        masked[...] = float("-inf")
        masked[..., keep] = scores[..., keep]
        return masked


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
