"""A second opinion on the topic, learned from past questions: what people asked and which card was right.

Hand-written patterns catch the wordings someone thought of; people keep finding new ones. This model was
fitted (`python -m bot train`, logistic regression over word pairs and letter groups) on every example in
`intents/` and every case of the tuning sets, and it reads a message whole. The router stays in charge: the
model only replaces a weak decision (the closest example, a topic's words, a below-the-bar score or the
overview for a named condition) when it is sure enough, never a fixed phrase, an out-of-scope word, another
drug, a follow-up or an emergency the rules found; and it never picks the condition, which the rules decide.
It may add an emergency the rules missed, in a message about prednisone, LEMS or ALS.

Pure: the model is plain arrays, loaded with the catalog; `features` is shared with training, so what is
learned and what is read are the same by construction.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

WORD = re.compile(r"[^\W_]{2,}")  # words of two letters or more, any alphabet ("é", "я")
CHAR_SIZES = (3, 4, 5)  # letter groups inside each word, with a space at each end (" pred", "ison ")
MAX_CHARS = 1000  # a long story is read on its start, as the matcher does (SPEC §6)
SHOWN_WORDS = 3
GRAM_CACHE = 1 << 16  # words whose letter-group rows are kept (a cache, emptied when full)
_NONE = np.zeros(0, dtype=np.int64)
MAX_SOURCE_BYTES = 16 << 20  # a training file bigger than this is not read for its checksum


def words(text: str) -> list[str]:
    return WORD.findall(text[:MAX_CHARS].lower())


def features(text: str) -> tuple[Counter[str], Counter[str]]:
    """Word and word-pair counts ("w:side", "w:side effects"), and letter-group counts ("c: si")."""
    ws = words(text)
    word_feats = Counter(f"w:{w}" for w in ws)
    word_feats.update(f"w:{a} {b}" for a, b in itertools.pairwise(ws))
    return word_feats, Counter(itertools.chain.from_iterable(map(_grams, ws)))


@functools.lru_cache(maxsize=1 << 16)
def _grams(word: str) -> tuple[str, ...]:
    """A word's letter groups, worked out once per word (people reuse their words; the bar is 1 ms a message)."""
    padded = f" {word} "
    return tuple(f"c:{padded[i : i + n]}" for n in CHAR_SIZES for i in range(len(padded) - n + 1))


def weigh(counts: Counter[str], index: dict[str, int], idf: Sequence[float]) -> tuple[list[int], list[float]]:
    """tf-idf with a log tf, unit length: the same weighting at training and at reading."""
    rows, values = [], []
    for f, n in counts.items():
        i = index.get(f)
        if i is not None:
            rows.append(i)
            values.append((1.0 + math.log(n)) * idf[i] if n > 1 else idf[i])
    norm = math.sqrt(sum(v * v for v in values))
    return rows, [v / norm for v in values] if norm else values


def vector(text: str, index: dict[str, int], idf: Sequence[float]) -> tuple[list[int], list[float]]:
    word_feats, chars = features(text)
    r1, v1 = weigh(word_feats, index, idf)
    r2, v2 = weigh(chars, index, idf)
    return r1 + r2, v1 + v2


@dataclass(frozen=True)
class Guess:
    """What the model reads a message as: its best label (a topic, or urgent / fallback / clarify)."""

    label: str
    share: float  # its probability, 0..1
    urgent: float  # the probability of an emergency, whatever the best label
    words: tuple[str, ...] = ()  # the words that weighed most for the label, for `why`

    def as_text(self) -> str:
        shown = ", ".join(repr(w) for w in self.words)
        return f"{self.label} ({self.share:.2f})" + (f", mostly on {shown}" if shown else "")


