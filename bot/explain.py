"""`why`: show an admin how the router read a message and why it decided as it did."""

from __future__ import annotations

from bot.context import ContextStore, MemoryContextStore
from bot.router import Router


def explain(router: Router, text: str, store: ContextStore | None = None, key: str = "why", now: float = 0.0) -> str:
    store = store if store is not None else MemoryContextStore()
    scan = router.scan(text)
    ctx = store.get(key)
    decision = router.route(text, key, store, now)
    context = f"{ctx.condition or '-'} / {ctx.topic or '-'}" if ctx else "none"
    lines = [
        f"normalised: {scan.text!r}",
        f"condition in message: {', '.join(sorted(scan.conditions)) or 'none'}",
        f"context: {context}",
        f"urgent phrase: {scan.urgent or 'none'}; guard: {scan.guard or 'none'}; "
        f"out of scope: {scan.out_of_scope or 'none'}; drug named: {'yes' if scan.in_scope else 'no'}",
        "candidates:",
        *(f"  {c.score:5.1f}  {c.card:<20} intent {c.intent!r}, example {c.example!r}" for c in decision.candidates),
        f"decision: {decision.kind} {decision.card or ''} {list(decision.options) or ''}".rstrip(),
        f"because: {decision.reason}",
    ]
    return "\n".join(lines)
