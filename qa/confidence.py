"""Should a cited draft be shown? A calibrated probability that it is right.

The reader's own P(NOT FOUND) misses its confident mistakes: the cost of B's bridge given when A's
was asked (B's article is cited), or a name from the right sentence that the sentence gives for
something else. The signals below look at the draft, its quote and the reader's hesitation; a
logistic regression fitted on the development questions (`python -m qa calibrate`) turns them
into P(right), and the bot answers only when that reaches `Settings.min_confidence`, as
selective QA systems under domain shift do with a calibrator over several features rather than
the model's own probability. Signals tried and dropped are in the README ("Answer quality").
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .answers import Citation
from .embedding import Embedder
from .text import strip_markers, terms

PACKAGED = Path(__file__).with_name("calibration.json")
# What `signals` measures, and what a calibrator is fitted on.
SIGNALS = (
    "decline_log",
    "echo_in_quote",
    "question_in_quote",
    "similarity",
    "support",
    "token_min_log",
)


def _coverage(wanted: set[str], have: set[str]) -> float:
    return len(wanted & have) / len(wanted) if wanted else 1.0


def signals(
    question: str,
    text: str,
    citations: list[Citation],
    embedder: Embedder,
    support: float,
    decline_probability: float | None,
    token_probabilities: list[float],
) -> dict[str, float]:
    """What the calibrator reads about one cited draft; every value is a plain float."""
    asked = set(terms(question))
    in_quote = set(terms(" ".join(c.quote for c in citations)))
    echoed = set(terms(strip_markers(text))) & asked
    vectors = embedder.encode([question, *[c.quote for c in citations]])
    return {
        # The question's words the answer repeats ("... chairs the public safety committee")
        # must be in the quote too, or the quote gives its name for something else.
        "echo_in_quote": _coverage(echoed, in_quote),
        # How much of the question the quote speaks to, in words and in meaning.
        "question_in_quote": _coverage(asked, in_quote),
        "similarity": float(np.max(vectors[1:] @ vectors[0])) if citations else 0.0,
        "support": support,  # grounding's score of its weakest cited sentence
        # The reader's hesitation: its least likely token, often the very name or number it
        # answers with, and its P(NOT FOUND) at the first token.
        "token_min_log": min((math.log(max(p, 1e-9)) for p in token_probabilities), default=0.0),
        "decline_log": math.log10(max(decline_probability or 0.0, 1e-6)),
    }


@dataclass(frozen=True)
class Calibrator:
    """Logistic regression over standardized signals: P(right) of a cited draft."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float = 0.5  # the min_confidence chosen with it (see `choose_threshold`)

    def probability(self, values: dict[str, float]) -> float:
        z = self.bias
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.weights, strict=True):
            z += w * (values.get(name, mu) - mu) / sd
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def load(cls, path: str | Path = PACKAGED) -> Calibrator | None:
        """The calibrator saved at `path`; None when there is none (every draft is shown)."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return cls(
            tuple(raw["features"]),
            tuple(raw["mean"]),
            tuple(raw["scale"]),
            tuple(raw["weights"]),
            float(raw["bias"]),
            float(raw.get("threshold", 0.5)),
        )

    def save(self, path: str | Path, **about: object) -> None:
        data = {**about, **{k: v for k, v in self.__dict__.items()}}
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def fit(
        cls,
        rows: list[dict[str, float]],
        labels: list[bool],
        strength: float = 1.0,
        target: float = 0.95,
    ) -> Calibrator:
        """Fit on signal rows and whether each draft was right (scikit-learn, L2 penalty); the
        threshold is chosen on 5-fold out-of-fold probabilities, so it is not tuned on the very
        predictions it was fitted to."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        features = SIGNALS
        x = np.array([[r[f] for f in features] for r in rows], dtype=np.float64)
        y = np.array(labels, dtype=bool)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        x = (x - mean) / scale
        model = LogisticRegression(C=strength, max_iter=1000)
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        held_out = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
        model.fit(x, y)
        return cls(
            features,
            tuple(mean.tolist()),
            tuple(scale.tolist()),
            tuple(model.coef_[0].tolist()),
            float(model.intercept_[0]),
            choose_threshold(held_out.tolist(), labels, target),
        )


def choose_threshold(probabilities: list[float], labels: list[bool], target: float) -> float:
    """The lowest threshold (in steps of 0.05) at which the drafts kept are right at least
    `target` of the time; if none is, the one with the best such share."""
    p, y = np.array(probabilities), np.array(labels, dtype=bool)
    best, best_share = 0.5, -1.0
    for t in np.arange(0.0, 1.0, 0.05):
        kept = p >= t
        if not kept.any():
            break
        share = float(y[kept].mean())
        if share >= target:
            return round(float(t), 2)
        if share > best_share:
            best, best_share = round(float(t), 2), share
    return best
