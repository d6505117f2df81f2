"""Find emergency concepts in a message: words of a pattern near each other, in any order, not negated.

Built once per catalog from `intents/understanding.yaml` (and lexicon.yaml's plain urgent phrases, each a
one-slot pattern); `find` is the per-message path. Every alternative is looked up in one dictionary keyed
by its words, so the cost follows the message's length, not the number of patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import product
from typing import TypeGuard

from bot.normalize import stem
from bot.understanding import FEVER, NUMBER, SEVERAL, Concept, Understanding

NUMBER_WORDS = frozenset(
    stem(w)  # messages arrive stemmed: "twelve" is "twelv"
    for w in [
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "fifteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "hundred",
        "several",
        "many",
        "dozen",
        "handful",
    ]
)
REPORT_REACH = 3  # words before a match where "my", "his", "I" ... make it a report of one's own symptom
CALM = "told calmly: "  # how a calm hit's reason starts (shown by `why`)
GENERAL = "a general question (nobody's symptom)"
RECENT = frozenset({"hour", "hr", "half", "few", "couple", "minut", "min", "24", "48"})  # stems, after "in the past"
CLOCK = frozenset({"at", "by", "till", "til", "until", "since", "past"})  # before a number: a time of day
# before a number: a day's dose in all ("my usual 20", "so 30 today"), not a count of tablets
DOSE_TOTAL = frozenset({"usual", "normal", "regular", "so", "total", "make", "makes", "making"})
YEARS = (1900, 2100)  # "diagnosed 2022. he had a flare of his ...": a year is no count of tablets
MAX_PLACES = 6  # occurrences per slot tried when placing a pattern (a message rarely repeats a word more)


@dataclass(frozen=True)
class Hit:
    concept: str
    pattern: str
    start: int  # first and last word of the match, in the message's words
    end: int
    negated_by: str | None = None
    about: str | None = None  # "can it cause ...": a question about the symptom

    @property
    def urgent(self) -> bool:
        return self.negated_by is None and self.about is None


@dataclass(frozen=True)
class _Compiled:
    concept: int
    text: str
    slots: int
    window: int
    counts: bool = False  # a <several> slot: the whole match stays in one sentence


ASKED_AFTER_REACH = 4  # words after a match within which emergencies.asked_after may start
SINCE_REACH = 6  # words: "since" this close before a date makes it the start of something still going on
LIST_WORDS = frozenset({"or", "nor"})  # a negation reaches every item of a list: "no swelling or rash"


class Negation:
    """Negation cues before a word, within its sentence: "no chest pain", "it's not ALS"."""

    def __init__(self, u: Understanding, norm: Callable[[str], str]) -> None:
        self.cues = _phrases(u.negation, norm)
        self.inside = _without(self.cues, _phrases(u.not_inside, norm))
        self.breaks = _phrases(u.negation_breaks, norm)
        self.not_after = frozenset(t for p in _phrases(u.not_negation, norm) for t in p[:1])
        self.not_before = frozenset(t for p in _phrases(u.not_before, norm) for t in p[-1:])
        self.window = u.negation_window

    def cue_inside(
        self, words: Sequence[str], start: int, end: int, used: frozenset[int], mine: frozenset[int] | None = None
    ) -> tuple[str, int] | None:
        """A cue between a pattern's own words (`mine`, else `used`), within reach of the next of them: "my
        throat isn't swollen"; not "forgot my tablets, haven't had any for 5 days, can't stop being sick"."""
        own = used if mine is None else mine
        for i in range(start + 1, end):
            if i in used:
                continue
            cue = _at(words, i, self.inside)
            if cue is not None and not used.intersection(range(i, i + len(cue))):
                after = words[i + len(cue)] if i + len(cue) < len(words) else ""
                reach = next((j for j in sorted(own) if j >= i + len(cue)), end) - (i + len(cue))
                if after not in self.not_after and reach <= 2 * self.window:
                    return " ".join(cue), i
        return None

    def opens_at(self, words: Sequence[str], i: int) -> bool:
        """A negation cue starts at word `i` ("not diabetic"), not one that is no negation ("not sure")."""
        cue = _at(words, i, self.cues)
        return cue is not None and (words[i + len(cue)] if i + len(cue) < len(words) else "") not in self.not_after

    def cue_before(
        self, words: Sequence[str], sentence: Sequence[int], start: int, owned: frozenset[int] = frozenset()
    ) -> tuple[str, int] | None:
        """The cue that negates the word at `start`, and its position, or None; cues at `owned` positions
        belong to something else."""
        lo, reach = start, self.window
        while lo > 0 and start - lo < reach and sentence[lo - 1] == sentence[start]:
            if _at(words, lo - 1, self.breaks):
                break  # "but she's not choking": the cue after the break still counts; one before it does not
            if words[lo - 1] in LIST_WORDS:  # "never had any swelling or trouble breathing": the list's cue
                reach = start - lo + 1 + self.window + 1
            lo -= 1
        for i in range(start - 1, lo - 1, -1):
            cue = _at(words, i, self.cues)
            if cue is not None and i + len(cue) <= start and i not in owned:
                after = words[i + len(cue)] if i + len(cue) < len(words) else ""
                before = words[i - 1] if i > 0 else ""
                if after not in self.not_after and before not in self.not_before:
                    return " ".join(cue), i
        return None


