"""Decide what to answer: emergency → language → scope → guards → intent → condition and context → Decision.

Pure and synchronous: no Telegram, no asyncio, no environment, no clock (the caller passes `now`).
The one promise that matters most: when the message or the chat's context names LEMS, no ALS card can be
the answer, and the other way round. Cards are chosen by topic and then swapped for the topic's card of
the known condition; a condition-specific topic with no known condition gets a clarifying question.

How a message is read (`scan`): split into sentences; emergencies found as concepts over all of it
(`concepts.py`); conditions, drugs and out-of-scope words found with their negations ("it's not ALS");
and, in a message of several sentences, the topic is decided on the sentences that ask, while the whole
story still supplies the condition and the drug. A question whose subject is another drug never gets a
prednisone card.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bot.catalog import NON_CONTENT_TOPICS, Card, Catalog
from bot.concepts import GENERAL, ConceptIndex, Hit, Negation
from bot.context import ChatContext, ContextStore
from bot.language import detect
from bot.learned import Reading, TopicModel
from bot.matcher import Candidate, Match, Matcher
from bot.normalize import Normalizer, basic, fold, stem
from bot.phrases import PhraseIndex
from bot.understanding import Drug

Kind = Literal["answer", "clarify", "fallback", "urgent"]
# how a decision was reached, when the learned model may replace it (bot/learned.py): the closest example,
# a topic's words, the overview of a named condition with no topic, a score under the bar, or another condition
# named beside prednisone with none of topics.over_out_of_scope's words ("I'm diabetic, will pred upset my readings?"),
# or a near match naming nothing of ours ("what happens if I just don't take it anymore?"): answered only when the
# model, reading on its own, picks that same card
Basis = Literal["example", "words", "overview", "weak", "beside", "agree"]

MAX_MATCH_CHARS = 1000  # long messages are matched on their start (SPEC §6)
MAX_TEXT_CHARS = 4096
ANSWER_BAR = 50.0  # below this, the honest fallback
UNSCOPED_BAR = 80.0  # no drug, condition or context named: answer only a near-verbatim match
SMALLTALK_BAR = 75.0
WEAK_BAR = 55.0  # a condition named but only a weak topic match: answer the overview instead ...
CLEAR_MARGIN = 12.0  # ... unless the topic leads every other topic by this much
DRUG_TOPIC_MARGIN = 25.0  # how far behind the drug card a condition topic may score and still win
FOLLOW_UP_MAX_WORDS = 4  # "and for LEMS?" takes the topic from context only when this short
FOLLOW_ON_MAX_WORDS = 8  # content words: "what happens if I do it anyway?" after the stopping card (topics.follow_on)
ONE_WORD_SHARE = 0.75  # an example sharing one word with a message of ONE_WORD_MESSAGE_MIN words or more keeps this
ONE_WORD_MESSAGE_MIN = 3
SIGNAL_OVERRIDE = 70.0  # a topic's own words beat a matched example scoring under this ...
STRONG_SIGNAL = 95.0  # ... and a strong topic's words beat anything under this
GENERIC_TOPICS = frozenset({"side-effects", "drug"})  # ... or any score for these, which a specific topic refines
VAGUE_QUESTION = 2  # content words: an asking sentence with fewer leaves the topic to the whole message
CONTRAST = frozenset({"but", "and", "yet"})  # "... but not ALS": a comparison, not a denial
DENIAL_ENDS = frozenset(map(stem, ("but", "just", "only", "however", "though")))  # a denial's reach ends at these
DENIAL_OPENS = 4  # words: a clause that denies has its negation among its first words
COMPARE_MARGIN = 10.0  # both conditions named: the comparison card wins when it scores this close to the best
WH_WORDS = frozenset({"what", "whi", "why", "how", "when", "where", "who", "which", "wat", "wot"})
OTHER_DRUG_KEEPS = frozenset({"alternatives", "compare", "urgent", "smalltalk", "about", "sources", "trials"})
COMPLETE_QUESTION = 80.0  # an overview matched this well ("what is LEMS?") does not borrow the last topic
FOLLOW_UP_STARTS = frozenset(
    {"and", "but", "so", "also", "what about", "how about", "same for", "same with", "same question", "same thing"}
)
# "and if it was ALS instead?" right after a LEMS answer: the same topic, supposing the condition named
IF_INSTEAD = frozenset({"and if", "what if", "but if", "so if", "if it", "if he", "if she", "if they", "if you"})
# "and in the other one?" after an ALS answer: the same topic for the other of the two conditions
OTHER_OF = {"lems": "als", "als": "lems"}
# what the learned model never puts in place of a weak decision: the rules decide these
# content words: a shorter message gives the model too little to go on for an emergency ("I'm very confused
# about the dosing"); the rules decide those alone
LEARNED_URGENT_WORDS = 6
# ... and to put one of prednisone's own topics in place of the fallback for another condition named beside it:
# "prednisone and covid" names two things and asks nothing the model could read
LEARNED_BESIDE_WORDS = 4
CLOSE_EXAMPLE = 85.0  # an example matched this well is never replaced by the learned model
AGREE_BAR = 65.0  # naming nothing of ours, an example this close answers if the learned model picks its card too,
AGREE_SURE_BAR = 50.0  # ... or this close, when the model is all but certain (AGREE_SURE_SHARE)
AGREE_SURE_SHARE = 0.95
# ... in a first message that speaks of "it", "them" or "the tablets" as if the subject were known: here, prednisone
_WHAT_IS = ("what is", "whats", "what it is", "explain", "explained", "mean", "means")  # asks what a thing is
_POINTS_BACK = frozenset({"that", "it", "this", "they", "those", "these"})
_COPULA = frozenset({"is", "are", "was", "were", "isnt", "arent"})
# right after one condition, naming the other, these set them against each other: the comparison card
# words that ask whether a treatment works ("would X pulses do anything for MND?")
WORKS_WORDS = ("work", "works", "help", "helps", "slow", "do anything", "any good", "worth", "a thing for", "benefit",
               "effective", "any use", "make a difference", "swears by")  # fmt: skip
# ("different question: ..." or "same question for LEMS" is no comparison) ...
SET_AGAINST = ("compare", "compared", "unlike", "same thing as", "the same as", "different from", "different to",
               "treated differently")  # fmt: skip
# ... and "why" with a word that sets it against what came before ("then why ...?", "why not?"), not "why was it
# tried in ALS?"
WHY_AGAINST = frozenset(
    {"then", "not", "so", "too", "though", "tho", "instead", "wont", "dont", "doesnt", "isnt", "but"}
)
_IS_A = frozenset({"a", "an", "like", "the", "same", "just", "basic", "kind", "type", "sort"})  # "is it (like) an ..."
# a first message asking whether "it" works or helps, naming no condition, this close to that topic's examples:
# asked which condition (the evidence cards of both), not the fallback
VAGUE_WORKS_BAR = 60.0
VAGUE_WORKS_NAMED_BAR = 40.0  # the same with prednisone named: its evidence card is close, never the best
# the words that may follow: someone helped, or nothing ("prednison" is the drug the reading appends)
VAGUE_WORKS_FOR = frozenset({"me", "him", "her", "us", "them", "at", "for", "though", "then", "realli", "prednison"})
VAGUE_WORKS_TOPICS = frozenset({"evidence"})
VAGUE_WORKS_WORDS = frozenset({"work", "help"})  # normalised: "works", "working", "helps", "helping"
SUBJECT_PRONOUNS = frozenset({"it", "them", "these", "those", "tablet", "pill", "med", "medic", "medicin"})
# a negation that opens a question asks it ("isn't prednisone a painkiller?", "aren't LEMS and ALS the same?")
ASKING_NOT = frozenset({"isnt", "arent", "doesnt", "dont", "wasnt", "werent", "didnt", "wont", "hasnt", "havent"})
NOT_LEARNED = frozenset({"urgent", "fallback", "clarify", "smalltalk", "welcome", "about"})
SMALL_TALK_LABELS = frozenset({"smalltalk", "welcome", "about"})  # read only over a fallback
# what emergency words never turn into ("black stools for days, should we call someone?" is that emergency),
# and what a sure model never replaces ("can prednisone cause chest pain?": when to get help comes first)
NOT_CALMED = frozenset({"when-to-call"})
LONG_QUESTION_WORDS = 25  # content words: a story more than a question, so the fallback asks for one question
DEFAULT_TOPICS = ("prednisone", "lems", "als", "side-effects")
CONDITION_TOPICS = {
    "lems": ("lems", "lems-evidence", "lems-alternatives"),
    "als": ("als", "als-evidence", "als-alternatives"),
}
_SENTENCE_END = re.compile(r"([.!?;]+)(?=\s|$)|\n+")
# a comma between digits joins a number or a name ("3,4-DAP", "1,000"), it ends no clause
_CLAUSE_END = re.compile(r"(?<!\d),|,(?!\d)|[:()]|\s[-\u2013\u2014]+\s")
_QUOTE_MARKS = frozenset("\"'\u2018\u2019\u201c\u201d")
# a quotation: an opening mark after a space or the start, a close before a space, a mark or the end; no more
# than 80 characters inside, so one stray mark cannot quote half a story
_QUOTED = re.compile(
    '(?:^|(?<=[\\s(\\[]))(["\u201c\'\u2018])(?=\\S)([^"\u201c\u201d\n]{1,80}?)(?<=\\S)'
    "[\"\u201d'\u2019](?=[\\s.,?!:;)\\]-]|$)"
)


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
    notice: str | None = None  # a messages.yaml text other than `fallback` (stale_button, long_question, other_drug)
    context_used: bool = False
    concept: str | None = None  # the emergency concept that fired
    drug: str | None = None  # another drug the question is about (its label), for the other_drug note
    language: str | None = None  # the message is in this language, not English
    basis: Basis | None = None  # how a decision the learned model may replace was reached
    learned: str = ""  # what the learned model read, when it changed the decision (for `why`)


@dataclass(frozen=True)
class Scan:
    """What a message says, before any intent matching."""

    text: str  # normalised: the sentence(s) the topic is decided on (the whole message when it asks once)
    conditions: frozenset[str]
    named: bool  # the conditions were named, not only implied by a drug used for one of them
    urgent: str | None  # the emergency concept's label
    guard: str | None
    out_of_scope: str | None
    in_scope: bool
    content_words: int
    truncated: bool = False
    full: str = ""  # the whole message, normalised
    story_words: int = 0  # content words of the whole message
    emergency: Hit | None = None
    emergency_words: tuple[str, ...] = ()  # the words that made it one, normalised
    hits: tuple[Hit, ...] = ()  # every concept found, negated or not (for `why`)
    drugs: tuple[str, ...] = ()  # ids of the drugs named (not negated), in order
    subject: tuple[str, ...] = ()  # the drugs the asking sentence(s) name, else all the message names
    subject_asked: bool = True  # the asking sentence(s) name a drug themselves, not only the story before them
    negated: tuple[str, ...] = ()  # what a negation switched off: "als (not)", "diabetes (not)"
    asking: str = ""  # the sentence(s) that ask, as typed, when the message tells a story first
    # the sentence(s) that ask, when they were too vague to decide on alone ("Should she take another?"): the
    # topic is decided on the whole story, and the message still asks a question
    vague_asking: str = ""
    language: str | None = None
    general: bool = False  # a question that names nobody it is about ("what are the signs of ...?")
    signals: tuple[Hit, ...] = ()  # topics the words of the asking sentence(s) point to (not negated)
    unknown_drugs: tuple[str, ...] = ()  # words unknown to the catalog that end like a drug name ("aclidinium")
    by_class: bool = False  # prednisone named only by its kind ("is aclidinium a steroid?"), never by name
    addressed: bool = False  # talks to the bot ("can you", "your info", "cheers"): topics.about_me can answer
    new_subject: bool = False  # "different question, ...": the conversation so far lends it nothing
    typed: str = ""  # the message as typed: what the learned model reads


@dataclass(frozen=True)
class Routed:
    """A decision and what the conversation should remember after it (None: keep what it has)."""

    decision: Decision
    remember: ChatContext | None


@dataclass(frozen=True)
class Router:
    catalog: Catalog
    normalize: Normalizer = field(init=False)
    matcher: Matcher = field(init=False)
    _urgent: tuple[str, ...] = field(init=False)
    _urgent_except: tuple[str, ...] = field(init=False)
    _guards: tuple[tuple[str, str], ...] = field(init=False)
    _oos_drugs: tuple[str, ...] = field(init=False)
    _drug_asks: tuple[tuple[str, ...], ...] = field(init=False)
    _practical: tuple[tuple[str, ...], ...] = field(init=False)
    _between: tuple[tuple[str, ...], ...] = field(init=False)  # drugs.between, normalised
    _likened: tuple[tuple[str, ...], ...] = field(init=False)  # drugs.likened, normalised
    _sparing: tuple[tuple[str, ...], ...] = field(init=False)  # drugs.sparing, normalised
    _keeps: frozenset[str] = field(init=False)
    _home_of: dict[str, str] = field(init=False)
    _oos_conditions: tuple[str, ...] = field(init=False)
    _oos_alone: tuple[str, ...] = field(init=False)
    _oos_services: tuple[str, ...] = field(init=False)
    _in_scope: tuple[str, ...] = field(init=False)
    _condition_drugs: tuple[tuple[str, str], ...] = field(init=False)
    _verbatim: dict[str, str] = field(init=False)  # normalised example → card
    typed: dict[str, str] = field(init=False)  # normalised example → the example as written (for people)
    _phrases: PhraseIndex = field(init=False)  # all of the above, for one pass over a message's words
    _concepts: ConceptIndex = field(init=False)
    _signals: ConceptIndex = field(init=False)  # words that point to one topic
    _negation: Negation = field(init=False)
    _drugs: dict[str, Drug] = field(init=False)
    _question_words: frozenset[str] = field(init=False)
    _statements: frozenset[str] = field(init=False)
    _follow_on: dict[str, list[tuple[str, tuple[str, ...]]]] = field(init=False)  # topics.follow_on, normalised
    _alone: dict[str, list[tuple[str, frozenset[str]]]] = field(init=False)  # topics.follow_on_alone, normalised
    _filler: frozenset[str] = field(init=False)
    _alone_phrases: frozenset[str] = field(init=False)
    _signals_several: ConceptIndex = field(init=False)
    _back: frozenset[str] = field(init=False)  # words that point back in a conversation: "it", "that", "she"
    _referents: dict[str, tuple[str, frozenset[str]]] = field(init=False)  # topics.referents, normalised
    _class_words: frozenset[str] = field(init=False)  # names that say only what kind of drug: "steroid"
    _refers: frozenset[str] = field(init=False)  # words that stand for a drug already meant ("does it help?")
    _our_names: frozenset[str] = field(init=False)  # prednisone's names, as normalised words
    _question_forms: frozenset[str] = field(init=False)  # the same as written, before stemming
    _question_phrases: tuple[str, ...] = field(init=False)
    _names: frozenset[str] = field(init=False)  # drug and condition names, in `basic` form
    _name_words: frozenset[str] = field(init=False)  # the same, as normalised message words
    _english: frozenset[str] = field(init=False)  # words only English uses (questions.english)
    _set_against: tuple[str, ...] = field(init=False)  # SET_AGAINST, normalised
    _same_class_als: frozenset[str] = field(init=False)  # drugs.same_class_als, normalised
    _works_words: tuple[str, ...] = field(init=False)  # WORKS_WORDS, normalised
    _why: tuple[str, ...] = field(init=False)
    _why_against: frozenset[str] = field(init=False)  # WHY_AGAINST, normalised
    _ours: str = field(init=False)  # prednisone, normalised: added to a question that says only "it"

    def __post_init__(self) -> None:
        lex, u = self.catalog.lexicon, self.catalog.understanding
        examples = [e for i in self.catalog.intents for e in i.examples]
        understood = [
            *(a for c in u.concepts for p in c.patterns for slot in p.slots for a in slot),
            *u.about,
            *u.negation,
            *u.negation_breaks,
            *u.not_negation,
            *u.not_before,
            *u.question_words,
            *u.question_phrases,
            *(n for d in u.drugs for n in (*d.names, *d.abroad)),
            *(a for c in u.topics for p in c.patterns for slot in p.slots for a in slot),
        ]
        norm = Normalizer.from_lexicon(lex, extra_words=[*examples, *understood])
        put = object.__setattr__  # frozen: derived fields are set once, here
        put(self, "normalize", norm)
        ignore = frozenset(fold(w) for w in lex.stopwords)
        put(
            self,
            "matcher",
            Matcher(
                ((i.id, i.card, norm(e)) for i in self.catalog.intents for e in i.examples),
                ignore,
                frozenset(("lems", "als")),
                topic_of={c.id: c.topic for c in self.catalog.cards.values()},
            ),
        )

        def phrases(words: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(sorted({p for p in (norm(w) for w in words) if p}, key=len, reverse=True))

        put(self, "_urgent", phrases(lex.urgent))
        put(self, "_urgent_except", phrases(lex.urgent_except))
        put(self, "_guards", tuple((g.card, p) for g in lex.guards for p in phrases(g.phrases)))
        put(self, "_oos_drugs", phrases(lex.out_of_scope_drugs))
        put(self, "_home_of", {norm(w): topic for w, topic in u.home_of})
        put(self, "_oos_conditions", phrases(lex.out_of_scope_conditions))
        put(self, "_oos_alone", phrases(lex.out_of_scope_alone))
        put(self, "_oos_services", phrases(lex.out_of_scope_services))
        put(self, "_in_scope", phrases(lex.in_scope))
        put(self, "_verbatim", {norm(e): i.card for i in self.catalog.intents for e in i.examples})
        put(self, "typed", {norm(e): e for i in self.catalog.intents for e in i.examples})
        put(self, "_condition_drugs", tuple((c, p) for c, ws in lex.condition_drugs.items() for p in phrases(ws)))
        put(self, "_concepts", ConceptIndex(u, norm, listed=lex.urgent))
        put(self, "_negation", self._concepts.negation)
        put(
            self,
            "_names",
            frozenset(w for ws in norm.vocabulary.values() for w in ws)
            | frozenset(w for names in lex.conditions.values() for n in names for w in basic(n).split() if len(w) > 3)
            | frozenset(w for d in u.drugs for n in d.names for w in basic(n).split()),
        )
        put(self, "_signals", ConceptIndex(u, norm, concepts=u.topics))
        # the same topics on their patterns of two slots or more (see _over_out_of_scope)
        several = [replace(c, patterns=tuple(p for p in c.patterns if len(p.slots) > 1)) for c in u.topics]
        put(self, "_signals_several", ConceptIndex(u, norm, concepts=several))
        # the names as a message's words arrive (normalised, stemmed): "lems", "prednison", "syndrom"
        put(self, "_name_words", frozenset(w for n in self._names for w in norm(n).split()))
        put(self, "_english", frozenset(w for e in u.english for w in basic(e).split()))  # as typed: "wat" is Dutch
        put(self, "_drugs", {d.id: d for d in u.drugs})
        put(self, "_question_words", frozenset(norm(w) for w in u.question_words))
        put(self, "_statements", frozenset(name for name, _ in u.statements))
        put(self, "_our_names", frozenset(norm(n) for d in u.drugs if d.ours for n in d.names))
        put(self, "_refers", frozenset(norm(w) for w in u.drug_refers))
        put(self, "_drug_asks", tuple(tuple(norm(w).split()) for w in u.drug_asks if norm(w)))
        put(
            self,
            "_practical",
            tuple(tuple(norm(w).split()) for w in (*u.drug_asks, *u.drug_practical, *u.drug_between) if norm(w)),
        )
        put(self, "_between", tuple(tuple(norm(w).split()) for w in u.drug_between if norm(w)))
        put(self, "_likened", tuple(tuple(norm(w).split()) for w in u.drug_likened if norm(w)))
        put(self, "_sparing", tuple(tuple(norm(w).split()) for w in u.drug_sparing if norm(w)))
        put(self, "_class_words", frozenset(norm(w) for w in u.drug_class_words))
        put(self, "_keeps", frozenset(k for w in u.learned.keeps if (k := norm(w))))
        put(self, "_back", frozenset(norm(w) for w in u.back))
        put(self, "_question_forms", frozenset(w for q in u.question_words for w in basic(q).split()))
        put(self, "_question_phrases", phrases(u.question_phrases))
        put(self, "_ours", next((norm(d.names[0]) for d in u.drugs if d.ours and d.names), norm("prednisone")))
        follow_on: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for after, nxt, said in u.follow_on:
            follow_on.setdefault(after, []).append((nxt, tuple(f" {norm(p)} " for p in said if norm(p))))
        put(self, "_follow_on", follow_on)
        alone: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for after, nxt, said in u.follow_on_alone:
            alone.setdefault(after, []).append((nxt, frozenset(p for p in map(norm, said) if p)))
        put(self, "_alone", alone)
        put(self, "_alone_phrases", frozenset(p for nexts in alone.values() for _, ps in nexts for p in ps))
        put(self, "_set_against", tuple(norm(p) for p in SET_AGAINST))
        put(self, "_same_class_als", frozenset(norm(d) for d in u.drug_same_class_als))
        put(self, "_works_words", tuple(norm(p) for p in WORKS_WORDS))
        put(self, "_why", (norm("why"), norm("how come")))
        put(self, "_why_against", frozenset(norm(w) for w in WHY_AGAINST))
        put(self, "_filler", frozenset(w for f in u.filler for w in norm(f).split()))
        put(
            self,
            "_referents",
            {t: (norm(said), frozenset(norm(p) for p in pronouns)) for t, said, pronouns in u.referents},
        )
        groups: dict[str, tuple[str, ...]] = {
            "except": self._urgent_except,
            "guard": tuple(p for _, p in self._guards),
            "oos_drugs": self._oos_drugs,
            "oos_conditions": self._oos_conditions,
            "oos_alone": self._oos_alone,
            "oos_services": self._oos_services,
            "in_scope": self._in_scope,
            "addressed": phrases(u.addressed),  # words that talk to the bot (topics.addressed)
            "new_subject": phrases(u.new_subject),  # "another question": no follow-up (topics.new_subject)
            "wears_off": phrases(u.wears_off),  # "does it go away when I stop?" (topics.wears_off)
        }
        for condition, _ in self._condition_drugs:
            groups[f"drug:{condition}"] = tuple(p for c, p in self._condition_drugs if c == condition)
        for d in u.drugs:
            groups[f"name:{d.id}"] = phrases((*d.names, *d.abroad))
        put(self, "_phrases", PhraseIndex.build(groups))

    # --- reading a message ---------------------------------------------------------------------------

    def scan(self, text: str) -> Scan:
        truncated = len(text) > MAX_TEXT_CHARS
        words: list[str] = []
        sentence: list[int] = []  # each word's sentence
        asks: list[bool] = []  # each sentence's
        raw: list[str] = []
        matched_to = 0  # words from sentences that start within MAX_MATCH_CHARS: what the topic is matched on
        clauses = 0
        unstemmed: list[str] = []
        clause_asks: list[bool] = []
        clause: list[int] = []  # each word's clause: a negation reaches no further ("it's not ALS, it's LEMS")
        quote: list[int] = []  # each word's quotation, -1 outside one ('the leaflet says "vomiting blood"')
        for k, (offset, piece, question) in enumerate(_sentences(text[:MAX_TEXT_CHARS])):
            ws = []
            opens = ""  # the sentence's first word as written: "having chest pains" opens with no question word
            spans = _quotes(piece)
            parts = _parts(piece)
            for n, (at, part) in enumerate(parts):
                forms: list[str] = []
                for lo, hi, inside in _segments(at, part, spans):
                    seg = self.normalize.words_of(part[lo:hi])  # before stemming: drug-like endings are read on these
                    forms += seg
                    quote += [inside] * len(seg)
                cw = [stem(w) for w in forms]
                ws += cw
                opens = opens or (forms[0] if forms else "")
                clause += [clauses] * len(cw)
                clauses += 1
                if offset < MAX_MATCH_CHARS:
                    unstemmed += forms
                # a clause asks when a question word opens it, or it ends a sentence that ends with "?"
                clause_asks.append(self._asks(cw, forms[0] if forms else "") or (question and n == len(parts) - 1))
            words += ws
            sentence += [k] * len(ws)
            raw.append(piece)
            asks.append(question or self._asks(ws, opens))
            if offset < MAX_MATCH_CHARS:
                matched_to = len(words)
        places = self._phrases.places(words)
        masked = list(words)
        for group, _, start, n in places:
            if group == "except":  # "affects breathing", "breathing muscles": a topic, not a symptom now
                masked[start : start + n] = [","] * n
        hits = tuple(self._concepts.find(masked, clause, sentence, clause_asks, quote))
        emergency = next((h for h in hits if h.urgent), None)

        # the sentence(s) that ask, when a story comes first
        told = {sentence[i] for i in range(matched_to)}
        asking = [k for k in sorted(told) if asks[k]]
        region = set(asking) if 1 <= len(asking) < len(told) else told
        vague = ""
        negated: list[str] = []

        def live(start: int, contrast: bool = False) -> bool:
            cue = self._negation.cue_before(words, clause, start)
            if cue and contrast and cue[1] > 0 and words[cue[1] - 1] in CONTRAST:
                cue = None  # "used in LEMS but not in ALS" sets the two side by side; it denies neither
            if (
                cue
                and cue[0] in ASKING_NOT
                and asks[sentence[cue[1]]]
                and (cue[1] == 0 or sentence[cue[1] - 1] != sentence[cue[1]])
            ):
                cue = None  # "aren't LEMS and ALS the same thing?": a question that opens so asks, denies nothing
            if cue:
                negated.append(f"{' '.join(words[start : start + 1])} (after {cue[0]!r})")
            return cue is None

        found: dict[str, list[tuple[int, int, int]]] = {}  # group → (rank, start, n), in reading order
        for group, rank, start, n in places:
            found.setdefault(group, []).append((rank, start, n))
        alive = {i: live(i, contrast=True) for i, w in enumerate(words[:matched_to]) if w in ("lems", "als")}
        for i in sorted(alive):  # "I don't have ALS or LEMS": the negation runs on through the list
            if alive[i] and i >= 2 and words[i - 1] in ("or", "nor") and alive.get(i - 2) is False:
                alive[i] = False
        named = frozenset(words[i] for i, ok in alive.items() if ok)
        implied = frozenset(  # "I don't want riluzole's side effects": a negated drug implies nothing
            c for c, _ in self._condition_drugs if any(live(st) for _, st, _ in found.get(f"drug:{c}", ()))
        )
        drugs = tuple(
            dict.fromkeys(
                g[5:] for g, _, st, _ in sorted(places, key=lambda p: p[2]) if g.startswith("name:") and live(st)
            )
        )

        def best(group: str, where: set[int], negatable: bool) -> int | None:
            spots = [(r, st) for r, st, _ in found.get(group, ()) if sentence[st] in where]
            spots = [(r, st) for r, st in spots if not negatable or live(st)]
            return min(spots)[0] if spots else None

        # lexicon.yaml's urgent exceptions mask words for the emergency concepts only: "is anything at all
        # slowing ALS?" keeps its "at all" for the topic words
        topic_hits = self._signals.find(words, clause, sentence, clause_asks)
        # a topic's words count when not negated; when every one is, the denied words of topics.denied_count
        # still say what the question is about ("she's never had chickenpox", "not pregnant yet, but trying")
        denied_count = self.catalog.understanding.denied_count
        signal_hits = [h for h in topic_hits if h.negated_by is None] or [
            h for h in topic_hits if h.concept in denied_count
        ]
        # a routine topic's words that reach over a serious symptom asked about ("is throwing up blood a side
        # effect of steroids?" is no "throw up + steroid", being sick after a dose); within it, they stand ("if
        # I'm sick and can't keep my prednisone down": a missed dose)
        asked = [h for h in hits if h.about and not h.negated_by and h.about not in self._concepts.figures]
        signal_hits = [
            h
            for h in signal_hits
            if h.concept in GENERIC_TOPICS
            or not any(
                h.start <= a.start and a.end < h.end and h.concept not in (a.concept, self._own_card(a.concept))
                for a in asked
            )
        ]
        picked = [w for i, w in enumerate(words[:matched_to]) if sentence[i] in region]
        if region != told and not any(sentence[h.start] in region for h in signal_hits):
            probe = self.matcher.match(" ".join(picked), conditions=len(named))
            if len(self.matcher.content(" ".join(picked))) < VAGUE_QUESTION or (
                probe.best is None or probe.best.score < ANSWER_BAR
            ):
                # "Is that normal?", "What treatments are there?" after a story: the story says what "that" is
                # and which treatments, so the topic is decided on it all
                vague = " ".join(raw[k].strip() for k in sorted(region))
                picked, region = words[:matched_to], told
        denied = self._denied(words[:matched_to], clause, clause_asks)
        if denied:
            # "he is not diabetic, but can steroids raise his sugar?", "I don't want the dose, I want to know
            # if it works": what a clause denies is not the topic, when the rest asks a question of its own
            rest = [w for i, w in enumerate(words[:matched_to]) if sentence[i] in region and i not in denied]
            probe = self.matcher.match(" ".join(rest), conditions=len(named))
            if len(self.matcher.content(" ".join(rest))) >= VAGUE_QUESTION and (
                probe.best is not None and probe.best.score >= ANSWER_BAR
            ):
                picked = rest
        oos_drug = best("oos_drugs", region, True)
        oos_service = best("oos_services", region, True)  # "a wheelchair for MND?": asked, not told in the story
        oos_cond = best("oos_conditions", told, True)  # "I have lupus. Can I take prednisone?": the story counts
        oos_alone = None if "in_scope" in found or named or implied else best("oos_alone", region, True)
        guard = best("guard", region, True)  # "I don't want to stop prednisone, just ..." is no stopping question
        wears_off = region != told and best("wears_off", region, False) is not None
        if (
            region != told
            and not any(w in ("lems", "als") for w in picked)
            and any(self._drugs[d].ours for d in drugs if d in self._drugs)
        ) and not any(g.startswith("name:") for g, _, st, _ in places if sentence[st] in region):
            picked.append(self._ours)  # "how is that supposed to help her?" after a story about prednisone
        topic_text = " ".join(picked)
        full = " ".join(words[:matched_to])
        language = None
        if emergency is None and self._looks_foreign(words) and not self._english.intersection(basic(text).split()):
            # drug and condition names say nothing of the language ("prednisone", "Lambert-Eaton")
            plain = " ".join(
                w
                for w in text[:MAX_MATCH_CHARS].split()
                if not self._names.intersection(basic(w).split())
                and not self._name_words.issuperset(self.normalize(w).split() or ["-"])  # "síndrome", "prednisona"
            )
            names = tuple(n for n, _ in self.catalog.understanding.languages)
            # what is left can be short ("Was ist das ...?"): then the whole message, names and all, is read
            language = detect(plain, names) or detect(text[:MAX_MATCH_CHARS], names)
        return Scan(
            text=topic_text,
            conditions=named or implied,
            named=bool(named),
            urgent=self._concepts.by_id[emergency.concept].label if emergency else None,
            guard=self._guards[guard][0] if guard is not None else None,
            out_of_scope=(self._oos_drugs[oos_drug] if oos_drug is not None else None)
            or (self._oos_services[oos_service] if oos_service is not None else None)
            or (self._oos_conditions[oos_cond] if oos_cond is not None else None)
            or (self._oos_alone[oos_alone] if oos_alone is not None else None),
            in_scope="in_scope" in found,
            content_words=len(self.matcher.content(topic_text)),
            truncated=truncated,
            full=full,
            story_words=len(self.matcher.content(full)),
            emergency=emergency,
            emergency_words=tuple(words[emergency.start : emergency.end + 1]) if emergency else (),
            hits=hits,
            drugs=drugs,
            subject=(asked_drugs := self._subject(words, places, sentence, region, drugs)) or drugs,
            subject_asked=bool(asked_drugs),
            negated=tuple(dict.fromkeys(negated)),
            asking=" ".join(raw[k].strip() for k in sorted(region)) if region != told else "",
            vague_asking=vague,
            language=language,
            general=any(asks) and not self._concepts.personal.intersection(words),
            unknown_drugs=self._unknown_drugs(unstemmed),
            by_class=all(
                " ".join(words[st : st + n]) in self._class_words
                for g, _, st, n in places
                if g.startswith("name:") and g[5:] in self._drugs and self._drugs[g[5:]].ours
            ),
            addressed=any(st < matched_to for _, st, _ in found.get("addressed", ())),
            new_subject=bool(found.get("new_subject")),
            typed=text[:MAX_MATCH_CHARS],
            # the asking sentence's topic words, else the story's ("she missed two days. Can she restart?")
            # and a situation told in the story ("she's 20 weeks pregnant. Will the steroids hurt?"); asked
            # whether "it" wears off, the side effect the story names ("my sugar is high ... does it go away
            # when I come off pred?")
            signals=(
                tuple(h for h in signal_hits if sentence[h.start] in region)
                + tuple(
                    h
                    for h in signal_hits
                    if sentence[h.start] not in region
                    and h.start < matched_to
                    and (
                        h.concept in self.catalog.understanding.situations
                        or (wears_off and h.concept in self.catalog.understanding.over_guards)
                    )
                )
            )
            or tuple(h for h in signal_hits if h.start < matched_to),
        )

    def _denied(self, words: list[str], clause: list[int], clause_asks: list[bool]) -> frozenset[int]:
        """Words of statements that deny ("I'm not diabetic", "I haven't missed a dose but ..."): a clause,
        or its part before "but", that opens with a negation within its first words and asks nothing,
        in a message where another clause asks."""
        if not any(clause_asks[c] for c in set(clause[: len(words)])):
            return frozenset()
        units: list[list[int]] = []
        for i, w in enumerate(words):
            if not units or clause[i] != clause[units[-1][-1]] or w in DENIAL_ENDS:
                units.append([])
            units[-1].append(i)
        out: set[int] = set()
        for unit in units:
            if clause_asks[clause[unit[0]]] and (unit[-1] + 1 == len(words) or clause[unit[-1] + 1] != clause[unit[0]]):
                continue  # the part that asks: a clause's last part, in a clause that asks
            head = unit[:DENIAL_OPENS]
            if any(self._negation.opens_at(words, i) for i in head):
                out.update(unit)
        return frozenset(out)

    def _unknown_drugs(self, words: list[str]) -> tuple[str, ...]:
        endings = self.catalog.understanding.drug_endings
        if not endings:
            return ()
        return tuple(
            w
            for w in dict.fromkeys(words)
            if len(w) > 5 and w.isalpha() and w not in self.normalize.known and w.endswith(endings)
        )

    def concept_label(self, concept: str) -> str:
        found = self._concepts.by_id.get(concept)
        return found.label if found else concept

    def _asks(self, words: list[str], first: str | None = None) -> bool:
        """`words` stemmed; `first` the first one as written, when known ("having" is no "have")."""
        if words and words[0] in self._question_words and (first is None or first in self._question_forms):
            return True
        padded = f" {' '.join(words)} "
        return any(f" {p} " in padded for p in self._question_phrases)

    def _subject(
        self,
        words: Sequence[str],
        places: Sequence[tuple[str, int, int, int]],
        sentence: Sequence[int],
        region: set[int],
        live: tuple[str, ...],
    ) -> tuple[str, ...]:
        """The drugs the asking sentence names; of several, with a word that asks about a drug among them
        (drugs.asks: dose, side effects, stopping), the one nearest the first such word: "what dose of
        azathioprine is given alongside prednisone?" asks azathioprine's dose, "I take riluzole, how much
        prednisone should I take?" prednisone's."""
        named = [(g[5:], st) for g, _, st, _ in sorted(places, key=lambda p: p[2])
                 if g.startswith("name:") and sentence[st] in region and g[5:] in live]  # fmt: skip
        subject = tuple(dict.fromkeys(d for d, _ in named))
        if len(subject) < 2:
            return subject
        yardstick = self._yardstick(words, named)
        if yardstick:  # "does riluzole give you a moon face like steroids do?": riluzole is asked about
            return tuple(d for d in subject if d not in yardstick)
        asks = [
            (i, len(phrase))
            for i in range(len(words))
            if sentence[i] in region and (phrase := _phrase_at(words, i, self._drug_asks)) is not None
        ]
        if not asks:
            return subject
        gs, n = asks[0]

        def distance(st: int) -> float:  # a drug after the word ("dose of azathioprine") before one ahead of it
            return 0 if gs <= st < gs + n else st - (gs + n - 1) if st >= gs + n else gs - st + 0.5

        nearest = min(named, key=lambda d: distance(d[1]))[0]
        return (nearest,) if nearest in self._drugs and not self._drugs[nearest].ours else subject

    def _yardstick(self, words: Sequence[str], named: list[tuple[str, int]]) -> frozenset[str]:
        """Prednisone named only right after a word of drugs.likened ("like steroids do", "faster than
        pred"), with another drug named before it: the measure the other drug is held to, not the subject."""
        first = next((st for d, st in named if d in self._drugs and not self._drugs[d].ours), None)
        if first is None:
            return frozenset()

        def after_likened(st: int) -> bool:
            return any(tuple(words[st - len(p) : st]) == p for p in self._likened if st >= len(p))

        ours = {d for d, _ in named if d in self._drugs and self._drugs[d].ours}
        # every mention of it is the yardstick, and it comes after the drug asked about
        return frozenset(d for d in ours if all(st > first and after_likened(st) for x, st in named if x == d))

    def _looks_foreign(self, words: list[str]) -> bool:
        """Most words unknown to the catalog: worth asking the language detector."""
        long = [w for w in words if len(w) > 2 and w.isalpha()]
        if len(long) < 2:
            return False
        own = [w for w in long if w not in self._name_words]  # names are the same in any language
        unknown = sum(w not in self.matcher.idf and w not in self.matcher.ignore for w in own)
        return bool(own) and unknown * 2 >= len(own)

    # --- deciding ------------------------------------------------------------------------------------

    def route(self, text: str, key: str, store: ContextStore, now: float) -> Decision:
        """The reply to one message in one conversation; updates that conversation's context."""
        routed = self.decide(text, store.get(key), now)
        if routed.remember is not None:
            store.put(key, routed.remember)
        return routed.decision

    def show(self, card_id: str, key: str, store: ContextStore, now: float) -> Decision:
        """A button was pressed: that card, or a short note when the catalog no longer has it."""
        routed = self.pressed(card_id, now)
        if routed.remember is not None:
            store.put(key, routed.remember)
        return routed.decision

    def decide(self, text: str, ctx: ChatContext | None, now: float) -> Routed:
        """The reply to one message given what the conversation remembers (`ctx`), and what to remember next.

        Pure: the caller gets and saves the context (the Brain, from a sync or an async store)."""
        return self.decide_scanned(self.scan(text), ctx, now)

    def decide_scanned(self, s: Scan, ctx: ChatContext | None, now: float) -> Routed:
        """`decide` for a message already read with `scan` (`check` reads every example once)."""
        reading = _Once(self.catalog.model, s.typed)  # the learned model reads the message at most once
        if s.emergency is not None:
            ctx = ctx if ctx is not None and ctx.fresh(now) else None
            calm = self._learned_calm(s, ctx, reading)
            if calm is not None:
                return Routed(calm, self._remember(calm, now, ctx))
            urgent = Decision(
                "urgent",
                card="urgent",
                concept=s.emergency.concept,
                reason=f"an emergency: {s.urgent} (the words {' '.join(s.emergency_words)!r})",
                truncated=s.truncated,
            )
            return Routed(urgent, None)
        learned_urgent = self._learned_urgent(s, reading)
        if learned_urgent is not None:
            return Routed(learned_urgent, None)
        ctx = ctx if ctx is not None and ctx.fresh(now) else None
        kept = ctx
        if ctx is not None and self.stands_alone(s):
            ctx = None  # "can you recommend a pasta recipe?" mid-conversation is no follow-up
        elif ctx is not None and s.new_subject:
            # "different question: what is ALS?" after a LEMS side-effects answer: the last topic lends nothing;
            # what the chat is about (prednisone, and the condition unless another is named) stays
            ctx = ChatContext(ctx.condition, None, None, ctx.at)
        decision = self._decide(s, ctx)
        decision = self._back_to_another_drug(s, ctx, decision)
        decision = self._beside_ours(s, decision)
        decision = self._asked_about(s, decision, s.in_scope or bool(s.conditions) or ctx is not None)
        decision = self._second_opinion(s, ctx, decision, reading)
        decision = self._small_talk_reading(s, decision, reading)
        if decision.truncated != s.truncated:
            decision = _replace(decision, truncated=s.truncated)
        return Routed(decision, self._remember(decision, now, kept))

    def _alone_follow_up(self, s: Scan, ctx: ChatContext) -> Decision | None:
        """ "why?" right after the evidence card, "what is it exactly?" after a condition's overview (a sentence
        that is only one of topics.follow_on_alone's phrases): the next topic, for the conversation's condition."""
        if (
            s.signals
            or s.out_of_scope
            or s.unknown_drugs
            or s.content_words > FOLLOW_ON_MAX_WORDS
            or not s.conditions <= {ctx.condition}
            or not all(self._drugs[d].ours for d in s.drugs if d in self._drugs)
        ):
            return None
        sentences = self._bare(s)
        for nxt, phrases in self._alone[ctx.topic or ""]:
            said = next((typed for p, typed in sentences.items() if p in phrases), None)
            card = self.catalog.variant(nxt, ctx.condition) or self.catalog.variant(nxt, None)
            if said is not None and card is not None:
                shown = self.catalog.cards.get(ctx.card or "")
                before = shown.title if shown is not None else ctx.topic
                return Decision("answer", card=card.id, topic=card.topic, condition=_cond(card), context_used=True,
                                reason=f"after {before!r}, {said!r} alone asks {card.title!r}")  # fmt: skip
        return None

    def _what_is_it(self, s: Scan, named: str | None) -> Decision | None:
        """ "My friend's husband has LEMS. What actually is it?": a story that names one condition and no drug,
        whose question is only one of topics.follow_on_alone's "what is it" phrases, asks what that condition is."""
        if named is None or not s.named or s.drugs or s.unknown_drugs or s.out_of_scope or not s.vague_asking:
            return None
        asked = " ".join(w for w in self.normalize(s.vague_asking).split() if w not in self._filler)
        phrases = {p for nexts in self._alone.values() for nxt, ps in nexts if nxt == "overview" for p in ps}
        card = self.catalog.variant("overview", named)
        # "it" is the condition; "... mentioned a PEG. what is that?" points to the last thing said
        if asked not in phrases or "it" not in asked.split() or card is None:
            return None
        why = f"{s.vague_asking!r} asks what {named.upper()}, the condition the story names, is"
        return Decision("answer", card=card.id, topic=card.topic, condition=named, reason=why)

    def _bare(self, s: Scan) -> dict[str, str]:
        """The message's sentences, normalised, without topics.filler's words ("what is it exactly?") → as typed."""
        return {
            " ".join(w for w in self.normalize(piece).split() if w not in self._filler): piece.strip()
            for _, piece, _ in _sentences(s.typed)
        }

    def _about_ours(self, s: Scan) -> bool:
        """The message names prednisone, a steroid, LEMS, ALS or a drug of theirs: the learned model speaks
        only then (it has never seen the world's other questions, and "call 911 for me" is no emergency of ours)."""
        return bool(s.in_scope or s.conditions or s.drugs)

    def _learned_urgent(self, s: Scan, reading: _Once) -> Decision | None:
        """An emergency the rules missed, in a message about ours, when the learned model is sure of it."""
        if not self._about_ours(s) or s.story_words < LEARNED_URGENT_WORDS:
            return None
        # the rules saw emergency words and judged them (denied, asked about, over, calm): that stands, unless
        # all they found was a question in general ("is it normal to suddenly see things on pred?") and the
        # model reads the whole message, story and all ("my wife keeps swatting at spiders"), as an emergency
        if s.hits and not all(h.about == GENERAL and h.negated_by is None for h in s.hits):
            return None
        if (read := reading.get()) is None:
            return None
        guess = read.best()
        settings = self.catalog.understanding.learned
        # in another language the rules know few emergency words, and the model reads letter groups of any
        bar = settings.urgent_not_english if s.language else settings.urgent_asked if s.hits else settings.urgent
        if guess is None or guess.urgent < bar:
            return None
        said = f"it reads as an emergency ({guess.urgent:.2f}" + "".join(f", {w!r}" for w in guess.words) + ")"
        return Decision("urgent", card="urgent", truncated=s.truncated, learned=said,
                        reason=f"{'emergency words asked in general' if s.hits else 'no emergency words I list'}, "
                               f"but the learned model says {said}")  # fmt: skip

    def _learned_calm(self, s: Scan, ctx: ChatContext | None, reading: _Once) -> Decision | None:
        """Emergency words in a question the learned model reads, surely, as no emergency ("can you have the
        shingles vaccine on prednisone?", "my face is round, my sister thinks it's an allergy, it isn't, is
        it?"): the card it asks for, with that emergency's advice above it. Never for a concept marked
        `always`, another drug's question, or a card that needs a condition nobody named."""
        settings = self.catalog.understanding.learned
        hit = s.emergency
        if hit is None or not settings.calm or not self._about_ours(s) or s.language:
            return None
        concepts = [self._concepts.by_id.get(h.concept) for h in s.hits if h.urgent]
        if any(c is None or c.always for c in concepts) or s.unknown_drugs:
            return None  # ... nor when any live hit is one, behind the first ("... make me suicidal": self-harm)
        if any(not self._drugs[x].ours for x in s.subject if x in self._drugs):
            return None  # another drug asked about (Firdapse only in the story before is no matter)
        if (read := reading.get()) is None or read.urgent >= settings.calm:
            return None
        guess = read.best(skip=NOT_LEARNED)
        if guess is None or guess.share < settings.calm_share or guess.label in NOT_CALMED:
            return None
        if self._urgent_clause(s.typed, settings.calm_clause):
            return None  # "what are the side effects of pred, i can't breathe": the question does not hide a report
        if self._concepts.said_begun(s.full.split()):
            return None  # "... and has collapsed, I read about adrenal crisis online, is that it?": said to be now
        cond = next(iter(s.conditions)) if len(s.conditions) == 1 else None
        cond = cond if s.conditions else (ctx.condition if ctx is not None else None)
        card = (self.catalog.variant(guess.label, cond) if cond else None) or self.catalog.variant(guess.label, None)
        if card is None:
            return None
        said = f"reads it as {card.title!r} ({guess.share:.2f}, an emergency {read.urgent:.3f})"
        return Decision("answer", card=card.id, topic=card.topic, condition=_cond(card) or cond,
                        concept=hit.concept, truncated=s.truncated, learned=said,
                        reason=f"emergency words ({s.urgent}: {' '.join(s.emergency_words)!r}), "
                               f"but the learned model {said}")  # fmt: skip

    def _urgent_clause(self, typed: str, bar: float) -> bool:
        """A clause that, read alone, has emergency words and reads as an emergency to the learned model."""
        model = self.catalog.model
        for clause in _CLAUSE.split(typed):
            if len(clause.split()) < 2 or self.scan(clause).emergency is None:
                continue
            reading = model.read(clause) if model is not None else None
            if reading is None or reading.urgent >= bar:
                return True
        return False

    def _second_opinion(self, s: Scan, ctx: ChatContext | None, d: Decision, reading: _Once) -> Decision:
        """The learned model's topic over a weak decision (`basis`), when it is sure enough; the condition stays
        the rules' (named, or the conversation's), and another drug's question stays theirs."""
        settings = self.catalog.understanding.learned
        if d.context_used or d.notice or d.drug or d.language or d.kind == "urgent":
            return d
        if d.basis is None and (
            not settings.sure or s.guard or s.out_of_scope or not self._about_ours(s) or d.topic in NOT_CALMED
        ):
            return d  # a strong decision: only a model at `sure` speaks over it, never over a fixed phrase or help now
        if d.basis == "agree":
            return self._agreed(s, d, reading)
        if d.basis == "beside" and ctx is not None and ctx.topic and not self._about_ours(s):
            return self._beside_in_context(ctx.topic, d, reading, any_own=self._speaks_of_it(s))
        if d.basis == "overview" and settings.outside and (out := self._outside(d, reading, settings.outside)):
            return out
        # "is there anything that treats it?" right after the MND overview: "it" is the chat's subject
        lent = ctx is not None and bool(ctx.condition) and d.basis == "weak" and self._speaks_of_it(s)
        if len(s.conditions) > 1 or (d.basis != "example" and not self._about_ours(s) and not lent):
            return d
        if (s.unknown_drugs or any(not self._drugs[x].ours for x in s.drugs if x in self._drugs)) and not (
            self._weighs_treatments(s, d, reading) or self._other_in_the_story(s)
        ):
            return d  # another drug named: which one is asked about, and what it gets, is the rules' (drugs.asks)
        if d.topic in NOT_LEARNED or (ctx is not None and s.content_words <= FOLLOW_UP_MAX_WORDS and not lent):
            return d  # small talk is the rules'; so is a short follow-up ("what about ALS?"), which reads by context
        if self._keeps and any(f" {k} " in f" {s.full} " for k in self._keeps):
            return d  # "a steroid-sparing drug, how does that work?": the words name another subject than prednisone
        if d.basis == "example" and (d.score or 0) >= CLOSE_EXAMPLE and not self._ours_beside_treatments(s, d):
            return d  # an example this close is the rules' strongest sign ("does prednisone help ALS?")
        read = reading.get()
        guess = read.best(skip=NOT_LEARNED) if read is not None else None
        bar = settings.strong if d.basis == "words" or d.kind == "clarify" else settings.answer
        bar = settings.beside if d.basis == "beside" else bar
        bar = max(bar, settings.strong) if lent and not self._about_ours(s) else bar
        bar = settings.sure if d.basis is None else bar
        if guess is None or guess.share < bar or guess.label == d.topic:
            return d
        home = self._home_of.get(s.out_of_scope or "")
        allowed = (home,) if home else self.catalog.understanding.over_out_of_scope
        if d.basis == "beside" and guess.label not in allowed:
            return d  # beside another condition, only prednisone's own topics of it (its sugar, its infections);
            # beside a medicine of one of our topics (insulin), only that topic
        cond = next(iter(s.conditions)) if s.conditions else (ctx.condition if ctx is not None else None)
        card = self.catalog.variant(guess.label, cond) if cond else None
        card = card or self.catalog.variant(guess.label, None)
        if card is None:  # a topic of LEMS's or ALS's, and neither is known: the rules' decision stands
            return d
        said = f"reads it as {card.title!r} ({guess.share:.2f}" + "".join(f", {w!r}" for w in guess.words) + ")"
        was = self.catalog.cards[d.card].title if d.card and d.card in self.catalog.cards else d.kind
        return Decision("answer", card=card.id, topic=card.topic, condition=_cond(card) or cond,
                        candidates=d.candidates, score=d.score, truncated=d.truncated, learned=said,
                        reason=f"the learned model {said}, over {was!r} ({d.reason})")  # fmt: skip

    def _small_talk_reading(self, s: Scan, d: Decision, reading: _Once) -> Decision:
        """A fallback on what the model reads surely as a greeting, a thank-you or a question about the bot
        ("heyy just found this, can i ask stuff bout my pred"): that card. Never over a notice (another drug or
        language, a long story), an out-of-scope word or a word like a drug name nobody knows."""
        bar = self.catalog.understanding.learned.small_talk
        if not bar or d.kind != "fallback" or d.notice or d.drug or d.language or s.out_of_scope or s.unknown_drugs:
            return d
        read = reading.get()
        guess = read.best() if read is not None else None
        if guess is None or guess.label not in SMALL_TALK_LABELS or guess.share < bar:
            return d
        card = self.catalog.variant(guess.label, None)
        if card is None:
            return d
        said = f"reads it as {card.title!r} ({guess.share:.2f}" + "".join(f", {w!r}" for w in guess.words) + ")"
        return Decision("answer", card=card.id, topic=card.topic, candidates=d.candidates, score=d.score,
                        truncated=d.truncated, learned=said,
                        reason=f"{d.reason}, but the learned model {said}")  # fmt: skip

    def _other_in_the_story(self, s: Scan) -> bool:
        """ "... started on prednisone alongside the Firdapse. Her face has gone puffy. Is that the steroids?":
        the other drug is in the story only; the asking sentence names prednisone alone, so the question is ours
        and the model may read its topic as for any question of ours."""
        if s.unknown_drugs or not s.subject or len(s.subject) == len(s.drugs):
            return False
        return all(x in self._drugs and self._drugs[x].ours for x in s.subject)

    def _ours_beside_treatments(self, s: Scan, d: Decision) -> bool:
        """ "Does prednisone slow MND down at all?" came closest to "what can slow MND down?", an example of the
        other treatments that names no drug: prednisone, the question's subject, is what it asks about, so the
        closeness is no sign against the learned model's reading."""
        if (
            d.topic != "alternatives"
            or not d.candidates
            or not any(self._drugs[x].ours for x in s.drugs if x in self._drugs)
        ):
            return False
        return not self.scan(d.candidates[0].example).drugs

    def _outside(self, d: Decision, reading: _Once, bar: float) -> Decision | None:
        """A condition named, no topic found: its overview, unless the model reads the message as one the bot
        does not cover ("which hospital has the best ALS clinic?"): then the honest fallback beats the overview."""
        read = reading.get()
        if read is None or (share := read.share("fallback")) < bar:
            return None
        said = f"reads it as outside what I cover ({share:.2f})"
        why = f"{d.reason}, but the learned model {said}"
        return _replace(self._fallback(d.condition, why, d.candidates), learned=said)

    @staticmethod
    def _speaks_of_it(s: Scan) -> bool:
        return not SUBJECT_PRONOUNS.isdisjoint(s.text.split())

    def _weighs_treatments(self, s: Scan, d: Decision, reading: _Once) -> bool:
        """ "IVIG vs steroids for LEMS, which works quicker?": another drug weighed against prednisone is a question
        for the card on the other treatments, when the model is sure of that (`strong`) and the question is
        not a practical one about the other drug (its dose, its tests: its prescriber's)."""
        if d.topic == "alternatives" or not self._about_ours(s) or self._practical_ask(s):
            return False
        read = reading.get()
        guess = read.best(skip=NOT_LEARNED) if read is not None else None
        strong = self.catalog.understanding.learned.strong
        return guess is not None and guess.label == "alternatives" and guess.share >= strong

    def _beside_in_context(self, topic: str, d: Decision, reading: _Once, *, any_own: bool = False) -> Decision:
        """Another condition named right after prednisone's own topic of it (the sugar card, then "I'm type 2
        diabetic, should I worry?"): that topic again, only when the learned model reads it too, surely. With
        `any_own` ("will it mess up her sugars?" in a chat about prednisone), any of prednisone's own topics of
        another condition that the model reads surely."""
        read = reading.get()
        guess = read.best(skip=NOT_LEARNED) if read is not None else None
        own = self.catalog.understanding.over_out_of_scope
        topic = guess.label if guess is not None and any_own and guess.label in own else topic
        card = self.catalog.variant(topic, None)
        if (
            card is None
            or guess is None
            or guess.label != topic
            or guess.share < self.catalog.understanding.learned.strong
        ):
            return _replace(d, basis=None)
        said = f"reads it as {card.title!r} ({guess.share:.2f}" + "".join(f", {w!r}" for w in guess.words) + ")"
        where = "in a chat about prednisone, of which it speaks," if any_own else f"right after {card.title!r}"
        return Decision("answer", card=card.id, topic=card.topic, condition=None, score=d.score, truncated=d.truncated,
                        context_used=True, learned=said,
                        reason=f"{d.reason}, but {where} the learned model {said}")  # fmt: skip

    def _agreed(self, s: Scan, d: Decision, reading: _Once) -> Decision:
        """A fallback whose closest example came near the bar, naming nothing of ours: two readers, the examples
        and the learned model, each picking the same card of a topic that needs no condition is enough to answer."""
        near = self.catalog.cards.get(d.candidates[0].card) if d.candidates else None
        read = reading.get()
        guess = read.best(skip=NOT_LEARNED) if read is not None else None
        strong = self.catalog.understanding.learned.strong
        if near is None or near.condition != "general" or guess is None or guess.label != near.topic:
            return _replace(d, basis=None)
        sure = guess.share >= (strong if (d.score or 0) >= AGREE_BAR else AGREE_SURE_SHARE)
        if not sure or s.unknown_drugs or s.out_of_scope:
            return _replace(d, basis=None)
        said = f"reads it as {near.title!r} too ({guess.share:.2f}" + "".join(f", {w!r}" for w in guess.words) + ")"
        return Decision("answer", card=near.id, topic=near.topic, condition=None, candidates=d.candidates,
                        score=d.score, truncated=d.truncated, learned=said,
                        reason=f"{d.reason}, but the closest example and the learned model agree: {said}")  # fmt: skip

    def stands_alone(self, s: Scan) -> bool:
        """A message that names nothing of ours, has a word no example knows, and points back to nothing
        ("it", "that", "she") is a question of its own: the conversation so far does not make it ours."""
        if s.in_scope or s.conditions or s.drugs or s.unknown_drugs:
            return False
        words = s.text.split()
        if self._follow_up_form(s.text) or not self._back.isdisjoint(words):
            return False
        if s.signals:  # a topic's own words: "and the shingles jab?"
            return False
        said = f" {s.full} "
        if any(p in said for nexts in self._follow_on.values() for _, phrases in nexts for p in phrases):
            return False  # "what happens if I do?": topics.follow_on decides whether it follows on
        if self._alone and s.content_words <= FOLLOW_ON_MAX_WORDS and not self._alone_phrases.isdisjoint(self._bare(s)):
            return False  # "how come?": topics.follow_on_alone does
        if any(w not in self.matcher.idf and w not in self._filler for w in self.matcher.content(s.text)):
            return True  # (a filler word is no word of another subject: "what's the downside tho")
        alone = self.matcher.match(s.text).best  # without the condition the conversation would lend it
        return alone is None or alone.score < ANSWER_BAR

    def pressed(self, card_id: str, now: float) -> Routed:
        """A button press: that card, or a short note when the catalog no longer has it."""
        card = self.catalog.cards.get(card_id)
        if card is None:
            stale = Decision("fallback", options=self._defaults(None), notice="stale_button", reason="stale button")
            return Routed(stale, None)
        kind: Kind = "urgent" if card.topic == "urgent" else "answer"
        decision = Decision(kind, card=card.id, topic=card.topic, condition=_cond(card), reason="button")
        return Routed(decision, self._remember(decision, now, None))

    def _decide(self, s: Scan, ctx: ChatContext | None) -> Decision:
        exact = self._verbatim.get(s.text)
        if exact is not None and not s.conditions and self.catalog.cards[exact].condition == "general":
            # typed exactly as an example, even one made only of stop words ("what can you do")
            return self._resolve(self.catalog.cards[exact], ctx.condition if ctx else None,
                                 Decision("answer", score=100.0, reason="an example, typed exactly"))  # fmt: skip
        if s.language:
            return Decision(
                "fallback", notice="not_english", language=s.language, options=self._defaults(None),
                reason=f"written in {s.language}, and I read English",
            )  # fmt: skip
        if ctx is not None and ctx.topic in self._follow_on and s.content_words <= FOLLOW_ON_MAX_WORDS:
            # "what happens if I do?" right after the stopping card asks what the risks are (topics.follow_on)
            said = f" {s.full} "
            ours_only = all(self._drugs[d].ours for d in s.drugs if d in self._drugs) and not s.unknown_drugs
            for nxt, phrases in self._follow_on[ctx.topic]:
                if nxt == ctx.topic and s.signals:
                    continue  # "can't sleep, is that the pred?" after the side effects card names its own topic
                hit = next((p for p in phrases if p in said), None)
                card = self.catalog.variant(nxt, ctx.condition) or self.catalog.variant(nxt, None)
                if hit is not None and card is not None and ours_only and not s.out_of_scope:
                    shown = self.catalog.cards.get(ctx.card or "")
                    before = shown.title if shown is not None else ctx.topic
                    why = f"after {before!r}, the words {hit.strip()!r} ask {card.title!r}"
                    return Decision("answer", card=card.id, topic=card.topic, condition=_cond(card), context_used=True,
                                    reason=why)  # fmt: skip
        if ctx is not None and ctx.topic in self._alone and (follows := self._alone_follow_up(s, ctx)):
            return follows
        if not s.text or (s.content_words == 0 and not s.conditions):
            return self._fallback(None, "nothing to match")
        named = next(iter(s.conditions)) if len(s.conditions) == 1 else None
        if (told := self._what_is_it(s, named)) is not None:
            return told
        if (
            ctx is not None
            and ctx.condition in OTHER_OF
            and ctx.topic
            # "the other one, the motor neurone one": naming it agrees
            and s.conditions <= {OTHER_OF[ctx.condition]}
            and s.content_words <= FOLLOW_UP_MAX_WORDS
            and _other_condition(s.text)
            and (card := self.catalog.variant(ctx.topic, OTHER_OF[ctx.condition]))
        ):
            return Decision("answer", card=card.id, topic=card.topic, condition=OTHER_OF[ctx.condition],
                            context_used=True, reason="the other condition, topic from context")  # fmt: skip
        compare = self.catalog.variant("compare", None)
        if (
            ctx is not None
            and ctx.condition in OTHER_OF
            and named == OTHER_OF[ctx.condition]
            and s.named
            and compare is not None
            and not s.out_of_scope
            and all(self._drugs[d].ours for d in s.drugs if d in self._drugs)
            and not s.new_subject
            and (
                any(f" {p} " in f" {s.text} " for p in self._set_against)
                or (
                    any(f" {p} " in f" {s.text} " for p in self._why)
                    and not self._why_against.isdisjoint(s.text.split())
                )
            )
        ):  # "then why do Lambert-Eaton patients get it?" right after ALS: one condition set against the other
            why = f"after a question about {ctx.condition.upper()}, asks why or how {named.upper()} differs"
            return Decision("answer", card=compare.id, topic=compare.topic, context_used=True, reason=why)
        if (
            ctx is not None
            and ctx.topic
            and named
            and s.named
            and named != ctx.condition
            and s.content_words <= FOLLOW_UP_MAX_WORDS
            and (
                " ".join(s.text.split()[:2]) in ("same question", "same thing", "same for", "same with")
                # "and if it was ALS instead?", "what if it were ALS?": the same question, supposing the other
                or (s.content_words <= 2 and " ".join(s.text.split()[:2]) in IF_INSTEAD)
            )
            and (card := self.catalog.variant(ctx.topic, named))
        ):  # "same question for ALS": the last topic, for the condition named now
            return Decision("answer", card=card.id, topic=card.topic, condition=named, context_used=True,
                            reason="condition switch, topic from context")  # fmt: skip
        alone_in_context = s.out_of_scope in self._oos_alone and ctx is not None  # "cataracts?" after prednisone
        # another medicine, or a service, a thing or a person ("a good care home for MND"), is off topic even
        # beside a condition named; another illness only without one
        beside_too = s.out_of_scope in self._oos_drugs or s.out_of_scope in self._oos_services
        if s.out_of_scope and (beside_too or not s.conditions) and not alone_in_context:
            over = self._over_out_of_scope(s)
            drug_card = self.catalog.variant("drug", None)
            als_evidence = self.catalog.variant("evidence", "als")
            if (
                over is None
                and als_evidence is not None
                and s.conditions == frozenset({"als"})
                and s.out_of_scope in self._same_class_als
                and any(f" {p} " in f" {s.text} " for p in self._works_words)
            ):  # "would methylprednisolone pulses do anything for MND?": the trials tested steroids as a class
                why = f"asks if {s.out_of_scope!r}, a steroid like prednisone, works in ALS: trials tested the class"
                return Decision("answer", card=als_evidence.id, topic=als_evidence.topic, condition="als", reason=why)
            if over is None and drug_card is not None and self._is_it_a(s):
                # "is prednisone an antibiotic?", "is pred like ibuprofen?": what prednisone is answers it
                why = f"asks whether prednisone is {s.out_of_scope!r} or like it: what it is"
                return Decision("answer", card=drug_card.id, topic=drug_card.topic, condition=named, reason=why)
            if over is None:
                gone = self._fallback(named, f"out of scope: {s.out_of_scope!r}")
                ours = any(self._drugs[d].ours for d in s.drugs if d in self._drugs)
                # ... or right after prednisone's own topic of it ("I'm type 2, should I worry?" after the sugar card)
                ours = ours or (ctx is not None and ctx.topic in self.catalog.understanding.over_out_of_scope)
                # ... or "will it mess up her sugars?" in a chat about prednisone: "it" is prednisone
                ours = ours or (ctx is not None and bool(ctx.topic) and self._speaks_of_it(s))
                # ... a medicine that belongs to one of our topics too ("will my insulin need adjusting on pred?")
                own_kind = s.out_of_scope not in self._oos_drugs or s.out_of_scope in self._home_of
                beside = ours and own_kind and s.content_words >= LEARNED_BESIDE_WORDS
                return _replace(gone, basis="beside") if beside else gone
            card = self.catalog.variant(over.concept, named) or self.catalog.variant(over.concept, None)
            if card is not None:  # "can I have the covid booster on pred?": prednisone's infections question
                words = " ".join(s.full.split()[over.start : over.end + 1])
                return self._resolve(card, named, Decision("answer", reason=(
                    f"{s.out_of_scope!r} is outside what I cover, but the words {words!r} ask about prednisone "
                    f"and point to {card.title!r}")))  # fmt: skip
        other = self._other_subject(s) or self._taken_with(s) or self._called_a_steroid(s)
        ours = any(self._drugs[d].ours for d in s.subject if d in self._drugs)
        if other is None and s.unknown_drugs and (not ours or s.by_class):
            # "is aclidinium a steroid?": a drug I know nothing of; what it does is its pharmacist's to say
            return self._fallback(named, f"about {s.unknown_drugs[0]!r}, a medicine I do not cover")
        cond = named if s.conditions else (ctx.condition if ctx else None)
        if s.guard and (s.in_scope or s.conditions or ctx is not None):
            topic = self.catalog.cards[s.guard].topic
            if other is not None and topic in self.catalog.understanding.drug_topics:
                return self._other_drug(other, s, topic)  # a trial, a prognosis: no drug's own question
            over = self._over_guard(s)
            # the topic's card for the condition, or its one card for both ("pregnant, LEMS, come off it?")
            if over is not None and (
                card := self.catalog.variant(over.concept, cond) or self.catalog.variant(over.concept, None)
            ):
                words = " ".join(s.full.split()[over.start : over.end + 1])
                return self._resolve(card, cond, Decision("answer", reason=(
                    f"the words {words!r} point to {card.title!r}, over the fixed phrase for "
                    f"{self.catalog.cards[s.guard].title!r}")))  # fmt: skip
            return Decision("answer", card=s.guard, topic=topic, condition=named,
                            reason=f"a fixed phrase for {self.catalog.cards[s.guard].title!r}")  # fmt: skip
        # a drug used for one condition sets it, but does not stand in for naming it ("tell me about tofersen")
        known = len(s.conditions) if s.named else int(not s.conditions and cond is not None)
        match = self._rerank(self.matcher.match(s.text, conditions=known), s.text)
        match = self._referred(s, ctx, known, match)
        if self._statements and self._asks(s.text.split()):  # "what can you help with?" is no thanks
            match = Match(tuple(c for c in match.candidates if c.card not in self._statements))
        elif (
            self._statements
            and known
            and not (s.conditions or s.drugs)
            and "?" not in s.typed
            and WH_WORDS.isdisjoint(s.text.split())  # "so what actually helps then" asks, without a mark
        ):
            # "ok, that is a help" after a LEMS answer says thanks; the conversation's condition lifts its topics'
            # examples ("can prednisone help LEMS?"), so a statement is weighed as if said first
            plain = self._rerank(self.matcher.match(s.text, conditions=0), s.text)
            top = next((c for c in plain.candidates if c.card in self._statements), None)
            rest = max((c.score for c in plain.candidates if not self._small_talk(c)), default=0.0)
            if top is not None and top.score >= SMALLTALK_BAR and top.score - rest >= CLEAR_MARGIN:
                match = Match((top, *(c for c in plain.candidates if c is not top)))
        best = match.best
        greeting = None
        asks_it = ctx is not None and not _IT_ASKS.isdisjoint(itertools.pairwise(s.full.split()))
        if best is not None and (s.conditions or s.in_scope or asks_it) and self._small_talk(best):
            # "hi, what is LEMS?": the greeting is manners, the question is the message; and "would it help my
            # dad?" in a chat about prednisone asks what "it" does: no call for help
            greeting, best = best, next((c for c in match.candidates if not self._small_talk(c)), None)
        confident = best is not None and self._confident(s, ctx, named, best, match.candidates)
        # ours, not "sugar"; and not a word in passing in a long story that asks nothing
        scoped = bool(s.in_scope or s.conditions or ctx is not None)
        asks = s.asking or s.vague_asking or s.story_words <= LONG_QUESTION_WORDS
        signal = self._signal(s, scoped) if asks else None
        generic = cond is None and best is not None and self.catalog.cards[best.card].topic in GENERIC_TOPICS
        # "what is prednisone in the first place?" after an ALS answer: a question about prednisone, close to the
        # overview of a condition only the conversation names; the topic's words decide
        # ... and so does "does prednisone make your muscles weak? I have LEMS" close to "why does LEMS make your
        # muscles weak", an example that does not name prednisone
        generic = generic or (
            best is not None
            and (not s.conditions or not self._names_ours(best.example))
            and self.catalog.cards[best.card].topic == "overview"
            and any(self._drugs[d].ours for d in s.subject if d in self._drugs)
        )
        bar = (
            STRONG_SIGNAL
            if signal is not None and signal.concept in self.catalog.understanding.strong
            else SIGNAL_OVERRIDE
        )
        if signal is not None and signal.negated_by is not None:  # topics.denied_count: a plain hint, never strong
            bar, generic = SIGNAL_OVERRIDE, False
        elif (
            signal is not None
            and best is not None
            and self.catalog.cards[best.card].topic == "alternatives"
            and any(self._drugs[d].ours for d in s.subject if d in self._drugs)
            and not any(h.concept == "alternatives" for h in s.signals)
        ):
            # "does prednisone slow ALS down?" asks about prednisone; "what can slow ALS down?" (the close
            # example) asks what else: with prednisone the subject and no word of "else", the topic words decide
            bar = 101.0
        elif (
            signal is not None
            and signal.concept == "alternatives"
            and best is not None
            and self.catalog.cards[best.card].topic == "evidence"
            and not s.subject_asked
        ):
            # "steroids did nothing for his ALS. So what does work?": the story named the drug, the question asks
            # what works instead; an example on whether prednisone works reads close only on the story's drug
            bar = 101.0
        if signal is not None and (not confident or generic or (best is not None and best.score < bar)):
            card = self.catalog.variant(signal.concept, cond) or self.catalog.variant(signal.concept, None)
            if card is None and not s.conditions and ctx is None:  # "is prednisone any good?": LEMS or ALS?
                card = self.catalog.variant(signal.concept, "lems") or self.catalog.variant(signal.concept, "als")
            if card is not None and (
                best is None or not confident or self.catalog.cards[best.card].topic != card.topic
            ):
                if other is not None and card.topic in self.catalog.understanding.drug_topics:
                    return self._other_drug(other, s, card.topic)
                words = " ".join(s.full.split()[signal.start : signal.end + 1])
                return self._resolve(card, cond, Decision(
                    "answer", score=best.score if best else None, candidates=match.candidates, basis="words",
                    reason=f"the words {words!r} point to {card.title!r}",
                ))  # fmt: skip
        if (best is None or not confident) and other is not None:
            return self._other_drug(other, s, "question")
        if best is None or not confident:
            if greeting is not None and greeting.score >= SMALLTALK_BAR and not named:
                best = greeting  # "hey, I have a question about prednisone": no question yet, so say hello
            else:
                # a greeting set aside is no closest example in a message that asks: "... start me on azathioprine
                # ... is that normal?" is no "/start" (a story that only says thank you still reads as thanks)
                aside = greeting is not None and bool(s.asking or s.vague_asking or "?" in s.typed)
                kept = Match(tuple(c for c in match.candidates if c is not greeting)) if aside else match
                return self._without_topic(s, ctx, named, cond, kept)
        card = self.catalog.cards[best.card]
        asked = self.catalog.understanding.asked_about
        wondering = s.general or self._concepts.wondering(s.hits)
        if card.topic == "urgent" and wondering and asked and (info := self.catalog.variant(asked, None)):
            # "what are the signs of an emergency?", "if someone was short of breath, what should they do?": no
            # emergency is happening; the card on when to call answers
            card = info
        if other is not None and (
            card.topic not in OTHER_DRUG_KEEPS or (card.topic == "alternatives" and self._practical_ask(s))
        ):
            # a question about riluzole is answered with where riluzole fits, whatever it asks
            return self._other_drug(other, s, card.topic)
        base = Decision("answer", score=best.score, candidates=match.candidates, basis="example",
                        reason=f"closest to the example {self.typed.get(best.example, best.example)!r}")  # fmt: skip
        if len(s.conditions) == 2:
            return self._both_conditions(card, base)
        if (
            named
            and ctx
            and ctx.topic
            and card.topic == "overview"
            and s.content_words <= FOLLOW_UP_MAX_WORDS
            and (best.score < COMPLETE_QUESTION or self._follow_up_form(s.text))
        ):
            # "what about ALS?" after a side-effects answer: the topic carries over, the condition switches
            card = self.catalog.variant(ctx.topic, named) or card
        elif (
            named
            and s.named
            and card.topic != "overview"
            and not (s.drugs or s.unknown_drugs or s.signals)
            and self._names_ours(best.example)
            and "?" not in s.typed
            and not s.negated  # "without prednisone, what ..." names one
            and not self._asks(s.text.split())
            and WH_WORDS.isdisjoint(s.text.split())
            and not set(s.text.split()) & self._refers
            and (overview := self.catalog.variant("overview", named))
        ):
            # "my dad was just told he has LEMS" asks nothing and names no medicine: an example about prednisone
            # reads close only on the condition's name, and what the condition is comes first
            card = overview
            base = _replace(base, basis=None, reason=(
                f"names {named.upper()} and no medicine, and asks nothing: what {named.upper()} is"))  # fmt: skip
        elif (
            (cured := named or (ctx.condition if ctx is not None and ctx.topic == "overview" else None))
            and (ctx is None or ctx.topic == "overview")
            and card.topic == "evidence"
            and not (s.drugs or s.unknown_drugs)
            and not set(s.text.split()) & self._refers
            and self._names_ours(best.example)
        ):
            # "is there a cure for ALS?" matched "can prednisone cure ALS?": no drug named or referred to, so it
            # asks what treats the condition, not whether prednisone does; or, with another topic's words ("any
            # clinical trials for ALS?"), that topic
            asked = signal.concept if signal is not None and signal.concept != card.topic else "alternatives"
            # (or, right after the overview of a condition, "is there a cure?" asks it of that condition)
            card = self.catalog.variant(asked, cured) or self.catalog.variant(asked, None) or card
            base = _replace(base, basis=None, reason=(  # a reading of its own, not a weak match
                f"closest to an example about prednisone ({self.typed.get(best.example, best.example)!r}), but the "
                f"message names no medicine, so it asks "
                + (f"what treats {cured.upper()}" if asked == "alternatives" else "about its own words' topic")
                + f": {card.title!r}"))  # fmt: skip
        elif (
            card.topic == "overview"
            and not named
            and s.subject
            and all(d in self._drugs and self._drugs[d].ours for d in s.subject)
            and any(f" {w} " in f" {s.text} " for w in _WHAT_IS)
            and (drug_card := self.catalog.variant("drug", None))
        ):
            # "started on prednisone. What is it, in plain English?": a condition's overview example read close
            # on "plain English", but the thing asked about is the medicine named, and no condition is
            card = drug_card
            base = _replace(base, reason=f"{base.reason}; the question is about prednisone, not a condition")
        elif (
            named
            and card.topic in ("compare", "drug")
            and len(s.conditions) == 1
            and s.out_of_scope in self._oos_conditions
            and not s.drugs
            and (overview := self.catalog.variant("overview", named))
        ):
            # "how is Parkinson's different from ALS?": no prednisone, one of ours set beside another illness;
            # what ours is, never the card that sets LEMS beside ALS nor one about the medicine
            card = overview
            base = _replace(base, reason=f"{base.reason}; {named} set beside {s.out_of_scope!r}: what {named} is")
        elif (
            named
            and card.topic == "compare"
            and len(s.conditions) == 1
            and any(d in self._drugs and not self._drugs[d].ours for d in s.drugs)
            and (options := self.catalog.variant("alternatives", named))
        ):
            # "azathioprine as well as the prednisone, how do the two compare?": the two are medicines for one
            # condition, set side by side on its treatments card, not LEMS set beside ALS
            card = options
            base = _replace(base, reason=f"{base.reason}; the two compared are medicines for {named}")
        elif named and card.topic == "drug" and not s.named:
            # only a drug used for one condition ("tell me about tofersen"): it is one of that condition's options
            card = self.catalog.variant("alternatives", named) or card
        elif named and card.topic == "drug":
            card = self._condition_topic(named, best, match.candidates)
        return self._resolve(card, cond, _replace(base, context_used=not s.conditions and ctx is not None))

    def _rerank(self, match: Match, text: str) -> Match:
        """An example that shares one word with a message of several ("is it effective" for "how do steroids
        effect the respiratory system") says little about it: its score is cut, and the candidates re-sorted."""
        words = self.matcher.content(text)
        if len(words) < ONE_WORD_MESSAGE_MIN or not match.candidates:
            return match
        scored = [
            replace(c, score=round(c.score * ONE_WORD_SHARE, 1))
            if len(words & self.matcher.content(c.example)) <= 1 and c.score < 100
            else c
            for c in match.candidates
        ]
        return Match(tuple(sorted(scored, key=lambda c: -c.score)))

    def _signal(self, s: Scan, scoped: bool) -> Hit | None:
        """The one topic the message's words point to (topics.signals), when exactly one does; a specific
        topic beside the general side effects is the one ("sleep problems on prednisone")."""
        anywhere = self.catalog.understanding.anywhere
        hits = [h for h in s.signals if (scoped or h.concept in anywhere) and self._has_topic(h.concept)]
        topics = {h.concept for h in hits}
        if len(topics) > 1:
            topics.discard("overview")  # "never heard of LEMS ... why would a steroid help?": what the question asks
        if len(topics) > 1:
            topics -= GENERIC_TOPICS
        if len(topics) > 1 and len(specific := topics.intersection(self.catalog.understanding.specific)) == 1:
            topics = specific  # "pregnant ... do I need to stop it": pregnancy, over "do ... stop" (evidence)
        if len(topics) > 1:
            # a topic found on one word alone yields to one found on several: "can't keep + prednisolone"
            # (missed dose) says more than "bug" (infections)
            several = {t for t in topics if any(_words_matched(h) > 1 for h in hits if h.concept == t)}
            if several:
                topics = several  # ... and, of several such, the wider reading below ("if I got flu and
                # couldn't keep the pred down": planning for illness, over the dose brought up, over "flu")
        if len(topics) > 1:
            # one topic's words inside another's: the wider reading ("keeps skipping his pred ... dangerous")
            wide = {h.concept for h in hits if h.concept in topics}
            wide -= {h.concept for h in hits if any(_inside(h, o) for o in hits if o.concept != h.concept)}
            if len(wide) == 1:
                topics = wide
        return next(h for h in hits if h.concept in topics) if len(topics) == 1 else None

    def _over_guard(self, s: Scan) -> Hit | None:
        """A topic's own words that outweigh a fixed phrase ("come off it" + "trying for a baby" is a
        pregnancy question, not a stopping one): exactly one of topics.over_guards, other than the guard's."""
        if not s.guard:
            return None
        guard_topic = self.catalog.cards[s.guard].topic
        over = self.catalog.understanding.over_guards
        hits = [
            h
            for h in s.signals
            if h.concept in over and h.concept != guard_topic and h.negated_by is None and self._has_topic(h.concept)
        ]  # a denied topic ("I haven't missed a dose, how do I come off it?") never beats the phrase
        if len({h.concept for h in hits}) > 1:
            # two topics, one's words inside the other's: the wider reading stands ("gone + three + days + without +
            # my tablets", adrenal, holds "without + prednisone + day", a missed dose)
            hits = [h for h in hits if not any(_inside(h, o) for o in hits if o.concept != h.concept)]
        return hits[0] if len({h.concept for h in hits}) == 1 else None

    def _over_out_of_scope(self, s: Scan) -> Hit | None:
        """Another condition named in a question about prednisone's own topic ("covid booster on pred", "had
        pneumonia, does pred make infections likelier?", "I'm type 2 diabetic, will pred push my sugars up?"):
        exactly one of topics.over_out_of_scope, with prednisone or a steroid named. Never for another drug
        ("does metformin interact with prednisone?"), nor for treating that condition ("can prednisone treat
        covid?" has no such words)."""
        if not any(self._drugs[d].ours for d in s.drugs if d in self._drugs):
            return None
        # a medicine that belongs to one of our topics ("is on insulin, will her sugars go up on pred?"):
        # that topic's words, less the medicine's own name, decide; "does metformin interact?" has none
        home = self._home_of.get(s.out_of_scope or "")
        if s.out_of_scope in self._oos_drugs and home is None:
            return None
        over = (home,) if home else self.catalog.understanding.over_out_of_scope
        own = set(self.normalize(s.out_of_scope or "").split())  # "hay fever": its "fever" is no infection word
        told = s.full.split()
        passes = [([w if w not in own else "," for w in told], self._signals)]
        if home is None:
            passes.append((told, self._signals_several))
        for words, index in passes:
            # then with the condition's own words, on a pattern of two slots or more: "catch + covid" asks
            # about infections on prednisone; "covid" alone, or "treat covid", does not
            n = len(words)
            found = index.find(words, [0] * n, [0] * n, [True])
            hits = [h for h in found if h.concept in over and h.negated_by is None and self._has_topic(h.concept)]
            if len({h.concept for h in hits}) == 1:
                return hits[0]
        return None

    def _own_card(self, concept: str) -> str:
        return self._concepts.by_id[concept].asked_about

    def _has_topic(self, topic: str) -> bool:
        return any(c.topic == topic for c in self.catalog.cards.values())

    def _asked_about(self, s: Scan, d: Decision, scoped: bool) -> Decision:
        """A question about a serious symptom ("can prednisone cause chest pain?"), with nothing more specific
        to answer it, gets the card on which symptoms need help now (emergencies.asked_about); only when the
        message is ours (`scoped`): "the high temperature tomorrow" is weather."""
        # (a figure of speech, "I'd rather die than gain more weight", asks nothing about the symptom)
        figures = self._concepts.figures
        about = next((h for h in s.hits if h.about and not h.negated_by and h.about not in figures), None)
        if about is None:
            return d
        # the concept's own card when it names one ("took it twice by mistake, is that bad?": missed-dose); it
        # answers whatever the words matched, since the message is about that mistake, unless the medicine
        # taken is another one (riluzole's pharmacist answers for riluzole)
        own = self._concepts.by_id[about.concept].asked_about
        # a word no example knows, outside the mistake's own words, may be another medicine ("metformin")
        told = s.full.split()
        rest = " ".join(told[: about.start] + told[about.end + 1 :])
        unknown = any(w.isalpha() and w not in self.matcher.idf for w in self.matcher.content(rest))
        if own and (self._other_subject(s) is not None or (not scoped and (s.out_of_scope or unknown))):
            return d
        if not own and not scoped:
            return d
        asked = own or self.catalog.understanding.asked_about
        info = self.catalog.variant(asked, None) if asked else None
        if info is None or d.language or d.kind == "urgent":
            return d
        if not own and (d.kind != "fallback" or d.notice is not None):  # a card that answers stays
            return d
        # (for some concepts, a card that answers something else stays: "my brother took too many once, years
        # ago; anyway, what is prednisone?")
        concept = self._concepts.by_id[about.concept]
        if (
            concept.asked_yields
            and d.kind == "answer"
            and d.topic != self.catalog.understanding.asked_about
            and d.topic not in concept.asked_over
        ):
            return d
        why = f"a question about {self.concept_label(about.concept)}, not a report of it ({about.about})"
        return Decision("answer", card=info.id, topic=info.topic, condition=d.condition, reason=why)

    def _back_to_another_drug(self, s: Scan, ctx: ChatContext | None, d: Decision) -> Decision:
        """Right after the card on the other treatments ("What is riluzole?"), "what are its side effects?" or
        "how much of it should I take?" asks about that other medicine, not prednisone: its place among the
        treatments, and who answers its side effects and doses (messages.yaml: other_drug)."""
        if ctx is None or ctx.topic != "alternatives" or d.kind != "answer" or not d.card or d.notice is not None:
            return d
        topic = self.catalog.cards[d.card].topic
        words = s.text.split()
        with_ours = (
            bool(s.drugs)
            and all(x in self._drugs and self._drugs[x].ours for x in s.drugs)
            and any(_phrase_at(words, i, self._between) for i in range(len(words)))
        )  # "is it ok to take alongside prednisone?": "it" and prednisone together, its pharmacist's question
        if not with_ours and (topic not in ("side-effects", "dosing", "stopping", "missed-dose") or s.drugs):
            return d  # "how good is the evidence?", "safe to get pregnant on this?" ask about the treatments as a whole
        if self._refers.isdisjoint(s.full.split()) and not {"that", "one"} & set(s.full.split()):
            return d  # "and the side effects?" names nothing to point back with ("it", "that one"): prednisone's
        card = self.catalog.variant("alternatives", ctx.condition)
        if card is None:
            return d
        why = "a question about the medicine just talked about (the other treatments), not about prednisone"
        return Decision("answer", card=card.id, topic=card.topic, condition=ctx.condition, notice="other_drug",
                        context_used=True, reason=why)  # fmt: skip

    def _beside_ours(self, s: Scan, d: Decision) -> Decision:
        """ "IVIG vs steroids for LEMS, which works faster?", "why azathioprine AND prednisone?": a question about
        prednisone beside another of the condition's treatments is about how they fit together, which the
        condition's alternatives card answers, not the overview or how prednisone works alone."""
        if d.kind != "answer" or d.condition is None:
            return d
        words = s.text.split()
        sparing = d.topic in ("dosing", "stopping") and any(
            _phrase_at(words, i, self._sparing) is not None for i in range(len(words))
        )  # "will azathioprine let me get my pred dose down?": what the other drug is there for
        if d.topic not in ("overview", "mechanism") and not sparing:
            return d
        if not sparing and any(h.concept == d.topic for h in s.signals):
            return d  # "how does prednisone work, and is Firdapse similar?" names its topic in words
        subject = [self._drugs[x] for x in s.subject if x in self._drugs]
        if not any(x.ours for x in subject) or not any(
            not x.ours and x.condition in (d.condition, None) for x in subject
        ):
            return d
        card = self.catalog.variant("alternatives", d.condition)
        if card is None:
            return d
        other = next(x for x in subject if not x.ours)
        why = f"{d.reason}; but prednisone is asked about beside {other.label}: where each fits"
        return Decision("answer", card=card.id, topic=card.topic, condition=d.condition, candidates=d.candidates,
                        score=d.score, truncated=d.truncated, reason=why)  # fmt: skip

    def _other_subject(self, s: Scan) -> Drug | None:
        """Another drug the question is about, when it does not name prednisone or a steroid."""
        subject = [self._drugs[d] for d in s.subject if d in self._drugs]
        if not subject or any(d.ours for d in subject):
            return None
        return subject[0]

    def _taken_with(self, s: Scan) -> Drug | None:
        """ "can riluzole and prednisone be taken together, or do they clash?": prednisone and one other drug,
        with a word of drugs.between: a question about that drug with prednisone, its pharmacist's to answer."""
        others = [self._drugs[d] for d in s.drugs if d in self._drugs and not self._drugs[d].ours]
        if len(others) != 1 or len(others) == len(s.drugs):
            return None
        words = s.text.split()
        return others[0] if any(_phrase_at(words, i, self._between) for i in range(len(words))) else None

    def _is_it_a(self, s: Scan) -> bool:
        """ "Is prednisone an antibiotic?", "is it like ibuprofen?" (prednisone named): asks what prednisone is, set
        beside another medicine, not about that medicine."""
        if s.out_of_scope not in self._oos_drugs or not any(self._drugs[d].ours for d in s.drugs if d in self._drugs):
            return False
        words = s.text.split()
        own = self.normalize(s.out_of_scope or "").split()
        for i in range(len(words) - 2):
            if words[i] in _COPULA and words[i + 1] in (self._ours, "it") and words[i + 2] in _IS_A:
                rest = words[
                    i + 2 : i + 5 + len(own)
                ]  # "an antibiotic", "like ibuprofen", "the same as ...", "a type of ..."
                if own and any(rest[k : k + len(own)] == own for k in range(1, 4)):
                    return True
        return False

    def _called_a_steroid(self, s: Scan) -> Drug | None:
        """ "He takes Mestinon for his LEMS. Is that a steroid as well?": the question names prednisone only by
        its kind and points back ("that", "it") to the one other drug the message names: that drug is asked about."""
        others = [self._drugs[d] for d in s.drugs if d in self._drugs and not self._drugs[d].ours]
        if len(others) != 1 or not s.by_class or not any(self._drugs[d].ours for d in s.subject if d in self._drugs):
            return None
        words = s.text.split()
        # "is mestinon a steroid?": the drug itself named right after the verb
        names = {w for name in others[0].names for w in self.normalize(name).split()[:1]}
        for k, w in enumerate(words):  # "is that (also) a steroid", "are they steroids too"
            if w in self._class_words:
                before = words[max(0, k - 6) : k]
                copula = any(b in _COPULA and n + 1 < len(before) and before[n + 1] in _POINTS_BACK | names
                             for n, b in enumerate(before))  # fmt: skip
                if copula:
                    return others[0]
        return None

    def _other_drug(self, drug: Drug, s: Scan, topic: str) -> Decision:
        """A question about another drug: where it fits among the treatments, and, for its side effects,
        dose or stopping, who can answer them."""
        why = f"the question is about {drug.label}, not prednisone: no prednisone card for its {topic}"
        # "can riluzole hurt your liver?" matches where riluzole fits; the note says who answers the rest
        asked = topic in self.catalog.understanding.drug_topics or topic == "question" or self._practical_ask(s)
        note = "other_drug" if asked else None
        if drug.condition and (not s.named or drug.condition in s.conditions):
            card = self.catalog.variant("alternatives", drug.condition)
            if card is not None:
                return Decision("answer", card=card.id, topic=card.topic, condition=drug.condition,
                                notice=note, drug=drug.label, reason=why)  # fmt: skip
        if drug.condition is None and len(s.conditions) == 1:
            # "does IVIG work faster than steroids for LEMS?": no card covers IVIG; LEMS's other treatments first
            (named,) = s.conditions
            gone = self._fallback(named, why)
            alt = self.catalog.variant("alternatives", named)
            if alt is not None:
                gone = replace(gone, options=(alt.id, *(o for o in gone.options if o != alt.id))[:3])
            return replace(gone, drug=drug.label)
        return replace(self._fallback(drug.condition, why), drug=drug.label)

    def _practical_ask(self, s: Scan) -> bool:
        """drugs.asks or drugs.practical: what a drug's prescriber or pharmacist answers ("its liver tests")."""
        words = s.text.split()
        return any(_phrase_at(words, i, self._practical) is not None for i in range(len(words)))

    def _names_ours(self, example: str) -> bool:
        return not self._our_names.isdisjoint(example.split())

    def _referred(self, s: Scan, ctx: ChatContext | None, known: int, match: Match) -> Match:
        """ "how often should I get them checked?" right after the eyes card: "them" is the eyes (topics.referents).
        A short message with no topic, condition or drug of its own is matched again with the pronoun replaced
        by the last topic's subject; that reading stands only when it is the last topic, and closer."""
        if ctx is None or ctx.topic not in self._referents or s.conditions or s.unknown_drugs:
            return match
        if any(not self._drugs[d].ours for d in s.drugs if d in self._drugs):
            return match  # another drug's question ("do they interact with riluzole?") is its own
        if s.signals or s.content_words > FOLLOW_ON_MAX_WORDS or not self._asks(s.text.split()):
            return match  # "ok cheers, that's really helpful" asks nothing: no pronoun to resolve
        subject, pronouns = self._referents[ctx.topic]
        words = s.text.split()
        at = next((i for i, w in enumerate(words) if w in pronouns), None)
        if at is None:
            return match
        text = " ".join((*words[:at], subject, *words[at + 1 :]))
        again = self._rerank(self.matcher.match(text, conditions=known), text)
        top, before = again.best, match.best
        if top is None or self.catalog.cards[top.card].topic != ctx.topic or top.score < ANSWER_BAR:
            return match
        if before is not None and top.score <= before.score and self.catalog.cards[before.card].topic != ctx.topic:
            return match
        return again

    def _follow_up_form(self, text: str) -> bool:
        """ "and for LEMS?", "what about ALS": a message that needs the last topic to mean anything."""
        words = text.split()
        return bool(words) and (words[0] in FOLLOW_UP_STARTS or " ".join(words[:2]) in FOLLOW_UP_STARTS)

    def _small_talk(self, c: Candidate) -> bool:
        return self.catalog.cards[c.card].topic in NON_CONTENT_TOPICS

    def _confident(
        self, s: Scan, ctx: ChatContext | None, named: str | None, best: Candidate, candidates: tuple[Candidate, ...]
    ) -> bool:
        """Is the best match good enough to answer its topic? The bar rises when nothing says "ours"."""
        topic = self.catalog.cards[best.card].topic
        if s.addressed and topic in self.catalog.understanding.about_me and not (s.conditions or s.drugs):
            if ctx is not None and ctx.condition:
                # "cheers, that helps a lot" after an ALS answer: the conversation's condition lifts its topics'
                # examples, which says nothing about a message to the bot; weigh it as if said first
                plain = self._rerank(self.matcher.match(s.text, conditions=0), s.text)
                best = next((c for c in plain.candidates if c.card == best.card), best)
                candidates = plain.candidates
            if best.score >= ANSWER_BAR and best.score - self._runner_up(best, candidates) >= CLEAR_MARGIN:
                return True  # "where do u get ur info": said to the bot, about the bot, and clearly that topic
        if topic in NON_CONTENT_TOPICS:
            if topic != "about" and not _IT_ASKS.isdisjoint(itertools.pairwise(s.full.split())):
                return False  # "will it help him?" asks what something does: no "help" to the bot, no greeting
            return best.score >= SMALLTALK_BAR
        scoped = s.in_scope or bool(s.conditions) or ctx is not None
        if best.score < (ANSWER_BAR if scoped else UNSCOPED_BAR):
            return False
        # a condition named with only a weak topic match: the condition's overview is the honest answer,
        # unless that topic is clearly ahead of every other ("does pred slow als down" names one topic)
        if named and not ctx and best.score < WEAK_BAR:
            return best.score - self._runner_up(best, candidates) >= CLEAR_MARGIN
        return True

    def _runner_up(self, best: Candidate, candidates: tuple[Candidate, ...]) -> float:
        """The best score of another topic than `best`'s (cards of one topic for two conditions are one)."""
        topic = self.catalog.cards[best.card].topic
        return next((c.score for c in candidates if self.catalog.cards[c.card].topic != topic), 0.0)

    def _without_topic(
        self, s: Scan, ctx: ChatContext | None, named: str | None, cond: str | None, match: Match
    ) -> Decision:
        """No confident topic: a condition switch ("and for LEMS?"), the condition's overview, or the fallback."""
        if (
            named
            and ctx
            and ctx.topic
            and s.content_words <= FOLLOW_UP_MAX_WORDS
            and (self._follow_up_form(s.text) or not self._asks(s.text.split()))
            # "wait, what is MND actually?" asks what the condition is, whatever came before
            and not any(f" {w} {named} " in f" {s.text} " for w in ("what is", "whats", "tell me about", "explain"))
        ):  # "and for LEMS?", "LEMS?" borrow the last topic; "what is LEMS?" is a question of its own
            target = self.catalog.variant(ctx.topic, named)
            if target:
                return Decision("answer", card=target.id, topic=target.topic, condition=named, context_used=True,
                                reason="condition switch, topic from context")  # fmt: skip
        best = match.best
        if named and not s.named and (options := self.catalog.variant("alternatives", named)):
            # only another drug says which condition ("is Firdapse the same as prednisone?"): it is one of that
            # condition's treatments, and its card says where it fits
            why = f"no topic, but a medicine used in {named.upper()}: where it fits"
            return Decision("answer", card=options.id, topic=options.topic, condition=named, reason=why,
                            candidates=match.candidates)  # fmt: skip
        if named and (s.content_words <= FOLLOW_UP_MAX_WORDS + 2 or (best is not None and best.score < WEAK_BAR)):
            overview = self.catalog.variant("overview", named)
            if overview:
                return Decision("answer", card=overview.id, topic="overview", condition=named, basis="overview",
                                reason="condition named, no topic", candidates=match.candidates)  # fmt: skip
        long = s.story_words > LONG_QUESTION_WORDS and not (s.asking or s.vague_asking)
        scoped = s.in_scope or bool(s.conditions) or ctx is not None
        score = f"the closest example scored {best.score:.0f}" if best is not None else "no example came close"
        small_talk = best is not None and self._small_talk(best) and best.score >= ANSWER_BAR
        asks_it = small_talk and not _IT_ASKS.isdisjoint(itertools.pairwise(s.full.split()))
        why = (
            f"{score}, but the message asks what something does ('will it ...'): no greeting or thank-you"
            if asks_it
            else f"{score}, under the {SMALLTALK_BAR:.0f} a greeting or a thank-you needs"
            if small_talk
            else f"{score}, under the {ANSWER_BAR:.0f} an answer needs"
            if scoped
            else f"{score}; with nothing naming prednisone, a steroid, LEMS or ALS, an answer needs {UNSCOPED_BAR:.0f}"
            + (
                f" (or, said to me about me, {ANSWER_BAR:.0f} and {CLEAR_MARGIN:.0f} ahead of any other topic)"
                if s.addressed
                else ""
            )
        )
        speaks_of = not SUBJECT_PRONOUNS.isdisjoint(s.text.split())
        # "does it work for my condition though?", "will it help him?" as a first message: "it" is prednisone,
        # and which condition decides the answer, so ask which one (both conditions' evidence cards)
        content = next(
            (c for c in match.candidates if self.catalog.cards[c.card].topic not in NON_CONTENT_TOPICS), None
        )
        if (
            content is not None
            and not VAGUE_WORKS_WORDS.isdisjoint(s.text.split())
            and not scoped
            and not long
            and speaks_of
            and not s.out_of_scope
            and not s.unknown_drugs
            and not s.drugs
            and content.score >= VAGUE_WORKS_BAR
            and self.catalog.cards[content.card].topic in VAGUE_WORKS_TOPICS
        ):
            card = self.catalog.cards[content.card]
            return self._clarify(card, content.score, match.candidates, "asks if 'it' works, naming no condition")
        # "I'm on steroids for one of those nerve-muscle things, is it going to help me?": prednisone named, the
        # condition not, nothing said before: whether it works depends on which one, so ask
        works = next((c for c in match.candidates if self.catalog.cards[c.card].topic in VAGUE_WORKS_TOPICS), None)
        if (
            works is not None
            and works.score >= VAGUE_WORKS_NAMED_BAR
            and ctx is None
            and s.drugs
            and all(d in self._drugs and self._drugs[d].ours for d in s.drugs)
            and not s.conditions
            and not s.unknown_drugs
            and not s.out_of_scope
            and not long
            and speaks_of
            and _works_for_whom(s.text.split())
        ):
            card = self.catalog.cards[works.card]
            return self._clarify(card, works.score, match.candidates, "asks if prednisone works, naming no condition")
        weak = self._fallback(cond, why, match.candidates, "long_question" if long else None)
        if best is not None and not scoped and not long and speaks_of and best.score >= AGREE_SURE_BAR:
            return _replace(weak, basis="agree")  # the closest example's card, if the learned model picks it too
        return _replace(weak, basis="weak") if best is not None and scoped else weak

    def _both_conditions(self, card: Card, base: Decision) -> Decision:
        """LEMS and ALS in one message: the comparison card, or ask which one."""
        compare = self.catalog.cards.get("compare")
        if card.condition == "general" and card.topic != "drug":
            return _replace(base, card=card.id, topic=card.topic)
        close = compare is not None and any(
            c.card == compare.id and base.score is not None and c.score >= base.score - COMPARE_MARGIN
            for c in base.candidates
        )
        if compare and (close or card.topic in ("evidence", "mechanism", "overview", "drug")):
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
        # the basis stays: a topic that needs no condition, read by the learned model, may answer instead of asking
        return _replace(self._clarify(card, base.score, base.candidates, "topic needs a condition"), basis=base.basis)

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
            if card.topic in NON_CONTENT_TOPICS or card.topic == "urgent" or c.score < 25:
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

    def _remember(self, d: Decision, now: float, ctx: ChatContext | None) -> ChatContext | None:
        """What the conversation keeps after this decision; None: leave it as it is."""
        if d.kind == "answer" and d.card:
            card = self.catalog.cards[d.card]
            if card.topic in NON_CONTENT_TOPICS:
                return None
            condition = _cond(card) or d.condition or (ctx.condition if ctx else None)
            return ChatContext(condition=condition, topic=card.topic, card=card.id, at=now)
        if d.kind == "clarify":
            return ChatContext(condition=None, topic=d.topic, card=None, at=now)
        return None