@dataclass(frozen=True)
class TopicModel:
    labels: tuple[str, ...]
    vocabulary: tuple[str, ...]
    idf: np.ndarray  # one per feature
    weights: np.ndarray  # features x labels
    bias: np.ndarray  # one per label
    fingerprint: str = ""  # of what it was trained on (`train.fingerprint`): `check` says when it is stale
    trained_on: tuple[str, ...] = ()  # the files, relative to the catalog root
    index: dict[str, int] = field(init=False, repr=False, compare=False)
    idf_list: list[float] = field(init=False, repr=False, compare=False)  # read one at a time: faster than numpy
    gram_cache: dict[str, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {f: i for i, f in enumerate(self.vocabulary)})
        object.__setattr__(self, "idf_list", self.idf.tolist())
        object.__setattr__(self, "gram_cache", {})

    def read(self, text: str) -> Reading | None:
        """Every label's probability for the message; None when it has no word or letter group the model knows.

        The same numbers as `vector` (which training uses), the letter groups counted with numpy: a long story
        has thousands, and the bar is 1 ms a message."""
        ws = words(text)
        index = self.index
        said = [f"w:{w}" for w in ws] + [f"w:{a} {b}" for a, b in itertools.pairwise(ws)]
        word_rows, word_values = self._weigh(np.array([r for r in map(index.get, said) if r is not None]))
        grams = [self._gram_rows(w) for w in ws]
        char_rows, char_values = self._weigh(np.concatenate(grams) if grams else _NONE)
        rows = np.concatenate((word_rows, char_rows))
        if not len(rows):
            return None
        weights = np.concatenate((word_values, char_values)).astype(np.float32)
        found = self.weights[rows]
        scores = self.bias + weights @ found
        scores = np.exp(scores - scores.max())
        return Reading(self, tuple(rows.tolist()), scores / scores.sum(), found * weights[:, None])

    def _weigh(self, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`weigh` for a block of feature rows (with repeats), in numpy."""
        rows, counts = np.unique(found.astype(np.int64), return_counts=True)
        values = np.where(counts > 1, 1.0 + np.log(np.maximum(counts, 1)), 1.0) * self.idf[rows]
        norm = float(np.sqrt(values @ values))
        return rows, values / norm if norm else values

    def _gram_rows(self, word: str) -> np.ndarray:
        """The rows of a word's known letter groups (with repeats), kept per word: people reuse their words."""
        rows = self.gram_cache.get(word)
        if rows is None:
            if len(self.gram_cache) >= GRAM_CACHE:
                self.gram_cache.clear()
            known = (self.index.get(g) for g in _grams(word))
            rows = np.array([r for r in known if r is not None], dtype=np.int64)
            self.gram_cache[word] = rows
        return rows

    def guess(self, text: str, skip: Iterable[str] = ()) -> Guess | None:
        reading = self.read(text)
        return reading.best(skip) if reading is not None else None


@dataclass(frozen=True)
class Reading:
    """One message as the model read it: read once, asked twice (an emergency? which topic?)."""

    model: TopicModel
    rows: tuple[int, ...]  # the features found
    probs: np.ndarray  # one per label
    contrib: np.ndarray  # features found x labels: what each added to each label's score

    @property
    def urgent(self) -> float:
        labels = self.model.labels
        return float(self.probs[labels.index("urgent")]) if "urgent" in labels else 0.0

    def share(self, label: str) -> float:
        labels = self.model.labels
        return float(self.probs[labels.index(label)]) if label in labels else 0.0

    def best(self, skip: Iterable[str] = ()) -> Guess | None:
        """The most likely label but those in `skip`, with the words that weighed most for it."""
        labels, vocabulary = self.model.labels, self.model.vocabulary
        skipped = set(skip)
        order = [int(i) for i in np.argsort(-self.probs) if labels[int(i)] not in skipped]
        if not order:
            return None
        best = order[0]
        ranked = np.argsort(-self.contrib[:, best])
        found = (vocabulary[self.rows[i]] for i in ranked.tolist())
        shown = itertools.islice((f[2:] for f in found if f.startswith("w:") and _telling(f[2:])), SHOWN_WORDS)
        return Guess(labels[best], float(self.probs[best]), self.urgent, tuple(shown))


def _telling(word: str) -> bool:
    """Worth showing an admin: a pair of words, or a word longer than "and", "you", "how"."""
    return " " in word or len(word) > 3


def save(model: TopicModel, path: Path) -> None:
    np.savez_compressed(
        path,
        labels=np.array(model.labels),
        vocabulary=np.array(model.vocabulary),
        idf=model.idf.astype(np.float32),
        weights=model.weights.astype(np.float16),  # half the size; the scores move by less than 0.01
        bias=model.bias.astype(np.float32),
        fingerprint=np.array(model.fingerprint),
        trained_on=np.array(model.trained_on),
    )


def read(path: Path) -> TopicModel:
    """Raises OSError or ValueError (or KeyError for a missing array): the catalog loader reports it."""
    with np.load(path, allow_pickle=False) as z:
        return TopicModel(
            labels=tuple(str(x) for x in z["labels"]),
            vocabulary=tuple(str(x) for x in z["vocabulary"]),
            idf=z["idf"].astype(np.float32),
            weights=z["weights"].astype(np.float32),
            bias=z["bias"].astype(np.float32),
            fingerprint=str(z["fingerprint"]),
            trained_on=tuple(str(x) for x in z["trained_on"]),
        )


def sources(root: Path, train_on: Iterable[str]) -> list[Path]:
    """What a model is trained on: the intents' example files and the case files `train_on` names."""
    rules = ("lexicon.yaml", "understanding.yaml")  # words and rules, not examples
    intents = sorted(p for p in (root / "intents").glob("*.yaml") if p.name not in rules)
    cases = sorted({p for pattern in train_on for p in root.glob(pattern)})
    return [p for p in (*intents, *cases) if _plain_file(p)]


def _plain_file(path: Path) -> bool:
    """A regular file of a sane size: never a pipe or a device (the catalog refuses those with file:line)."""
    try:
        return path.is_file() and path.stat().st_size <= MAX_SOURCE_BYTES
    except OSError:
        return False


def stamp(root: Path, path: Path) -> str:
    """ "<sha256, 16 hex> <path from root>": one line of `TopicModel.trained_on`."""
    return f"{hashlib.sha256(path.read_bytes()).hexdigest()[:16]} {path.relative_to(root).as_posix()}"


def changed_since(model: TopicModel, root: Path, train_on: Iterable[str]) -> list[str]:
    """The training files changed, added or removed since the model was trained (those still on disk: an image
    shipped without tests/data checks only its intents)."""
    recorded = {rel: sha for sha, rel in (line.split(" ", 1) for line in model.trained_on if " " in line)}
    now = {p.relative_to(root).as_posix(): p for p in sources(root, train_on)}
    changed = [rel for rel, p in now.items() if recorded.get(rel) != stamp(root, p).split(" ", 1)[0]]
    gone = [rel for rel in recorded if rel.startswith("intents/") and rel not in now]
    return sorted(changed + gone)
