"""`why`: show an admin how the router read a message and why it answered as it did, in plain words.

Used by `python -m bot why "text"` and the admin command `/why`. It leads with the answer (kind and card
title), then what the router noticed (an emergency, the drug asked about, words switched off by a
negation, the sentence the topic was decided on, the condition and where it came from), then the closest
example questions. It routes in the store it is given, so pass a scratch store (the default) unless you
mean to follow a conversation.
"""

from __future__ import annotations

from bot.concepts import CALM
from bot.context import ContextStore, MemoryContextStore
from bot.router import ANSWER_BAR, UNSCOPED_BAR, Decision, Router, Scan

KIND_WORDS = {
    "answer": "answered with",
    "urgent": "sent the urgent card",
    "clarify": "asked which condition (LEMS or ALS)",
    "fallback": "said it cannot answer",
}


def explain(router: Router, text: str, store: ContextStore | None = None, key: str = "why", now: float = 0.0) -> str:
    store = store if store is not None else MemoryContextStore()
    scan = router.scan(text)
    before = store.get(key)
    ctx = before if before is not None and before.fresh(now) else None
    decision = router.route(text, key, store, now)
    cards = router.catalog.cards
    title = f" {cards[decision.card].title!r}" if decision.card and decision.card in cards else ""
    lines = [f"Answer:     {KIND_WORDS[decision.kind]}{title}" + (f" (card {decision.card})" if title else "")]
    if decision.options:
        lines.append("Buttons:    " + ", ".join(repr(cards[o].title) for o in decision.options if o in cards))
    lines.append(f"Because:    {_because(router, decision)}")
    lines.append("")
    lines.append("What I noticed:")
    u = router.catalog.understanding
    if scan.emergency is not None:
        lines.append(f"  emergency:  {scan.urgent} (the words {' '.join(scan.emergency_words)!r})")
    for hit in scan.hits:
        if not hit.urgent:
            label = router.concept_label(hit.concept)
            if hit.negated_by:
                why = f"negated by {hit.negated_by!r}"
            elif hit.about and hit.about.startswith(CALM):
                why = f"{hit.about}, with no word of feeling unwell"
            else:
                why = f"not a report of it: {hit.about}"
            lines.append(f"  not urgent: {label} ({why})")
    drugs = {d.id: d for d in u.drugs}
    if scan.drugs:
        named = ", ".join(drugs[d].label for d in scan.drugs if d in drugs)
        subject = ", ".join(drugs[d].label for d in scan.subject if d in drugs)
        lines.append(f"  drugs:      {named}; the question is about {subject or named}")
    if scan.negated:
        lines.append("  negations:  " + "; ".join(scan.negated))
    if scan.asking:
        lines.append(f"  question:   decided on {scan.asking!r} (the rest of the message is the story)")
    elif scan.vague_asking:
        lines.append(f"  question:   {scan.vague_asking!r} says too little alone, so I read the whole message")
    if scan.language:
        lines.append(f"  language:   {scan.language}")
    if scan.conditions:
        how = "named in the message" if scan.named else "a drug used only for it is named"
        lines.append(f"  condition:  {', '.join(sorted(c.upper() for c in scan.conditions))} ({how})")
    elif decision.context_used and ctx is not None and ctx.condition:
        lines.append(f"  condition:  {ctx.condition.upper()} (from the conversation)")
    else:
        lines.append("  condition:  none named")
    if ctx is not None:
        used = "used here" if decision.context_used else "not used here"
        if router.stands_alone(scan):
            used = "not used: the message names nothing I cover and does not follow on, so I read it on its own"
        topic = cards[ctx.card].title if ctx.card and ctx.card in cards else (ctx.topic or "-")
        lines.append(f"  before:     the last answer was {topic!r} ({used})")
    if scan.guard:
        lines.append(f"  fixed phrase: the message has words listed for {cards[scan.guard].title!r}")
    if scan.out_of_scope:
        lines.append(f"  off topic:  {scan.out_of_scope!r} is listed as outside what I cover")
    lines.append(f"  read as:    {scan.text!r} (words cut to their stems, spelling fixed)")
    lines += _learned(router, scan, decision)
    lines.append("")
    if decision.candidates:
        lines.append(
            f"Closest example questions (score out of 100; {ANSWER_BAR:.0f} or more can answer when the message"
            f" names prednisone, a steroid, LEMS or ALS, {UNSCOPED_BAR:.0f} or more when it names none):"
        )
        lines += [
            f"  {c.score:5.1f}  {cards[c.card].title!r} ({c.card}), example {router.typed.get(c.example, c.example)!r}"
            for c in decision.candidates
        ]
    else:
        lines.append("Closest example questions: none compared (decided before matching, or no word in common)")
    # admin scripts grep for these two lines
    answer = f"{decision.kind}, card {decision.card}" if decision.card else decision.kind
    lines.append(f"decision:   {answer}" + (f" (score {decision.score:.0f})" if decision.score is not None else ""))
    return "\n".join(lines)


def _learned(router: Router, scan: Scan, decision: Decision) -> list[str]:
    """What the learned model read, and whether it decided: it speaks only over a weak decision."""
    model = router.catalog.model
    guess = model.guess(scan.typed) if model is not None else None
    if guess is None:
        return []
    card = router.catalog.variant(guess.label, decision.condition) or router.catalog.variant(guess.label, None)
    read = f"{card.title!r}" if card is not None and guess.label not in ("urgent",) else guess.label
    said = f"reads it as {read} ({guess.share:.2f})" + (
        f", mostly on {', '.join(map(repr, guess.words))}" if guess.words else ""
    )
    if decision.learned:
        return [f"  learned:    {decision.learned} - it decided this answer"]
    return [f"  learned:    {said} - the rules decided here"]


def _because(router: Router, d: Decision) -> str:
    cards = router.catalog.cards
    reason = d.reason
    if d.learned:
        return reason  # it names the card it chose and the one it replaced
    best = d.candidates[0].card if d.candidates else None
    if d.kind == "answer" and best and d.card and best != d.card and best in cards and d.card in cards:
        a, b = cards[best], cards[d.card]
        if a.topic == b.topic and b.condition != "general":
            return f"{reason}; you asked about {b.condition.upper()}, so I showed the {b.condition.upper()} version"
        if b.title in reason:  # the reason already says which card, and why
            return reason
        return f"{reason}; then I answered {b.title!r} instead of {a.title!r}"
    return reason