class ConceptIndex:
    def __init__(
        self,
        u: Understanding,
        norm: Callable[[str], str],
        listed: Sequence[str] = (),
        concepts: Sequence[Concept] | None = None,
    ) -> None:
        """The emergency concepts, plus `listed`: plain urgent phrases (lexicon.yaml), each a one-slot pattern
        of the concept `listed`. Or, given `concepts`, those alone (the topic signals)."""
        self.concepts: tuple[Concept, ...] = (
            tuple(concepts)
            if concepts is not None
            else (
                *u.concepts,
                Concept("listed", "an urgent phrase listed in lexicon.yaml", "", (), u.emergency_window, False, 0),
            )
        )
        self.by_id = {c.id: c for c in self.concepts}
        # our drug's own names stand for each other in a pattern: one written with "prednisone" also finds
        # "prednisolone" and "pred" (drugs.known, the `ours` drug's names; not class words such as "steroid")
        classes = {norm(w) for w in u.drug_class_words}
        ours = {n for d in u.drugs if d.ours for n in map(norm, d.names) if " " not in n and n not in classes}
        self.patterns: list[_Compiled] = []
        self.table: dict[tuple[str, ...], list[tuple[int, int]]] = {}  # words → (pattern, slot)
        for ci, concept in enumerate(self.concepts):
            raw: list[tuple[str, tuple[tuple[str, ...], ...]]] = (
                [(p, ((p,),)) for p in listed]
                if concept.id == "listed"
                else [(p.text, p.slots) for p in concept.patterns]
            )
            for text, slots in raw:
                pi = len(self.patterns)
                counts = any(SEVERAL in slot for slot in slots)
                self.patterns.append(_Compiled(ci, text, len(slots), concept.window, counts))
                for si, slot in enumerate(slots):
                    for alt in slot:
                        key = (alt,) if alt in (NUMBER, FEVER, SEVERAL) else tuple(norm(alt).split())
                        for k in _spelled(key, ours):
                            spots = self.table.setdefault(k, [])
                            if (pi, si) not in spots:
                                spots.append((pi, si))
        self.longest = max((len(k) for k in self.table), default=1)
        # each first word → the lengths of the keys it starts
        by_start: dict[str, set[int]] = {}
        for k in self.table:
            by_start.setdefault(k[0], set()).add(len(k))
        self.starts = {w: tuple(sorted(ns)) for w, ns in by_start.items()}
        self.about = _phrases(u.about, norm)
        self.not_now = _phrases(u.not_now, norm)
        self.not_now_always = _without(self.not_now, _phrases(u.recurring, norm))  # "sometimes I think of ending it"
        self.own_clause = frozenset(_phrases(u.own_clause, norm))
        self.long_ago = frozenset(_phrases(u.long_ago, norm))
        self.events = _phrases(u.events, norm)
        self.until = _phrases(u.until, norm)
        self.pleas = _phrases(u.pleas, norm)
        self.begun = _phrases(u.begun, norm)
        self.hypothetical = _phrases(u.hypothetical, norm)
        self.wondered = frozenset({GENERAL} | {" ".join(p) for p in self.hypothetical})
        self.figurative = _phrases(u.figurative, norm)
        self.figure_reach = max((len(p) for p in self.figurative), default=0)
        self.figurative_after = _phrases(u.figurative_after, norm)
        self.asked_after = _phrases(u.asked_after, norm)
        # a hit `about` one of these: no symptom at all
        self.figurative_said = _phrases(u.figurative_said, norm)
        self.observed = _phrases(u.observed, norm)
        self.figures = frozenset(" ".join(f) for f in (*self.figurative, *self.figurative_after, *self.figurative_said))
        self.reported = _phrases(u.reported, norm)
        self.asks_whether = _phrases(u.asks_whether, norm)
        self.mentions = _phrases(u.mentions, norm)
        self.nothing_now = _phrases(u.nothing_now, norm)
        self.now = _phrases(u.now, norm)
        self.calm_now = frozenset(
            w for p in _phrases(["nothing", "nothings", "not", "no", "none", *_WELL], norm) for w in p
        )
        self.well_now = frozenset(w for p in _phrases([*_WELL, "sharp", "bright", "great", "good"], norm) for w in p)
        self.risk = (_phrases(u.risk_asking, norm), _phrases(u.risk_agents, norm), _phrases(u.risk_verbs, norm))
        self.asks_reach = max((len(p) for p in self.asks_whether), default=0)
        self.personal = frozenset(w for p in _phrases(u.personal, norm) for w in p)
        self.told = _phrases(u.told, norm)
        self.units = frozenset(w for p in _phrases(u.units, norm) for w in p)
        self.negation = Negation(u, norm)
        self.calm = {c.id: (_phrases(c.calm, norm), _phrases(c.not_calm, norm)) for c in self.concepts if c.calm}
        self.when_asked = {c.id: _phrases(c.calm_when_asked, norm) for c in self.concepts if c.calm_when_asked}

    def find(
        self,
        words: Sequence[str],
        clause: Sequence[int],
        sentence: Sequence[int],
        asks: Sequence[bool],
        quote: Sequence[int] = (),
    ) -> list[Hit]:
        """Every pattern that fires, at most one hit per concept (an urgent one first).

        `clause` and `sentence`: each word's clause and sentence; `asks`: whether each clause is a question;
        `quote`: each word's quotation (-1 outside one), when the message has any.
        """
        places: dict[tuple[int, int], list[tuple[int, int]]] = {}  # (pattern, slot) → (start, end)
        starts = self.starts
        for i, w in enumerate(words):
            lengths = starts.get(w)  # most words begin no pattern's word or phrase
            keys = [tuple(words[i : i + n]) for n in lengths if i + n <= len(words)] if lengths else []
            if (w[:1].isdigit() and not CLOCK_TIME.fullmatch(w)) or w in NUMBER_WORDS:  # "10", "103f", "50mg"
                keys.append((NUMBER,))
                after = words[i + 1] if i + 1 < len(words) else ""
                if (
                    (
                        (w.isdigit() and int(w) >= 3 and not YEARS[0] <= int(w) <= YEARS[1])
                        or (w in NUMBER_WORDS and w != "two")
                    )
                    and after not in self.units
                    and not after[:1].isdigit()  # "3,4-DAP" names a drug; "3 4 tablets" counts on its "4"
                    and (i == 0 or words[i - 1] not in CLOCK)  # "put it out again at 10": a time of day
                    and (i == 0 or words[i - 1] not in DOSE_TOTAL)
                    and not _at_most_double(words, i)
                ):
                    keys.append((SEVERAL,))  # "took 8 of my tablets", not "took it 5 hours late"
                if _fever(w):
                    keys.append((FEVER,))
            for key in keys:
                for ps in self.table.get(key, ()):
                    spots = places.setdefault(ps, [])
                    if len(spots) < MAX_PLACES:
                        spots.append((i, i + len(key) - 1))
        placed: list[tuple[int, int, int, frozenset[int]]] = []  # (pattern, start, end, words its slots use)
        others: dict[int, list[tuple[int, int, frozenset[int]]]] = {}  # a pattern's looser placements
        filled: dict[int, int] = {}  # pattern → its slots with a word here: a message fills few patterns whole
        for pi, _ in places:
            filled[pi] = filled.get(pi, 0) + 1
        for pi in sorted(pi for pi, n in filled.items() if n == self.patterns[pi].slots):
            p = self.patterns[pi]
            slots = [places[(pi, s)] for s in range(p.slots)]
            if slots:
                spans = _place(slots, p.window)
                if p.counts:  # "I'm only 52. I've taken prednisone for years": a count of tablets is in their sentence
                    spans = [sp for sp in spans if sentence[sp[0]] == sentence[sp[1]]]
                if p.slots == 1:  # one phrase is said in one go: "a dry mouth, droopy eyelids" has no "mouth droopy"
                    spans = [sp for sp in spans if clause[sp[0]] == clause[sp[1]]]
                if spans:
                    placed.append((pi, *spans[0]))
                    # a looser place counts only within one clause: "not having any chest pain, but can steroids
                    # cause heart problems?" is no "pain ... heart" report
                    others[pi] = [sp for sp in spans[1:] if clause[sp[0]] == clause[sp[1]]]
        found: list[tuple[int, Hit]] = []
        negating: dict[int, tuple[str, int, int]] = {}  # a cue's position → the cue, and the match it negated
        for pi, first, last, words_used in placed:
            p = self.patterns[pi]
            concept = self.concepts[p.concept]
            # "does prednisone make you choke? because I'm choking now": a pattern found twice is urgent if
            # either place is, so a question about the symptom cannot hide the report after it
            for start, end, used in [(first, last, words_used), *others[pi]]:
                # a cue that is another match's own word, apart from this one, is that match's, not a negation
                # of this one: "he's not breathing and not responding"
                owned = frozenset(i for qi, s2, e2, u2 in placed if qi != pi and (e2 < start or s2 > end) for i in u2)
                # ... and so is a cue inside this match that another pattern uses as its own word: "a fever,
                # hasn't peed all day and he's mottled" denies nothing
                inner = frozenset(i for qi, _, _, u2 in placed if qi != pi for i in u2 if start < i < end)
                cue = self.negation.cue_before(words, clause, start, owned) or self.negation.cue_inside(
                    words, start, end, used | inner, used
                )
                about = self._about(words, clause, sentence, asks, start, end, always=concept.always)
                if not about and quote and not concept.always:
                    about = self._mentioned(words, sentence, quote, start, end)
                if not about and self._asked(words, sentence, start, concept.id):
                    # "can steroids make you suicidal? I'm fine, I read it in the leaflet": asked, and calm
                    about = self._calm(words, clause, concept.id)
                if not cue and not about:
                    break
            if cue:
                negating[cue[1]] = (cue[0], start, end)
            found.append((p.concept, Hit(concept.id, p.text, start, end, cue[0] if cue else None, about)))
        hits: dict[int, Hit] = {}
        for ci, hit in found:
            # "I'm not having trouble breathing": the cue that negates one pattern ("trouble + breathe") is
            # not another's own word ("not + breathe"); unless that other match is the cue and the symptom side by
            # side ("he's not breathing and I can't feel a pulse": "can't ... breath" is no denial of it)
            other = next((c for pos, (c, _, _) in negating.items() if hit.start <= pos <= hit.end), None)
            if hit.end - hit.start <= 1 and hit.start in negating:
                other = None
            if hit.urgent and other is not None:
                hit = Hit(hit.concept, hit.pattern, hit.start, hit.end, other, hit.about)
            old = hits.get(ci)
            if old is None or (hit.urgent and not old.urgent):
                hits[ci] = hit
        # a phrase of lexicon.yaml's urgent list inside a concept's match that was read as asked about or
        # told calmly is read the same way ("can pred make you suicidal, I'm fine": "suicidal" is in both)
        calmed = [h for h in hits.values() if h.concept != "listed" and h.about and not h.negated_by]
        listed = hits.get(next((ci for ci, c in enumerate(self.concepts) if c.id == "listed"), -1))
        if listed is not None and listed.urgent:
            cover = next((h for h in calmed if h.start <= listed.start and listed.end <= h.end), None)
            if cover is not None:
                hits = {ci: (replace(h, about=cover.about) if h is listed else h) for ci, h in hits.items()}
        return sorted(hits.values(), key=lambda h: (not h.urgent, h.start))

    def _mentioned(
        self, words: Sequence[str], sentence: Sequence[int], quote: Sequence[int], start: int, end: int
    ) -> str | None:
        """Words quoted, not said of anyone: "what does 'adrenal crisis' mean?", "the leaflet lists 'vomit like
        coffee grounds'". The whole match is inside one quotation with nobody in it ("he keeps saying 'I can't
        breathe'" is speech), and its sentence names where the words come from, outside the quotation."""
        q = quote[start]
        if q < 0 or any(quote[i] != q for i in range(start, end + 1)):
            return None
        inside = [i for i in range(len(words)) if quote[i] == q]
        if any(words[i] in self.personal for i in inside):
            return None
        for i in range(len(words)):
            found = _at(words, i, self.mentions) if sentence[i] == sentence[start] and quote[i] != q else None
            if found is not None and all(quote[n] != q for n in range(i, i + len(found))):
                return "quoted: " + " ".join(found)
        return None

    def _asked(self, words: Sequence[str], sentence: Sequence[int], start: int, concept: str) -> bool:
        """Whether a concept's calm words may count here: always, unless it has `calm_when_asked`; then only
        when one of those words is in the hit's sentence before it ("can steroids make you ...")."""
        asking = self.when_asked.get(concept)
        if asking is None:
            return True
        return any(_at(words, i, asking) for i in range(start) if sentence[i] == sentence[start])

    def said_begun(self, words: Sequence[str]) -> bool:
        """Words (normalised) that say something has begun or is happening now (emergencies.begun, "for the
        last 20 minutes"), not denied just before ("nothing happening now")."""
        return any(
            (_at(words, n, self.begun) or _minutes_now(words, n)) and self.calm_now.isdisjoint(words[max(0, n - 2) : n])
            for n in range(len(words))
        )

    def wondering(self, hits: Sequence[Hit]) -> bool:
        """Whether the symptoms found are all asked about in general or as a what-if, none happening: then an
        example that sounds urgent ("someone is very sick right now") does not make it an emergency."""
        return (
            bool(hits)
            and not any(h.urgent for h in hits)
            and any(h.about in self.wondered for h in hits if h.negated_by is None)
        )

    def _calm(self, words: Sequence[str], clause: Sequence[int], concept: str) -> str | None:
        """A concept's calm words anywhere in the message, not denied, and none of its not_calm words: "took my
        tablet twice by mistake, I feel fine" asks what to do; "... and now I feel awful" is still urgent."""
        if concept not in self.calm:
            return None
        calm, not_calm = self.calm[concept]
        # a not_calm word inside a calm phrase is that phrase's: "nothing sudden" says the opposite of "sudden"
        inside = {j for i in range(len(words)) if (c := _at(words, i, calm)) is not None for j in range(i, i + len(c))}
        if any(_at(words, i, not_calm) for i in range(len(words)) if i not in inside):
            return None
        for i in range(len(words)):
            found = _at(words, i, calm)
            if found is not None and self.negation.cue_before(words, clause, i) is None:
                return CALM + " ".join(found)
        return None

    def _own_clause(self, found: tuple[str, ...] | None) -> TypeGuard[tuple[str, ...]]:
        """A date that dates its own clause only: "last week", and a year ("in 2019")."""
        return found is not None and (found in self.own_clause or _in_year(found, 0) is not None)

    @staticmethod
    def _alone(words: Sequence[str], clause: Sequence[int], at: int, found: tuple[str, ...]) -> bool:
        """Whether the phrase at `at` is all its clause holds."""
        return all(at <= n < at + len(found) for n in range(len(words)) if clause[n] == clause[at])

    def _risk(self, words: Sequence[str], clause: Sequence[int], start: int, end: int) -> str | None:
        """A question frame such as "could prednisone (actually) make" before the symptom, in its clause, or the
        same said as a fact ("high-dose steroids can make people see things"), its drug word maybe inside the hit."""
        asking, agents, verbs = self.risk
        for i in range(end):
            if clause[i] != clause[start]:
                continue
            if (q := _at(words, i, asking)) is not None and i < start:
                first, j = q, i + len(q)
                second = _at(words, j, agents) if j < start else None
            elif (a := _at(words, i, agents)) is not None:
                first, j = a, i + len(a)
                second = _at(words, j, asking) if j < end else None
            else:
                continue
            if second is None:
                continue
            for k in range(j + len(second), min(j + len(second) + 5, end)):  # "actually", "for his LEMS"
                verb = _at(words, k, verbs)
                if verb is not None and k + len(verb) <= end:
                    return " ".join((*first, *second, *verb))
        return None

    def _about(
        self,
        words: Sequence[str],
        clause: Sequence[int],
        sentence: Sequence[int],
        asks: Sequence[bool],
        start: int,
        end: int,
        *,
        always: bool = False,
    ) -> str | None:
        """Why a hit is about the symptom rather than a report of it, or None. "What are the side effects,
        I can't breathe": an "about" word counts in the hit's own clause only. A concept that is `always`
        urgent is still no emergency when it is over ("years ago, well for a long time"); a hypothetical one
        ("if I ever ...") is one: its advice is what the asker needs."""
        k = sentence[start]
        # "the bill nearly gave me a heart attack": the whole match inside a figure of speech, or its end ("sore
        # today, can't face swallowing a tablet") or its start: the slot there is a figure, so nothing matched
        for i in range(max(0, start - self.figure_reach), end + 1):
            figure = _at(words, i, self.figurative)
            if figure is not None and clause[i] != clause[i + len(figure) - 1]:
                figure = None  # "I don't want to go on, the steroids ...": a comma splits it, so no figure
            if figure is not None and (i + len(figure) > end or i <= start < i + len(figure)):
                return " ".join(figure)  # ... or its first word ("a bit of a muddle this morning")
        # "choking back tears", "killing myself laughing": the words right after turn the match into a figure
        figure = _at(words, end + 1, self.figurative_after) if end + 1 < len(words) else None
        if figure is not None and clause[end + 1] == clause[end]:
            return " ".join(figure)
        # "a weight on my chest, not literally"; never for what is `always` urgent ("I want to die, not literally")
        said = _at(words, end + 1, self.figurative_said) if end + 1 < len(words) and not always else None
        if said is not None and sentence[end + 1] == sentence[end]:
            return " ".join(said)
        # "can I take all my tablets at once?", "if I forget one, should I take an extra one?": asking whether
        # to, when the asking words are inside the match or right before it ("should I take him to A&E, he
        # took 20 tablets" is still a report)
        for i in range(max(0, start - self.asks_reach), end + 1):
            whether = None if always else _at(words, i, self.asks_whether)
            if whether is not None and start <= i + len(whether) and clause[i] in (clause[start], clause[end]):
                return " ".join(whether)
        # "is adrenal crisis something I need to worry about on 5mg?": the words after the match, in its clause of
        # a sentence that asks, make it a question about the risk, unless said to be happening
        asked_after = None
        if not always and asks[clause[start]]:
            for n in range(end + 1, min(len(words), end + 1 + ASKED_AFTER_REACH)):
                if clause[n] != clause[end]:
                    break
                asked_after = asked_after or _at(words, n, self.asked_after)
        # "feels like an elephant sitting on me right now", "a side effect? it's like that right now": said to be
        # now, after the hit (a bare "now" only in its own clause: "... now I'm scared" is a feeling, not a time)
        begun = any(
            (_at(words, n, self.pleas) or _at(words, n, self.begun) or _minutes_now(words, n))
            and self.calm_now.isdisjoint(words[max(0, n - 2) : n])
            for n in range(len(words))
        )  # ... said to have begun, not denied ("nothing happening now")
        happening = any(
            (
                (_at(words, n, self.pleas) or _at(words, n, self.begun) or _minutes_now(words, n))
                and self.calm_now.isdisjoint(words[max(0, n - 2) : n])
            )
            or (
                n > end
                and (now := _at(words, n, self.now)) is not None
                and (now != ("now",) or clause[n] == clause[start])
                # "nothing wrong right now", "fine right now": a denial of now
                and self.calm_now.isdisjoint(words[max(0, n - 2) : n])
                # "can it make you confused? she's sharp as a tack right now": another sentence, said well
                and (
                    sentence[n] == sentence[start]
                    or self.well_now.isdisjoint(w for j, w in enumerate(words[:n]) if clause[j] == clause[n])
                )
            )
            for n in range(len(words))
        )
        if asked_after is not None and not happening and not begun:
            return " ".join(asked_after)
        # "which symptoms mean ring 999? like chest pain ... nothing happening now, just organised": said of the
        # whole message, in any sentence, unless the match is said to be happening
        if not always and not happening and not begun:
            nothing = next((f for n in range(len(words)) if (f := _at(words, n, self.nothing_now))), None)
            if nothing is not None:
                return " ".join(nothing)
        # "what if he goes blue, he's struggling to breathe right now": now, in the match's own clause
        now_here = any(
            _at(words, n, self.now) is not None and self.calm_now.isdisjoint(words[max(0, n - 2) : n])
            for n in range(end + 1, len(words))
            if clause[n] == clause[start]
        )
        # "could prednisone make dad's breathing worse?": a risk asked about, even of a named person, unless it
        # is said to be happening ("... he's gasping right now", "mine came on ten minutes ago")
        risk = None if always else self._risk(words, clause, start, end)
        if (
            risk is not None
            and not happening
            and not any(_at(words, n, self.now) for n in range(len(words)) if clause[n] == clause[start])
        ):
            return risk
        asked: tuple[str, ...] | None = None  # the nearest "about" phrase before the hit, in its clause
        asked_at = start
        i = start - 1
        while not always and i >= 0 and clause[i] == clause[start]:
            asked = _at(words, i, self.about)
            if asked is not None:
                asked_at = i
                break
            i -= 1
        # "is it a side effect if my stool is black?": my stool, now; not a question about stools. The about
        # phrase's own words are not a person: the "i" of "how do i spot sepsis" reports nothing
        asked_end = asked_at + len(asked) if asked is not None else asked_at
        lo = max(0, start - REPORT_REACH)
        personal_near = any(
            w in self.personal for j, w in enumerate(words[lo : end + 1], lo) if not asked_at <= j < asked_end
        )
        # "what does it mean if you throw up blood? happened twice now": asked, but said to be happening (above)
        if asked is not None and not personal_near and not happening:
            return " ".join(asked)
        mine = [w for j, w in enumerate(words) if sentence[j] == k]
        first = next(j for j, s in enumerate(sentence) if s == k)
        watched = any(_at(words, n, self.observed) for n in range(len(words)) if sentence[n] > k)
        for j in range(len(mine)):
            found = _at(mine, j, self.not_now_always if always else self.not_now) or _in_year(mine, j)
            if found and found[-1] == "past" and j + len(found) < len(mine) and mine[j + len(found)] in RECENT:
                found = None  # "in the past" is over; "in the past hour" is now
            if self._own_clause(found) and "since" in mine[max(0, j - SINCE_REACH) : j]:
                found = None  # "since the diagnosis last month I keep thinking ...": from then until now
            if (
                self._own_clause(found)
                and clause[first + j] > clause[end]
                and not self._alone(words, clause, first + j, found)
            ):
                found = None  # "coughing up blood, my calf was swollen last week": the week dates the calf
                # ("had a fit (years ago, she's ok)": a date that is a clause of its own dates the one before)
            # "started pred last week, vomiting blood": the week dates the start, a clause of its own; and in the
            # match's own clause too when the symptom is said to be happening now ("started the steroids last week
            # and since this morning he can't swallow")
            if self._own_clause(found) and (clause[first + j] not in (clause[start], clause[end]) or happening):
                there = clause[first + j]
                if any(
                    _at(words, n, self.events) and not first + j <= n < first + j + len(found)
                    for n in range(len(words))
                    if clause[n] == there
                ):
                    found = None
            # "stopped it last week and ...": the event; "fainted two years ago when ..." is over, wherever it is said
            inside = start <= first + j <= end and found not in self.long_ago and _in_year(found or (), 0) is None
            # "crushing chest pain right now, nothing happened before": the now of the match beats a denial
            # said in another clause
            if found is not None and happening and clause[first + j] != clause[start]:
                found = None
            if found is not None and not inside:
                # "he was fine at breakfast but now he's turning blue": a turn ("but", "now") between an earlier
                # "fine" and the symptom makes the symptom new; "couldn't breathe, but fine now" stays over
                after = first + j + len(found)
                # "she was fine at breakfast": the calm ended before the symptom began, which makes it new
                ended = found[-1] in _WELL and _at(words, after, self.until) is not None
                turned = ended or (
                    "now" not in found
                    and after <= start
                    and (
                        any(  # "fine now" is the present: no turn
                            _at(words, n, self.negation.breaks) or _at(words, n, self.now) for n in range(after, start)
                        )
                        # "fine this morning, now he can't stand", "fine this morning and I can't breathe now"
                        or any(_at(words, n, self.now) for n in range(start, min(end + 2, first + len(mine))))
                    )
                )
                if not turned:
                    return " ".join(found)
            # "if I ever get chest pain, who do I call?": one day, perhaps; a crisis line is never held back
            found = None if always else _at(mine, j, self.hypothetical)
            # ... unless said to have begun ("what if someone took 25? asking for my sister, 30 min ago"), or a
            # sentence after watches someone now ("... swallowed several? she looks fine right now")
            if found is not None and not start <= first + j <= end and not begun and not now_here and not watched:
                return " ".join(found)
            # "the leaflet says to get help if you vomit blood": words read or heard, nobody's symptom now; in
            # the hit's own clause only ("I read the leaflet and now I can't breathe" is happening)
            found = _at(mine, j, self.reported)
            if found is None or start <= first + j <= end:
                continue
            # "my friend's dad had an adrenal crisis when he stopped, how common is that?": a sentence that opens
            # with someone else's story is theirs, whoever "he" is, unless it says it is happening now
            # (never for a concept that is always urgent: "my wife told me she is going to kill herself")
            opens = (
                not always
                and j < REPORT_REACH
                and first + j < start
                and not any(_at(mine, n, self.now) for n in range(len(mine)))
            )
            if clause[first + j] == clause[start] or opens:
                between = words[min(first + j, start) : max(first + j, start)]
                # "I read the leaflet and now I can't breathe" is a report; "said to ring 999 if I can't breathe"
                # is what to do one day
                if not personal_near or "if" in between or opens:
                    return " ".join(found)
        if (
            not always
            and not personal_near
            and asks[clause[start]]
            and not any(w in self.personal for w in mine)
            # "is it a problem if a 3 year old swallowed a few? she seems fine right now": a sentence after it
            # that watches someone now (emergencies.observed) says whose it is
            and not watched
            # "swallowed 20 tablets??" tells what was done, its "I" left out
            and _at(mine, 0, self.told) is None
            # "vomiting blood pls help"; "is chest tightness a side effect? it started 20 minutes ago": asked in
            # general, told as happening
            and not happening
        ):
            return GENERAL
        return None


