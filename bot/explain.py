"""`why`: show an admin how the router read a message and why it decided as it did.

Used by `python -m bot why "text"` and the admin command `/why`. It routes in the store it is given, so
pass a scratch store (the default) unless you mean to follow a conversation.
"""

from __future__ import annotations

from bot.context import ContextStore, MemoryContextStore
from bot.router import Router


def explain(router: Router, text: str, store: ContextStore | None = None, key: str = "why", now: float = 0.0) -> str:
    store = store if store is not None else MemoryContextStore()
    scan = router.scan(text)
    before = store.get(key)
    ctx = before if before is not None and before.fresh(now) else None
    decision = router.route(text, key, store, now)
    if scan.conditions:
        condition = f"{', '.join(sorted(scan.conditions))} (named in the message)"
    elif decision.context_used and ctx is not None and ctx.condition:
        condition = f"{ctx.condition} (from the conversation)"
    else:
        condition = "none"
    if ctx is None:
        context = "none"
    else:
        used = "used" if decision.context_used else "not used"
        context = f"{ctx.condition or '-'} / {ctx.topic or '-'} ({used})"
    candidates = [
        f"  {c.score:5.1f}  {c.card:<20} intent {c.intent!r}, example {c.example!r}" for c in decision.candidates
    ] or ["  none (decided before matching)" if scan.urgent or scan.guard else "  none (no word in common)"]
    best = decision.candidates[0].card if decision.candidates else None
    answer = f"{decision.kind}, card {decision.card}" if decision.card else decision.kind
    if decision.score is not None:
        answer += f" (score {decision.score:.0f})"
    if decision.options:
        answer += f", options {', '.join(decision.options)}"
    lines = [
        f"normalised: {scan.text!r}",
        f"condition:  {condition}",
        f"context:    {context}",
        f"signals:    urgent phrase: {scan.urgent or 'none'}; guard: {scan.guard or 'none'}; "
        f"out of scope: {scan.out_of_scope or 'none'}; drug named: {'yes' if scan.in_scope else 'no'}",
        "candidates (best first):",
        *candidates,
        f"decision:   {answer}",
        f"because:    {decision.reason}",
    ]
    if best and decision.card and decision.card != best and decision.kind in ("answer", "urgent"):
        lines.append(f"note:       the best match was {best!r}; the router answered {decision.card!r} instead")
    return "\n".join(lines)
