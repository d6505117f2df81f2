"""The Brain gets and saves each conversation's context itself, from a store that answers at once or one
that is awaited (a networked store), and the answers are the same either way."""

from __future__ import annotations

import asyncio

import pytest

from bot.brain import Brain
from bot.catalog import Catalog
from bot.context import ChatContext, MemoryContextStore


class SlowStore:
    """An awaited store, as one over the network would be: each call yields to the event loop."""

    def __init__(self) -> None:
        self.data: dict[str, ChatContext] = {}
        self.calls: list[str] = []

    async def get(self, key: str) -> ChatContext | None:
        self.calls.append("get")
        await asyncio.sleep(0)
        return self.data.get(key)

    async def put(self, key: str, context: ChatContext) -> None:
        self.calls.append("put")
        await asyncio.sleep(0)
        self.data[key] = context


CONVERSATION = ["does prednisone help ALS?", "what about side effects?", "/press lems", "and the evidence?"]


async def talk(brain: Brain, key: str) -> list[str | None]:
    cards = []
    for text in CONVERSATION:
        if text.startswith("/press "):
            reply = await brain.apress(text.split()[1], key, 100.0)
        else:
            reply = (await brain.aturn(text, key, 100.0)).reply
        cards.append(reply.card)
    return cards


async def test_an_awaited_store_gives_the_same_follow_ups_as_a_memory_store(catalog: Catalog) -> None:
    slow = SlowStore()
    awaited = await talk(Brain(catalog, slow), "chat")
    at_once = await talk(Brain(catalog, MemoryContextStore()), "chat")
    assert awaited == at_once == ["als-evidence", "als-side-effects", "lems", "lems-evidence"]
    assert "put" in slow.calls and slow.data["chat"].card == "lems-evidence"


async def test_two_conversations_on_an_awaited_store_do_not_mix(catalog: Catalog) -> None:
    brain = Brain(catalog, SlowStore())
    first, second = await asyncio.gather(talk(brain, "one"), talk(brain, "two"))
    assert first == second


def test_a_brain_on_an_awaited_store_refuses_the_synchronous_calls(catalog: Catalog) -> None:
    brain = Brain(catalog, SlowStore())
    assert brain.awaits_store
    with pytest.raises(TypeError, match="aturn"):
        brain.turn("what is LEMS?", "chat", 0.0)
