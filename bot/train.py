"""Fit the learned topic model (`python -m bot train`): every intents example and every tuning case, each
labelled with the topic of the card that answers it (or urgent / fallback / clarify).

Only cases that stand alone are used: a follow-up's right answer depends on the chat before it. A case
whose card no longer exists is left out and counted. The fit is scikit-learn's logistic regression (the
`train` extra): a well-kept solver, deterministic for the same files; reading a message needs numpy only.

Usage:
    pip install -e '.[train]'
    python -m bot train            # writes intents/<learned: model>, prints what it learned from
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot import learned
from bot.catalog import Catalog
from bot.evaluate import parse_cases

SPECIAL = ("urgent", "fallback", "clarify")
MIN_WORD_FILES = 2  # a word (or pair) seen in fewer examples than this says nothing general
MIN_CHAR_FILES = 3
STRENGTH = 10.0  # logistic regression's C: less smoothing than the default, the examples are many and short


@dataclass(frozen=True)
class Example:
    text: str
    label: str


@dataclass(frozen=True)
class Gathered:
    examples: tuple[Example, ...]
    skipped: Counter[str]  # why cases were left out: "follow-up", "card gone: <id>"
    files: tuple[Path, ...]


def label_of(catalog: Catalog, outcome: str) -> str | None:
    if outcome in SPECIAL:
        return outcome
    card = catalog.cards.get(outcome)
    return card.topic if card is not None else None


def gather(root: Path, catalog: Catalog, leave_out: Iterable[Path] = ()) -> Gathered:
    """`leave_out`: case files to fit without (cross-validation holds each fifth of the rounds out in turn)."""
    out = {p.resolve() for p in leave_out}
    files = [p for p in learned.sources(root, catalog.understanding.learned.train_on) if p.resolve() not in out]
    examples = [Example(e, t) for i in catalog.intents for e in i.examples if (t := label_of(catalog, i.card))]
    skipped: Counter[str] = Counter()
    for path in files:
        if path.parent.name == "intents":
            continue  # read with the catalog
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in parse_cases(data):
            label = label_of(catalog, case.expect[0])
            if case.after:
                skipped["follow-up"] += 1
            elif label is None:
                skipped[f"card gone: {case.expect[0]}"] += 1
            else:
                examples.append(Example(case.text, label))
    return Gathered(tuple(examples), skipped, tuple(files))


def vocabulary(texts: Sequence[str]) -> tuple[tuple[str, ...], np.ndarray]:
    """The features seen in enough examples, and their idf (smoothed, as scikit-learn computes it)."""
    df: Counter[str] = Counter()
    for text in texts:
        word_feats, chars = learned.features(text)
        df.update(word_feats.keys())
        df.update(chars.keys())
    kept = sorted(f for f, n in df.items() if n >= (MIN_WORD_FILES if f.startswith("w:") else MIN_CHAR_FILES))
    n = len(texts)
    idf = np.array([np.log((1 + n) / (1 + df[f])) + 1 for f in kept], dtype=np.float32)
    return tuple(kept), idf


def fit(examples: Iterable[Example], trained_on: tuple[str, ...] = ()) -> learned.TopicModel:
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]  # scikit-learn's own dependency
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    rows = list(examples)
    texts = [e.text for e in rows]
    vocab, idf = vocabulary(texts)
    index = {f: i for i, f in enumerate(vocab)}
    data: list[float] = []
    cols: list[int] = []
    starts = [0]
    for text in texts:
        c, v = learned.vector(text, index, idf.tolist())
        cols += c
        data += v
        starts.append(len(cols))
    x = csr_matrix((np.array(data, dtype=np.float64), np.array(cols), np.array(starts)), shape=(len(texts), len(vocab)))
    labels = sorted({e.label for e in rows})
    y = np.array([labels.index(e.label) for e in rows])
    clf = LogisticRegression(C=STRENGTH, max_iter=3000)
    clf.fit(x, y)
    # scikit-learn keeps one row per label (a single weight row when there are only two)
    coef = clf.coef_ if len(labels) > 2 else np.vstack([-clf.coef_[0] / 2, clf.coef_[0] / 2])
    bias = clf.intercept_ if len(labels) > 2 else np.array([-clf.intercept_[0] / 2, clf.intercept_[0] / 2])
    return learned.TopicModel(
        labels=tuple(labels),
        vocabulary=vocab,
        idf=idf,
        weights=coef.T.astype(np.float32),
        bias=bias.astype(np.float32),
        trained_on=trained_on,
    )


def train(root: Path, catalog: Catalog) -> tuple[learned.TopicModel, Gathered]:
    gathered = gather(root, catalog)
    stamps = tuple(learned.stamp(root, p) for p in gathered.files)
    return fit(gathered.examples, stamps), gathered
