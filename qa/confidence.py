"""Should a cited draft be shown? A calibrated probability that it is right.

The reader's own P(NOT FOUND) misses its confident mistakes: the cost of B's bridge given when A's
was asked (B's article is cited), or a name from the right sentence that the sentence gives for
something else. The signals below look at the draft, its quote and the reader's hesitation; a
logistic regression fitted on the development questions (`python -m qa calibrate`) turns them
into P(right), and the bot answers only when that reaches `Settings.min_confidence`, as
selective QA systems under domain shift do with a calibrator over several features rather than
the model's own probability. Signals tried and dropped are in docs/quality.md.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .anchors import Vocabulary, anchors, other_nearer, weakest_level
from .answers import Citation, Passage
from .embedding import Embedder
from .question import timeless
from .text import strip_markers, terms

# What `signals` measures about every cited draft; the probes add theirs (probes.py).
SIGNALS = (
    "anchor_level",
    "anchors_given",
    "decline_log",
    "echo_in_quote",
    "other_nearer",
    "question_in_quote",
    "similarity",
    "support",
    "token_min_log",
)
# What the calibrator is fitted on by default: the signals that earned their place on the
# held-out questions (docs/quality.md). The anchor signals and the probes' are measured and
# saved with every evaluation, for refitting, but did not separate right from wrong drafts
# better than these.
FITTED = (
    "decline_log",
    "echo_in_quote",
    "question_in_quote",
    "similarity",
    "support",
    "token_min_log",
)
PROBE_SIGNALS = {"agreement": ("agree_share", "agree_distinct", "agree_declined")}


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
    passages: list[Passage] | None = None,
    article: Callable[[str], Vocabulary] | None = None,
) -> dict[str, float]:
    """What the calibrator reads about one cited draft; every value is a plain float."""
    asked = set(terms(timeless(question)))
    quotes = " ".join(c.quote for c in citations)
    in_quote = set(terms(quotes))
    echoed = set(terms(strip_markers(text))) & asked
    vectors = embedder.encode([question, *[c.quote for c in citations]])
    found = anchors(question)
    cited = {c.source for c in citations}
    given = passages or []
    excerpts = Vocabulary.of(" ".join(p.chunk.text for p in given if p.chunk.source in cited))
    articles = [article(s) for s in sorted(cited)] if article else []
    whole = Vocabulary(
        frozenset().union(*(a.words for a in articles)) if articles else excerpts.words,
        frozenset().union(*(a.numbers for a in articles)) if articles else excerpts.numbers,
    )
    return {
        # The question's names, numbers, years and dates, the weakest of them: 3 when the
        # quote holds them all, 2 when the cited excerpts do, 1 the cited article, 0 when one
        # is in none of them (asked about the 2004 quake, the article is about 2023's).
        "anchor_level": float(weakest_level(found, [Vocabulary.of(quotes), excerpts, whole])),
        # ... and whether the excerpts the reader was given hold them at all.
        "anchors_given": float(
            weakest_level(found, [Vocabulary.of(" ".join(p.chunk.text for p in given))])
        ),
        # Another name, number or year of the asked kind stands nearer the answer in the quote
        # than the one asked about: the mayor of the town beside it.
        "other_nearer": other_nearer(question, strip_markers(text), quotes),
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
class Tree:
    """One regression tree of a boosted calibrator, as flat arrays (scikit-learn's layout):
    node k splits on `feature[k] <= threshold[k]`; a leaf (left -1) adds its `value`."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]

    def __call__(self, x: list[float]) -> float:
        k = 0
        while self.left[k] >= 0:
            k = self.left[k] if x[self.feature[k]] <= self.threshold[k] else self.right[k]
        return self.value[k]


@dataclass(frozen=True)
class Calibrator:
    """P(right) of a cited draft from its standardized signals: a logistic regression, or
    gradient-boosted trees (`trees`) where signals matter only together (an anchor missing
    from the quote is harmless when the swap probe finds the answer bound to it)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float = 0.5  # the min_confidence chosen with it (see `choose_threshold`)
    unsure_threshold: float = 0.5  # the min_unsure chosen with it
    trees: tuple[Tree, ...] = ()

    def probability(self, values: dict[str, float]) -> float:
        x = []
        for name, mu, sd in zip(self.features, self.mean, self.scale, strict=True):
            value = values.get(name, mu)
            x.append(((mu if math.isnan(value) else value) - mu) / sd)
        if self.trees:
            z = self.bias + sum(tree(x) for tree in self.trees)
        else:
            z = self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def load(cls, path: str | Path) -> Calibrator | None:
        """The calibrator saved at `path`; None when there is no such file."""
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
            float(raw.get("unsure_threshold", raw.get("threshold", 0.5))),
            tuple(Tree(*(tuple(a) for a in t)) for t in raw.get("trees", [])),
        )

    def dumps(self, **about: object) -> str:
        """The calibrator as JSON, with `about` (what it was fitted on, for which reader)."""
        data = {**about, **dataclasses.asdict(self)}
        data["trees"] = [list(t.values()) for t in data["trees"]]
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def fit(
        cls,
        rows: list[dict[str, float]],
        labels: list[bool],
        strength: float = 1.0,
        target: float = 0.90,
        features: tuple[str, ...] = FITTED,
        unsure_target: float = 0.5,
        boosted: bool = False,
    ) -> Calibrator:
        """Fit on signal rows and whether each draft was right (scikit-learn: L2-penalized
        logistic regression, or shallow gradient-boosted trees); a signal a row lacks (NaN: a
        probe with nothing to swap) counts as the mean. Both thresholds are chosen on 5-fold
        out-of-fold probabilities, so they are not tuned on the very predictions the model was
        fitted to."""
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        x = np.array([[r.get(f, math.nan) for f in features] for r in rows], dtype=np.float64)
        y = np.array(labels, dtype=bool)
        mean = np.nan_to_num(np.nanmean(x, axis=0))
        x = np.where(np.isnan(x), mean, x)
        scale = x.std(axis=0)
        scale[scale == 0] = 1.0
        x = (x - mean) / scale
        model = _model(strength, boosted)
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        held_out = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
        model.fit(x, y)
        threshold = choose_threshold(held_out.tolist(), labels, target)
        unsure = choose_unsure(held_out.tolist(), labels, threshold, unsure_target)
        common = (tuple(features), tuple(mean.tolist()), tuple(scale.tolist()))
        if not boosted:
            weights = tuple(model.coef_[0].tolist())
            return cls(*common, weights, float(model.intercept_[0]), threshold, unsure)
        trees = tuple(_tree(e[0].tree_, model.learning_rate) for e in model.estimators_)
        bias = float(model.decision_function(x[:1])[0]) - sum(t(list(x[0])) for t in trees)
        return cls(*common, (0.0,) * len(features), bias, threshold, unsure, trees)


def _model(strength: float, boosted: bool):
    if boosted:
        from sklearn.ensemble import GradientBoostingClassifier

        return GradientBoostingClassifier(
            n_estimators=60, max_depth=2, learning_rate=0.1, subsample=0.8, random_state=0
        )
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=strength, max_iter=1000)


def _tree(tree, rate: float) -> Tree:
    """A fitted scikit-learn tree as a `Tree`, its leaves scaled by the learning rate."""
    return Tree(
        tuple(int(f) for f in tree.feature),
        tuple(float(t) for t in tree.threshold),
        tuple(int(k) for k in tree.children_left),
        tuple(int(k) for k in tree.children_right),
        tuple(float(v) * rate for v in tree.value[:, 0, 0]),
    )


def choose_unsure(
    probabilities: list[float], labels: list[bool], confident: float, target: float
) -> float:
    """The lowest threshold (in steps of 0.05, up to `confident`) at which the drafts shown as
    unsure, those between it and `confident`, are right at least `target` of the time: an
    unsure reply is worth reading only if its quote often holds the answer."""
    p, y = np.array(probabilities), np.array(labels, dtype=bool)
    for t in np.arange(0.0, confident, 0.05):
        between = (p >= t) & (p < confident)
        if between.any() and float(y[between].mean()) >= target:
            return round(float(t), 2)
    return confident


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
