"""Seeded synthetic catalogs (the shipped one scaled 10x, 100x) and the fixed message mix the benchmarks send.

A catalog that grows tenfold gets more ways of asking the same questions, and new words with them. So each
synthetic example is a real intent example with one to three edits (a word swapped, inserted or dropped),
kept on the real example's card. Replacement words come from the catalog's own words, drawn as often as the
catalog uses them (so "prednisone" stays the commonest word and its postings grow with the catalog), or from
new made-up words whose number grows like the square root of the catalog (Heaps' law). Same seed, same
catalog, byte for byte.

The files are written to a folder the caller chooses (a temporary one), never into the repository.
"""

from __future__ import annotations

import random
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.catalog import Catalog, load
from bot.normalize import basic

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "data" / "eval.yaml"
SEED = 20_240_601
NEW_WORD_SHARE = 0.3  # of the replacement words, how many are new words rather than the catalog's own
HEAPS_EXPONENT = 0.5  # vocabulary grows like (catalog size) ** this
INTENT_CHUNK = 50  # synthetic examples per synthetic intent
_ONSETS = ("b", "br", "c", "d", "dr", "f", "g", "k", "l", "m", "n", "p", "pr", "r", "s", "st", "t", "tr", "v", "z")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")
_CODAS = ("", "", "n", "r", "s", "l", "x", "m")


def load_catalog(root: Path = ROOT) -> Catalog:
    result = load(root)
    if result.catalog is None:
        raise SystemExit("\n".join(map(str, result.errors)))
    return result.catalog


def _new_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    words: list[str] = []
    while len(words) < count:
        syllables = rng.randint(2, 4)
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)) + rng.choice(_CODAS)
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


def synthetic_intents(catalog: Catalog, factor: int, seed: int = SEED) -> list[dict[str, object]]:
    """(factor - 1) x as many examples as the catalog has, as intent mappings ready for YAML."""
    rng = random.Random(f"{seed}:{factor}")
    real = [(intent, example) for intent in catalog.intents for example in intent.examples]
    counts = Counter(w for _, e in real for w in basic(e).split())
    vocabulary = sorted(counts)
    weights = [counts[w] for w in vocabulary]
    lexicon_words = {
        w
        for phrases in (*catalog.lexicon.conditions.values(), *catalog.lexicon.spelling.values())
        for p in phrases
        for w in basic(p).split()
    }
    new = _new_words(rng, round(len(vocabulary) * (factor**HEAPS_EXPONENT - 1)), set(vocabulary) | lexicon_words)
    seen = {" ".join(e.casefold().split()) for _, e in real}

    def replacement() -> str:
        if new and rng.random() < NEW_WORD_SHARE:
            return rng.choice(new)
        return rng.choices(vocabulary, weights)[0]

    by_intent: dict[str, list[str]] = {}
    target = (factor - 1) * len(real)
    made = 0
    while made < target:
        intent, example = rng.choice(real)
        words = basic(example).split()
        for _ in range(rng.randint(1, 3)):
            op = rng.random()
            if op < 0.5 or len(words) < 3:
                words[rng.randrange(len(words))] = replacement()
            elif op < 0.8:
                words.insert(rng.randrange(len(words) + 1), replacement())
            else:
                del words[rng.randrange(len(words))]
        text = " ".join(words)
        if text in seen:
            continue
        seen.add(text)
        by_intent.setdefault(intent.id, []).append(text)
        made += 1
    cards = {i.id: i.card for i in catalog.intents}
    out: list[dict[str, object]] = []
    for intent_id in sorted(by_intent):
        examples = by_intent[intent_id]
        for n in range(0, len(examples), INTENT_CHUNK):
            chunk = examples[n : n + INTENT_CHUNK]
            out.append({"id": f"zz-{intent_id}-{n // INTENT_CHUNK}"[:40], "card": cards[intent_id], "examples": chunk})
    return out


SYNTH_INTENTS_PER_FILE = 200


def write_catalog(dest: Path, factor: int, seed: int = SEED, source: Path = ROOT) -> Path:
    """The shipped catalog plus synthetic intents for `factor` x the examples, as YAML under `dest`."""
    for name in ("content", "intents"):
        shutil.copytree(source / name, dest / name, dirs_exist_ok=True)
    if factor > 1:
        intents = synthetic_intents(load_catalog(source), factor, seed)
        # in files of at most SYNTH_INTENTS_PER_FILE intents: the catalog refuses any file over 1 MB
        for n, start in enumerate(range(0, len(intents), SYNTH_INTENTS_PER_FILE)):
            part = intents[start : start + SYNTH_INTENTS_PER_FILE]
            text = yaml.safe_dump({"intents": part}, sort_keys=False, allow_unicode=True, width=1000)
            (dest / "intents" / f"zz-synthetic-{n:03d}.yaml").write_text(text, encoding="utf-8")
    return dest


# --- the message mix ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    kind: str  # in-scope | out-of-scope | follow-up
    text: str
    after: tuple[str, ...] = ()  # earlier messages of the same conversation (sent first, also timed)


MIX = (("in-scope", 6), ("out-of-scope", 2), ("follow-up", 2))  # out of every 10 conversations
MIX_ORDER = tuple(kind for kind, share in MIX for _ in range(share))


def message_mix(count: int, seed: int = SEED, path: Path = DEV_SET) -> list[Message]:
    """`count` conversations from the development set in a fixed 6:2:2 mix, shuffled with `seed`.

    In-scope: a case whose first expected answer is a card (urgent ones included); out-of-scope: a case
    whose only acceptable answer is the fallback; follow-up: a case with earlier messages (`after`).
    """
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    pools: dict[str, list[Message]] = {kind: [] for kind, _ in MIX}
    for c in cases:
        if c.get("after"):
            pools["follow-up"].append(Message("follow-up", c["text"], tuple(c["after"])))
        elif c["expect"] == ["fallback"]:
            pools["out-of-scope"].append(Message("out-of-scope", c["text"]))
        elif c["expect"][0] not in ("fallback", "clarify"):
            pools["in-scope"].append(Message("in-scope", c["text"]))
    rng = random.Random(seed)
    for pool in pools.values():
        rng.shuffle(pool)
    taken = dict.fromkeys(pools, 0)
    out = []
    for n in range(count):
        kind = MIX_ORDER[n % len(MIX_ORDER)]
        pool = pools[kind]
        out.append(pool[taken[kind] % len(pool)])
        taken[kind] += 1
    rng.shuffle(out)
    return out
