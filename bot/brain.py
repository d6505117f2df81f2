"""The one object every adapter talks to: message in, Reply out, context kept, catalog swappable.

Telegram, the console and the batch mode all call `reply` and `press`; what they send is whatever the
renderer made, so the disclaimer and the routing rules are the same everywhere. A reload builds a whole
new Router first and swaps it in one assignment, so a message never sees half a catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.catalog import Catalog
from bot.context import ContextStore, MemoryContextStore
from bot.render import Reply, render
from bot.router import Decision, Router


@dataclass(frozen=True)
class Turn:
    decision: Decision
    reply: Reply


class Brain:
    def __init__(self, catalog: Catalog, store: ContextStore | None = None) -> None:
        self.router = Router(catalog)
        self.store: ContextStore = store if store is not None else MemoryContextStore()

    @property
    def catalog(self) -> Catalog:
        return self.router.catalog

    def swap(self, catalog: Catalog) -> None:
        """Replace the live catalog; the new index is built before the switch."""
        self.router = Router(catalog)

    def turn(self, text: str, key: str, now: float) -> Turn:
        router = self.router
        decision = router.route(text, key, self.store, now)
        return Turn(decision, render(router.catalog, decision))

    def reply(self, text: str, key: str, now: float) -> Reply:
        return self.turn(text, key, now).reply

    def press(self, card_id: str, key: str, now: float) -> Reply:
        router = self.router
        return render(router.catalog, router.show(card_id, key, self.store, now))