def _phrase_at(words: Sequence[str], i: int, phrases: tuple[tuple[str, ...], ...]) -> tuple[str, ...] | None:
    return next((p for p in phrases if tuple(words[i : i + len(p)]) == p), None)


def _inside(h: Hit, other: Hit) -> bool:
    """`h`'s words lie within `other`'s, which reach further."""
    return other.start <= h.start and h.end <= other.end and (other.start, other.end) != (h.start, h.end)


def _words_matched(h: Hit) -> int:
    """How many words a topic's hit stands on: its slots, or for a one-slot pattern the phrase's words."""
    slots = h.pattern.count(" + ") + 1
    return slots if slots > 1 else h.end - h.start + 1


def _other_condition(text: str) -> bool:
    """ "the other one", "the other condition", "in the other?": the other of the two conditions."""
    words = text.split()
    for i in range(len(words) - 1):
        if words[i] == "the" and words[i + 1] == "other":
            after = words[i + 2] if i + 2 < len(words) else ""
            return after in ("", "one", "condit", "condition", "diseas", "disease", "ill", "illness")
    return False


def _cond(card: Card) -> str | None:
    return None if card.condition == "general" else card.condition


class _Once:
    """The learned model's reading of one message, made on first use (most messages never need it)."""

    def __init__(self, model: TopicModel | None, text: str) -> None:
        self._model, self._text = model, text
        self._reading: Reading | None = None
        self._done = model is None

    def get(self) -> Reading | None:
        if not self._done:
            self._reading, self._done = self._model.read(self._text) if self._model else None, True
        return self._reading


