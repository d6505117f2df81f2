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