def _place(slots: list[list[tuple[int, int]]], window: int) -> list[tuple[int, int, frozenset[int]]]:
    """Placements of one occurrence per slot, none overlapping, within `window` words, the tightest first
    (then the earliest): the first and last word, and the words the slots use. At most one per first word."""
    found: dict[int, tuple[int, int, frozenset[int]]] = {}
    for combo in product(*slots):
        used: set[int] = set()
        ok = True
        for s, e in combo:
            span = set(range(s, e + 1))
            if used & span:
                ok = False
                break
            used |= span
        if not ok:
            continue
        start, end = min(s for s, _ in combo), max(e for _, e in combo)
        if end - start + 1 > window + sum(e - s for s, e in combo):  # phrases do not eat the window
            continue
        best = found.get(start)
        if best is None or end - start < best[1] - best[0]:
            found[start] = (start, end, frozenset(used))
    return sorted(found.values(), key=lambda f: (f[1] - f[0], f[0]))


class Phrases(frozenset[tuple[str, ...]]):
    """Phrases as word tuples, with the lengths they come in and their first words: `_at` tries only those
    lengths, longest first, and only at a word that starts one (most words start none)."""

    lengths: tuple[int, ...]
    firsts: frozenset[str]


def _phrases(texts: Sequence[str], norm: Callable[[str], str]) -> Phrases:
    return _with_lengths(Phrases(t for t in (tuple(norm(x).split()) for x in texts) if t))


