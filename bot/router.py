"""Decide what to answer: urgent → scope → guards → intent → condition and context → Decision.

Pure and synchronous: no Telegram, no asyncio, no environment, no clock (the caller passes `now`).
The one promise that matters most: when the message or the chat's context names LEMS, no ALS card can be
the answer, and the other way round. Cards are chosen by topic and then swapped for the topic's card of
the known condition; a condition-specific topic with no known condition gets a clarifying question.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bot.catalog import Card, Catalog
from bot.context import ChatContext, ContextStore
from bot.matcher import Candidate, Match, Matcher
from bot.normalize import Normalizer, basic
from bot.phrases import PhraseIndex

Kind = Literal["answer", "clarify", "fallback", "urgent"]

MAX_MATCH_CHARS = 1000  # long messages are matched on their start (SPEC §6)
MAX_TEXT_CHARS = 4096
ANSWER_BAR = 50.0  # below this, the honest fallback
UNSCOPED_BAR = 80.0  # no drug, condition or context named: answer only a near-verbatim match
SMALLTALK_BAR = 75.0
WEAK_BAR = 55.0  # a condition named but only a weak topic match: answer the overview instead
DRUG_TOPIC_MARGIN = 25.0  # how far behind the drug card a condition topic may score and still win
FOLLOW_UP_MAX_WORDS = 4  # "and for LEMS?" takes the topic from context only when this short
LONG_QUESTION_WORDS = 25  # content words: a story more than a question, so the fallback asks for one question
DEFAULT_TOPICS = ("prednisone", "lems", "als", "side-effects")
CONDITION_TOPICS = {
    "lems": ("lems", "lems-evidence", "lems-alternatives"),
    "als": ("als", "als-evidence", "als-alternatives"),
}


@dataclass(frozen=True)
class Decision:
    kind: Kind
    card: str | None = None
    score: float | None = None
    options: tuple[str, ...] = ()
    topic: str | None = None
    condition: str | None = None
    reason: str = ""
    candidates: tuple[Candidate, ...] = ()
    truncated: bool = False
    notice: str | None = None  # a fallback's messages.yaml text other than `fallback` (stale_button, long_question)
    context_used: bool = False


@dataclass(frozen=True)
class _Scan:
    """What a message says, before any intent matching."""

    text: str
    conditions: frozenset[str]
    named: bool  # the conditions were named, not only implied by a drug used for one of them
    urgent: str | None
    guard: str | None
    out_of_scope: str | None
    in_scope: bool
    content_words: int
    truncated: bool = False


@dataclass(frozen=True)
class Router:
    catalog: Catalog
    normalize: Normalizer = field(init=False)
    matcher: Matcher = field(init=False)
    _urgent: tuple[str, ...] = field(init=False)
    _urgent_except: tuple[str, ...] = field(init=False)
    _guards: tuple[tuple[str, str], ...] = field(init=False)
    _oos_drugs: tuple[str, ...] = field(init=False)
    _oos_conditions: tuple[str, ...] = field(init=False)
    _in_scope: tuple[str, ...] = field(init=False)
    _condition_drugs: tuple[tuple[str, str], ...] = field(init=False)
    _verbatim: dict[str, str] = field(init=False)  # normalised example → card
    _phrases: PhraseIndex = field(init=False)  # all of the above, for one pass over a message's words

    def __post_init__(self) -> None:
        lex = self.catalog.lexicon
        examples = [e for i in self.catalog.intents for e in i.examples]
        norm = Normalizer.from_lexicon(lex, extra_words=examples)
        put = object.__setattr__  # frozen: derived fields are set once, here
        put(self, "normalize", norm)
        ignore = frozenset(basic(w) for w in lex.stopwords)
        put(
            self,
            "matcher",
            Matcher(
                ((i.id, i.card, norm(e)) for i in self.catalog.intents for e in i.examples),
                ignore,
                frozenset(("lems", "als")),
            ),
        )

        def phrases(words: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(sorted({p for p in (norm(w) for w in words) if p}, key=len, reverse=True))

        put(self, "_urgent", phrases(lex.urgent))
        put(self, "_urgent_except", phrases(lex.urgent_except))
        put(self, "_guards", tuple((g.card, p) for g in lex.guards for p in phrases(g.phrases)))
        put(self, "_oos_drugs", phrases(lex.out_of_scope_drugs))
        put(self, "_oos_conditions", phrases(lex.out_of_scope_conditions))
        put(self, "_in_scope", phrases(lex.in_scope))
        put(self, "_verbatim", {norm(e): i.card for i in self.catalog.intents for e in i.examples})
        put(self, "_condition_drugs", tuple((c, p) for c, ws in lex.condition_drugs.items() for p in phrases(ws)))
        groups: dict[str, tuple[str, ...]] = {
            "urgent": self._urgent,
            "except": self._urgent_except,
            "guard": tuple(p for _, p in self._guards),
            "oos_drugs": self._oos_drugs,
            "oos_conditions": self._oos_conditions,
            "in_scope": self._in_scope,
        }
        for condition, _ in self._condition_drugs:
            groups[f"drug:{condition}"] = tuple(p for c, p in self._condition_drugs if c == condition)
        put(self, "_phrases", PhraseIndex.build(groups))

    # --- reading a message ---------------------------------------------------------------------------

    def scan(self, text: str) -> _Scan:
        truncated = len(text) > MAX_TEXT_CHARS
        norm = self.normalize(text[:MAX_MATCH_CHARS])
        found = self._phrases.first(norm)
        if len(text) <= MAX_MATCH_CHARS and "except" not in found:
            urgent = self._urgent[found["urgent"]] if "urgent" in found else None
        else:  # urgent phrases are looked for in the whole text, and never inside an exception
            urgent = self._urgent_in(norm if len(text) <= MAX_MATCH_CHARS else self.normalize(text[:MAX_TEXT_CHARS]))
        named = frozenset(c for c in ("lems", "als") if c in norm.split())
        implied = frozenset(c for c, _ in self._condition_drugs if f"drug:{c}" in found)

        def first(group: str, phrases: tuple[str, ...]) -> str | None:
            return phrases[found[group]] if group in found else None

        return _Scan(
            text=norm,
            conditions=named or implied,
            named=bool(named),
            urgent=urgent,
            guard=self._guards[found["guard"]][0] if "guard" in found else None,
            out_of_scope=first("oos_drugs", self._oos_drugs) or first("oos_conditions", self._oos_conditions),
            in_scope="in_scope" in found,
            content_words=len(self.matcher.content(norm)),
            truncated=truncated,
        )

    def _urgent_in(self, text: str) -> str | None:
        """The first urgent phrase in `text` once the exceptions ("not urgent", ...) are blanked out."""
        padded = f" {text} "
        for exc in self._urgent_except:
            padded = padded.replace(f" {exc} ", " , ")
        found = self._phrases.first(padded)
        return self._urgent[found["urgent"]] if "urgent" in found else None

    # --- deciding ------------------------------------------------------------------------------------

    def route(self, text: str, key: str, store: ContextStore, now: float) -> Decision:
        """The reply to one message in one conversation; updates that conversation's context."""
        s = self.scan(text)
        if s.urgent:
            return Decision("urgent", card="urgent", reason=f"urgent phrase {s.urgent!r}", truncated=s.truncated)
        ctx = store.get(key)
        ctx = ctx if ctx is not None and ctx.fresh(now) else None
        decision = self._decide(s, ctx)
        if decision.truncated != s.truncated:
            decision = _replace(decision, truncated=s.truncated)
        self._remember(decision, key, store, now, ctx)
        return decision

    def show(self, card_id: str, key: str, store: ContextStore, now: float) -> Decision:
        """A button was pressed: that card, or a short note when the catalog no longer has it."""
        card = self.catalog.cards.get(card_id)
        if card is None:
            return Decision("fallback", options=self._defaults(None), notice="stale_button", reason="stale button")
        kind: Kind = "urgent" if card.topic == "urgent" else "answer"
        decision = Decision(kind, card=card.id, topic=card.topic, condition=_cond(card), reason="button")
        self._remember(decision, key, store, now, None)
        return decision

    def _decide(self, s: _Scan, ctx: ChatContext | None) -> Decision:
        exact = self._verbatim.get(s.text)
        if exact is not None and not s.conditions and self.catalog.cards[exact].condition == "general":
            # typed exactly as an example, even one made only of stop words ("what can you do")
            return self._resolve(self.catalog.cards[exact], ctx.condition if ctx else None,
                                 Decision("answer", score=100.0, reason="an example, typed exactly"))  # fmt: skip
        if not s.text or (s.content_words == 0 and not s.conditions):
            return self._fallback(None, "nothing to match")
        named = next(iter(s.conditions)) if len(s.conditions) == 1 else None
        if s.out_of_scope and (s.out_of_scope in self._oos_drugs or not s.conditions):
            return self._fallback(named, f"out of scope: {s.out_of_scope!r}")
        if s.guard and (s.in_scope or s.conditions or ctx is not None):
            topic = self.catalog.cards[s.guard].topic
            return Decision("answer", card=s.guard, topic=topic, condition=named, reason="guard phrase")
        cond = named if s.conditions else (ctx.condition if ctx else None)
        # a drug used for one condition sets it, but does not stand in for naming it ("tell me about tofersen")
        known = len(s.conditions) if s.named else int(not s.conditions and cond is not None)
        match = self.matcher.match(s.text, conditions=known)
        best = match.best
        if best is not None and (s.conditions or s.in_scope) and self._small_talk(best):
            # "hi, what is LEMS?": the greeting is manners, the question is the message
            best = next((c for c in match.candidates if not self._small_talk(c)), None)
        if best is None or not self._confident(s, ctx, named, best):
            return self._without_topic(s, ctx, named, cond, match)
        card = self.catalog.cards[best.card]
        base = Decision("answer", score=best.score, candidates=match.candidates,
                        reason=f"matched {best.intent!r}: {best.example!r}")  # fmt: skip
        if len(s.conditions) == 2:
            return self._both_conditions(card, base)
        if named and ctx and ctx.topic and card.topic == "overview" and s.content_words <= FOLLOW_UP_MAX_WORDS:
            # "what about ALS?" after a side-effects answer: the topic carries over, the condition switches
            card = self.catalog.variant(ctx.topic, named) or card
        elif named and card.topic == "drug" and not s.named:
            # only a drug used for one condition ("tell me about tofersen"): it is one of that condition's options
            card = self.catalog.variant("alternatives", named) or card
        elif named and card.topic == "drug":
            card = self._condition_topic(named, best, match.candidates)
        return self._resolve(card, cond, _replace(base, context_used=not s.conditions and ctx is not None))

    def _small_talk(self, c: Candidate) -> bool:
        return self.catalog.cards[c.card].topic in ("welcome", "smalltalk")

    def _confident(self, s: _Scan, ctx: ChatContext | None, named: str | None, best: Candidate) -> bool:
        """Is the best match good enough to answer its topic? The bar rises when nothing says "ours"."""
        topic = self.catalog.cards[best.card].topic
        if topic in ("welcome", "smalltalk"):
            return best.score >= SMALLTALK_BAR
        scoped = s.in_scope or bool(s.conditions) or ctx is not None
        if best.score < (ANSWER_BAR if scoped else UNSCOPED_BAR):
            return False
        # a condition named with only a weak topic match: the condition's overview is the honest answer
        return not (named and not ctx and best.score < WEAK_BAR)

    def _without_topic(
        self, s: _Scan, ctx: ChatContext | None, named: str | None, cond: str | None, match: Match
    ) -> Decision:
        """No confident topic: a condition switch ("and for LEMS?"), the condition's overview, or the fallback."""
        if named and ctx and ctx.topic and s.content_words <= FOLLOW_UP_MAX_WORDS:
            target = self.catalog.variant(ctx.topic, named)
            if target:
                return Decision("answer", card=target.id, topic=target.topic, condition=named, context_used=True,
                                reason="condition switch, topic from context")  # fmt: skip
        best = match.best
        if named and (s.content_words <= FOLLOW_UP_MAX_WORDS + 2 or (best is not None and best.score < WEAK_BAR)):
            overview = self.catalog.variant("overview", named)
            if overview:
                return Decision("answer", card=overview.id, topic="overview", condition=named,
                                reason="condition named, no topic", candidates=match.candidates)  # fmt: skip
        long = s.content_words > LONG_QUESTION_WORDS
        return self._fallback(cond, "below the confidence bar", match.candidates, "long_question" if long else None)

    def _both_conditions(self, card: Card, base: Decision) -> Decision:
        """LEMS and ALS in one message: the comparison card, or ask which one."""
        compare = self.catalog.cards.get("compare")
        if card.condition == "general" and card.topic != "drug":
            return _replace(base, card=card.id, topic=card.topic)
        if compare and card.topic in ("evidence", "mechanism", "overview", "drug"):
            return _replace(base, card=compare.id, topic=compare.topic, reason="both conditions named")
        return self._clarify(card, base.score, base.candidates, "both conditions named")

    def _resolve(self, card: Card, cond: str | None, base: Decision) -> Decision:
        """Swap the card for its topic's card of the known condition; never answer the other condition."""
        variant = self.catalog.variant(card.topic, cond) if cond else None
        if variant is not None:
            return _replace(base, card=variant.id, topic=variant.topic, condition=cond)
        if card.condition == "general":
            kind: Kind = "urgent" if card.topic == "urgent" else "answer"
            return _replace(base, kind=kind, card=card.id, topic=card.topic, condition=cond, context_used=False)
        if cond is not None:
            return self._fallback(cond, f"no {card.topic!r} card for {cond}", base.candidates)
        general = self.catalog.variant(card.topic, None)
        if general is not None:  # e.g. side effects with no condition: the general card answers directly
            return _replace(base, card=general.id, topic=general.topic, context_used=False)
        return self._clarify(card, base.score, base.candidates, "topic needs a condition")

    def _condition_topic(self, cond: str, best: Candidate, candidates: tuple[Candidate, ...]) -> Card:
        """ "Prednisone" and a condition named together: the user asks about prednisone *in* that condition.

        The general drug card would dodge the question, so the best condition topic close behind wins, or
        else that condition's evidence card (does it help?), the question most people mean.
        """
        for c in candidates[1:]:
            card = self.catalog.cards[c.card]
            if c.score >= best.score - DRUG_TOPIC_MARGIN and self.catalog.variant(card.topic, cond):
                return card
        return self.catalog.variant("evidence", cond) or self.catalog.cards[best.card]

    def _clarify(self, card: Card, score: float | None, candidates: tuple[Candidate, ...], why: str) -> Decision:
        options = tuple(v.id for c in ("lems", "als") if (v := self.catalog.variant(card.topic, c)))
        return Decision("clarify", score=score, options=options, topic=card.topic, candidates=candidates, reason=why)

    def _fallback(
        self, cond: str | None, why: str, candidates: tuple[Candidate, ...] = (), notice: str | None = None
    ) -> Decision:
        options: list[str] = []
        for c in candidates:
            card = self.catalog.cards[c.card]
            if card.topic in ("welcome", "smalltalk", "urgent") or c.score < 25:
                continue
            target = self.catalog.variant(card.topic, cond) if cond else None
            target = target or (card if card.condition in ("general", cond) else None)
            if target is None and cond is None:
                target = card
            if target and target.id not in options:
                options.append(target.id)
        for cid in self._defaults(cond):
            if len(options) >= 3:
                break
            if cid not in options:
                options.append(cid)
        return Decision(
            "fallback",
            options=tuple(options[:3]),
            condition=cond,
            candidates=candidates,
            reason=why,
            score=candidates[0].score if candidates else None,
            notice=notice,
        )

    def _defaults(self, cond: str | None) -> tuple[str, ...]:
        ids = CONDITION_TOPICS.get(cond or "", DEFAULT_TOPICS)
        return tuple(i for i in ids if i in self.catalog.cards)

    def _remember(self, d: Decision, key: str, store: ContextStore, now: float, ctx: ChatContext | None) -> None:
        if d.kind == "answer" and d.card:
            card = self.catalog.cards[d.card]
            if card.topic in ("welcome", "smalltalk"):
                return
            condition = _cond(card) or d.condition or (ctx.condition if ctx else None)
            store.put(key, ChatContext(condition=condition, topic=card.topic, card=card.id, at=now))
        elif d.kind == "clarify":
            store.put(key, ChatContext(condition=None, topic=d.topic, card=None, at=now))


def _cond(card: Card) -> str | None:
    return None if card.condition == "general" else card.condition


def _replace(d: Decision, **changes: Any) -> Decision:
    return replace(d, **changes)
