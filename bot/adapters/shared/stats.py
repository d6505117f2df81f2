"""What the bot has answered since it started, counted the same way on every surface (shown by /stats)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from bot.render import Reply


@dataclass
class Stats:
    started: float = field(default_factory=time.time)
    messages: int = 0
    cards: Counter[str] = field(default_factory=Counter)  # answers per card
    kinds: Counter[str] = field(default_factory=Counter)  # clarify, fallback, urgent, notice

    def count(self, reply: Reply) -> None:
        self.messages += 1
        if reply.kind == "answer" and reply.card:
            self.cards[reply.card] += 1
        else:
            self.kinds[reply.kind] += 1

    def fields(self) -> dict[str, str]:
        """As a flat hash, for a replica to publish its counts (cluster mode)."""
        out = {"started": repr(self.started), "messages": str(self.messages)}
        out.update({f"card:{card}": str(n) for card, n in self.cards.items()})
        out.update({f"kind:{kind}": str(n) for kind, n in self.kinds.items()})
        return out

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Stats:
        """What `fields` wrote; anything unreadable counts as nothing rather than failing /stats."""
        stats = cls(started=_number(fields.get("started"), time.time()), messages=int(_number(fields.get("messages"))))
        for name, value in fields.items():
            kind, _, item = name.partition(":")
            if kind == "card" and item:
                stats.cards[item] += int(_number(value))
            elif kind == "kind" and item:
                stats.kinds[item] += int(_number(value))
        return stats

    def add(self, other: Stats) -> None:
        """Sum another replica's counts into these (the earliest start is kept)."""
        self.started = min(self.started, other.started)
        self.messages += other.messages
        self.cards.update(other.cards)
        self.kinds.update(other.kinds)

    def text(self, now: float) -> str:
        hours = (now - self.started) / 3600
        return "\n".join(
            [
                f"Since {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(self.started))} ({hours:.1f} h):",
                f"messages  {self.messages}",
                f"answers   {sum(self.cards.values())}",
                *(f"  {card:<22} {n}" for card, n in self.cards.most_common()),
                f"clarify   {self.kinds['clarify']}",
                f"fallback  {self.kinds['fallback']}",
                f"urgent    {self.kinds['urgent']}",
            ]
        )


def _number(value: str | None, default: float = 0.0) -> float:
    try:
        return float(value) if value is not None else default
    except ValueError:
        return default