def _with_lengths(found: Phrases) -> Phrases:
    found.lengths = tuple(sorted({len(p) for p in found}, reverse=True))
    found.firsts = frozenset(p[0] for p in found)
    return found


def _without(phrases: Phrases, other: Phrases) -> Phrases:
    return _with_lengths(Phrases(phrases - other))


def _minutes_now(words: Sequence[str], n: int) -> bool:
    """ "for the last 40 minutes", "past 3 hours": a symptom timed in minutes or hours up to now has begun (a list
    of every count as phrases would never end)."""
    return (
        words[n] in ("last", "past")
        and n + 2 < len(words)
        and words[n + 1].isdigit()
        and words[n + 2] in ("minut", "min", "mins", "minute", "minutes", "hour", "hours", "hr", "hrs")
    )


_WELL = frozenset({"fine", "ok", "okay", "well", "normal", "alright"})  # "she was fine": how a dated calm ends


def _at(words: Sequence[str], i: int, phrases: Phrases) -> tuple[str, ...] | None:
    """The longest of `phrases` that starts at word `i` (any length: "over the last couple of months")."""
    if i >= len(words) or words[i] not in phrases.firsts:
        return None
    for n in phrases.lengths:
        key = tuple(words[i : i + n])
        if len(key) == n and key in phrases:
            return key
    return None


