"""The one object every surface talks to: message in, Reply out, context kept, catalog swappable.

Telegram, the web chat, the console and the batch mode all ask the Brain; what they send is whatever the
renderer made, so the disclaimer and the routing rules are the same everywhere. The Brain gets and saves
each conversation's context around the pure router: `turn`/`press` with a store that answers at once
(memory, SQLite), `aturn`/`apress` with one that is awaited (a networked store), so no chat waits on
another's store call. A reload builds a whole new Router first and swaps it in one assignment, so a
message never sees half a catalog.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Protocol, cast

from bot.catalog import Catalog
from bot.context import ChatContext, ContextStore, MemoryContextStore
from bot.render import Reply, render
from bot.router import Decision, Routed, Router


class AsyncContextStore(Protocol):
    """A context store reached over the network: the same two calls, awaited."""

    async def get(self, key: str) -> ChatContext | None: ...

    async def put(self, key: str, context: ChatContext) -> None: ...


@dataclass(frozen=True)
class Turn:
    decision: Decision
    reply: Reply


class Brain:
    def __init__(self, catalog: Catalog, store: ContextStore | AsyncContextStore | None = None) -> None:
        self.router = Router(catalog)
        self.store: ContextStore | AsyncContextStore = store if store is not None else MemoryContextStore()

    @property
    def catalog(self) -> Catalog:
        return self.router.catalog

    @property
    def awaits_store(self) -> bool:
        """Does the store need awaiting (then use aturn/apress)?"""
        return inspect.iscoroutinefunction(self.store.get)

    def swap(self, catalog: Catalog) -> None:
        """Replace the live catalog; the new index is built before the switch."""
        self.router = Router(catalog)

    # --- a store that answers at once ---

    def turn(self, text: str, key: str, now: float) -> Turn:
        router = self.router
        store = self._sync_store()
        routed = router.decide(text, store.get(key), now)
        self._save(store, key, routed)
        return Turn(routed.decision, render(router.catalog, routed.decision))

    def reply(self, text: str, key: str, now: float) -> Reply:
        return self.turn(text, key, now).reply

    def press(self, card_id: str, key: str, now: float) -> Reply:
        router = self.router
        routed = router.pressed(card_id, now)
        self._save(self._sync_store(), key, routed)
        return render(router.catalog, routed.decision)

    # --- any store ---

    async def aturn(self, text: str, key: str, now: float) -> Turn:
        """`turn` for any store; the routing itself stays synchronous (it does no I/O)."""
        if not self.awaits_store:
            return self.turn(text, key, now)
        router, store = self.router, cast(AsyncContextStore, self.store)
        routed = router.decide(text, await store.get(key), now)
        if routed.remember is not None:
            await store.put(key, routed.remember)
        return Turn(routed.decision, render(router.catalog, routed.decision))

    async def apress(self, card_id: str, key: str, now: float) -> Reply:
        if not self.awaits_store:
            return self.press(card_id, key, now)
        router, store = self.router, cast(AsyncContextStore, self.store)
        routed = router.pressed(card_id, now)
        if routed.remember is not None:
            await store.put(key, routed.remember)
        return render(router.catalog, routed.decision)

    def _sync_store(self) -> ContextStore:
        if self.awaits_store:
            raise TypeError("this Brain's context store is awaited: use aturn/apress")
        return cast(ContextStore, self.store)

    @staticmethod
    def _save(store: ContextStore, key: str, routed: Routed) -> None:
        if routed.remember is not None:
            store.put(key, routed.remember)