def _replace(d: Decision, **changes: Any) -> Decision:
    return replace(d, **changes)


def _quotes(piece: str) -> list[tuple[int, int, int]]:
    """(start, end, number) of each quotation's inside, in characters: "it said 'seek help'" has one; an
    apostrophe ("mum's", "can't") opens none, and an opening mark with no close in reach is no quotation."""
    out: list[tuple[int, int, int]] = []
    if not _QUOTE_MARKS.intersection(piece):
        return out
    for m in _QUOTED.finditer(piece):
        out.append((m.start(2), m.end(2), len(out)))
    return out


def _parts(piece: str) -> list[tuple[int, str]]:
    """A sentence's clauses with where each starts."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in _CLAUSE_END.finditer(piece):
        out.append((start, piece[start : m.start()]))
        start = m.end()
    out.append((start, piece[start:]))
    return out


def _segments(at: int, part: str, spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """A clause cut where quotations start and end: (start, end, quotation or -1), in the clause's characters."""
    out: list[tuple[int, int, int]] = []
    pos = 0
    for lo, hi, q in spans:
        lo, hi = max(lo - at, 0), min(hi - at, len(part))
        if hi <= pos or lo >= len(part):
            continue
        if lo > pos:
            out.append((pos, lo, -1))
        out.append((max(lo, pos), hi, q))
        pos = hi
    if pos < len(part) or not out:
        out.append((pos, len(part), -1))
    return out


# a question about what "it" does or is: never small talk ("will it help him?" is no call for help)
_IT_ASKS = frozenset(
    (verb, "it") for verb in ("will", "would", "doe", "does", "can", "could", "might", "did", "is", "wil", "wud", "cud")
)

# where one thing said ends and the next begins, for reading a clause alone (router._urgent_clause)
_CLAUSE = re.compile(r"[.!?;,:\n]+|\s+-+\s+|\s+(?:but|and|also|plus)\s+", re.IGNORECASE)


def _sentences(text: str) -> list[tuple[int, str, bool]]:
    """(offset, sentence, ends with "?") for each sentence; "3.5 mg" is not two sentences."""
    out: list[tuple[int, str, bool]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        piece = text[start : m.start()]
        if piece.strip():
            out.append((start, piece, "?" in (m.group(1) or "")))
        start = m.end()
    if text[start:].strip():
        out.append((start, text[start:], False))
    return out


def _works_for_whom(words: list[str]) -> bool:
    """ "will it help (me)?", "does it work for him?": helps someone, not something ("help my skin")."""
    return any(
        w in VAGUE_WORKS_WORDS and (k + 1 == len(words) or words[k + 1] in VAGUE_WORKS_FOR) for k, w in enumerate(words)
    )