def _in_year(words: Sequence[str], i: int) -> tuple[str, ...] | None:
    """ "in 2019", "back in 2015": a year, which dates what it is said of as a not_now phrase does (like
    "years ago", even from inside a match); "since 2019" is no such date."""
    if i + 1 < len(words) and words[i] == "in" and len(w := words[i + 1]) == 4 and w.isdigit():
        return (words[i], w) if YEARS[0] <= int(w) <= YEARS[1] else None
    return None


CLOCK_TIME = re.compile(r"\d{1,2}(?:[:.]\d\d)?(?:am|pm)")  # "3am", "4.30pm": a time of day, not a count or a reading


def _fever(word: str) -> bool:
    digits = "".join(c for c in word[:3] if c.isdigit())
    value = int(digits) if digits else 0
    return 38 <= value <= 45 or 101 <= value <= 110


def _at_most_double(words: Sequence[str], i: int) -> bool:
    """ "took 4 tablets instead of 2": a number at most twice the one it replaces is one extra dose, which the
    calm reading of a dosing mistake handles, not a count of tablets ("10 instead of 1" still counts); the
    number replaced ("2") is no count either."""
    if list(words[max(0, i - 2) : i]) == ["instead", "of"]:
        return True  # the number replaced is no count of what was taken
    for j in range(i + 1, min(i + 4, len(words) - 2)):
        if words[j : j + 2] == ["instead", "of"] and words[j + 2].isdigit() and words[i].isdigit():
            return int(words[i]) <= 2 * int(words[j + 2])
    return False


def _spelled(key: tuple[str, ...], names: set[str]) -> list[tuple[str, ...]]:
    """A pattern's phrase, and the same with each of our drug's names in place of the one it uses."""
    if not key:
        return []
    out = [key]
    for i, w in enumerate(key):
        if w in names:
            out += [(*k[:i], n, *k[i + 1 :]) for k in list(out) for n in sorted(names - {w})]
    return out
