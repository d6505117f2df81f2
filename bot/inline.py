"""Which cards an inline query (`@bot question` in any chat) offers, best first, and a small cache for them.

Pure, like the rest of the core: the router decides, exactly as it would for the same message in a chat
with no context, and this module turns that decision into a short list of shareable cards:
* an empty query lists the main topics;
* an urgent query lists the `urgent` card first (and alone: nothing should compete with "call for help");
* otherwise the card the bot would answer with, then the clarify or fallback options, then the other
  topics the matcher found, each swapped for the variant of the condition the query names, and never a
  card of the other condition.

`TtlCache` keeps recent answers keyed by the normalised query, so "Side effects?" and "side effects" are
ranked once; entries expire after `ttl` seconds and the least recently used go first. Time is passed in.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

from bot.context import MemoryContextStore
from bot.router import Router

MAIN_TOPICS = ("prednisone", "lems", "als", "side-effects", "compare", "sources")
NOT_SHAREABLE = frozenset({"welcome", "smalltalk", "about"})  # card topics never offered inline
MIN_CANDIDATE_SCORE = 40.0
MAX_RESULTS = 8

K = TypeVar("K")
V = TypeVar("V")


def inline_cards(router: Router, text: str, now: float = 0.0, limit: int = MAX_RESULTS) -> tuple[str, ...]:
    """Card ids for an inline query, best first, at most `limit`."""
    catalog = router.catalog
    main = tuple(c for c in MAIN_TOPICS if c in catalog.cards)
    if not text.strip():
        return main[:limit]
    decision = router.route(text, "inline", MemoryContextStore(max_chats=1), now)
    if decision.kind == "urgent":
        return ("urgent",) if "urgent" in catalog.cards else main[:limit]
    cond = decision.condition
    ids: list[str] = []
    if decision.card:
        ids.append(decision.card)
    ids += decision.options
    for cand in decision.candidates:
        card = catalog.cards.get(cand.card)
        if card is None or cand.score < MIN_CANDIDATE_SCORE:
            continue
        if cond is not None:
            variant = catalog.variant(card.topic, cond)
            ids.append(variant.id if variant else card.id)
        elif card.condition == "general":
            ids.append(card.id)
        else:  # a condition topic with no condition named: offer both, the user knows which one they mean
            ids += [v.id for c in ("lems", "als") if (v := catalog.variant(card.topic, c))]
    shareable = [
        cid
        for cid in dict.fromkeys(ids)
        if cid in catalog.cards
        and catalog.cards[cid].topic not in NOT_SHAREABLE
        and catalog.cards[cid].topic != "urgent"
        and catalog.cards[cid].condition in ("general", cond or catalog.cards[cid].condition)
    ]
    return tuple(shareable[:limit]) or main[:limit]


class TtlCache(Generic[K, V]):
    """A small LRU cache whose entries expire; `hits` and `misses` say how well it works."""

    def __init__(self, max_items: int = 512, ttl: float = 60.0) -> None:
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._max = max_items
        self._ttl = ttl
        self.hits = 0
        self.misses = 0

    def get(self, key: K, now: float) -> V | None:
        entry = self._data.get(key)
        if entry is None or now - entry[0] > self._ttl:
            if entry is not None:
                del self._data[key]
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: K, value: V, now: float) -> None:
        self._data[key] = (now, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
