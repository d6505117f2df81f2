"""What the router understands beyond examples, as data: emergencies, drugs, negation, questions, languages.

Loaded from `intents/understanding.yaml` with the rest of the catalog, every problem with `file:line`. The
texts here are raw; the router normalises them the way it normalises messages, so an admin writes plain
words ("can't breathe") and every form of them is found ("cannot breathing").

An emergency *concept* is a set of patterns. A pattern is slots joined by `+`, each slot alternatives
joined by `|`, an alternative a word or a phrase; it fires when one alternative of every slot is in the
message, in any order, within the concept's window of words, and is not negated ("no chest pain").
`<number>` stands for any number ("took 10 tablets", "took ten tablets").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.catalog import BROKEN, Problem, _Fields, _List, _Map, _rel, read_yaml
from bot.language import known_language

NUMBER = "<number>"
SEVERAL = "<several>"  # a count of three or more, in digits ("8", "20") or words ("ten"); not a dose ("5mg")
FEVER = "<fever>"  # a temperature that is a fever: 38 to 45 (Celsius) or 100.4 to 110 (Fahrenheit)
CONDITIONS = ("lems", "als")


@dataclass(frozen=True)
class Pattern:
    text: str  # as written, for `why` and `check`
    slots: tuple[tuple[str, ...], ...]
    line: int


@dataclass(frozen=True)
class Concept:
    id: str
    label: str  # what an admin reads in `why`: "trouble breathing"
    advice: str  # shown above the urgent card: what to do for this kind of emergency
    patterns: tuple[Pattern, ...]
    window: int
    always: bool  # questions about it ("can prednisone cause ...") are still treated as urgent
    line: int
    calm: tuple[str, ...] = ()  # "I feel fine", "is that bad?": anywhere in the message, no emergency after all
    not_calm: tuple[str, ...] = ()  # "awful", "drowsy": anywhere in the message, the calm words count for nothing
    asked_about: str = ""  # the topic that answers a question about it (else emergencies.asked_about)
    # the asked_about card only where no other card answers ("my brother once took too many; what is prednisone?")
    asked_yields: bool = False
    # ... yet it replaces these topics' cards: "threw up blood this morning, fine now, on pred" is not about a
    # tablet brought back up (missed-dose), whatever the words share
    asked_over: tuple[str, ...] = ()
    calm_when_asked: tuple[str, ...] = ()  # if set, the calm words count only beside one of these in the hit's
    # sentence: a question about it ("can steroids cause ...? I'm fine"), not a report ("is it normal to feel ...")


@dataclass(frozen=True)
class Drug:
    id: str
    label: str  # as a patient reads it in a reply: "Firdapse (amifampridine)"
    names: tuple[str, ...]
    condition: str | None  # the condition it is used for, when only one
    ours: bool  # prednisone and its family: what the cards are about
    line: int
    # as other languages write it ("prednisona"): it names the drug, but unlike `names` it tells the language
    abroad: tuple[str, ...] = ()


@dataclass(frozen=True)
class Understanding:
    concepts: tuple[Concept, ...] = ()
    emergency_window: int = 6
    about: tuple[str, ...] = ()  # "can it cause", "signs of": a question about a symptom, not a report of it
    not_now: tuple[str, ...] = ()  # "last year", "fine now": a symptom that is not happening now
    own_clause: tuple[str, ...] = ()  # the not_now phrases that date only the clause they are in ("last week")
    long_ago: tuple[str, ...] = ()  # the not_now phrases that date a match even from inside it ("two years ago")
    events: tuple[str, ...] = ()  # "started", "stopped": a dated clause with one of these dates that event only
    until: tuple[str, ...] = ()  # "at breakfast": right after "she was fine", the calm ended before the symptom
    pleas: tuple[str, ...] = ()  # "please help": a symptom beside one is a report, never a general question
    begun: tuple[str, ...] = ()  # "started 20 minutes ago": anywhere in the message, the symptom is happening
    hypothetical: tuple[str, ...] = ()  # "if I ever", "in future": a symptom that may happen one day
    figurative: tuple[str, ...] = ()  # "the bill gave me a heart attack": a figure of speech, no symptom
    figurative_after: tuple[str, ...] = ()  # "choking back tears", "passed out from boredom": right after the words
    asked_after: tuple[str, ...] = ()  # "is adrenal crisis something I need to worry about?": after the words, asked
    figurative_said: tuple[str, ...] = ()  # "a weight on my chest, not literally": said so, even after a comma
    observed: tuple[str, ...] = ()  # "she seems fine right now": a sentence after a question that says whose it is
    reported: tuple[str, ...] = ()  # "the leaflet says", "in the film": words read or heard, not happening
    mentions: tuple[str, ...] = ()  # "leaflet", "what does ... mean": beside a quotation, its words are quoted
    nothing_now: tuple[str, ...] = ()  # "nothing happening now, just organised": anywhere, no report in the message
    asks_whether: tuple[str, ...] = ()  # "can I take", "should I double": asking whether to, not having done it
    now: tuple[str, ...] = ()  # "right now", "just": a story told by someone else that is happening now
    # "could prednisone make his breathing worse?": a question about a risk, whoever it is about
    risk_asking: tuple[str, ...] = ()  # could, can, might
    risk_agents: tuple[str, ...] = ()  # prednisone, steroids, it
    risk_verbs: tuple[str, ...] = ()  # make, cause, trigger
    personal: tuple[str, ...] = ()  # "I", "my dad": a question with none of these is about symptoms in general
    told: tuple[str, ...] = ()  # "took 20 tablets??": a sentence opening with these tells, its "I" left out
    units: tuple[str, ...] = ()  # "hours", "mg": after a number, it counts no tablets (no <several>)
    recurring: tuple[str, ...] = ()  # "sometimes": comes and goes, so not now; never for `always` concepts
    asked_about: str = ""  # the topic that answers questions about emergencies in general ("what are the signs?")
    negation: tuple[str, ...] = ()
    negation_window: int = 3
    negation_breaks: tuple[str, ...] = ()
    not_negation: tuple[str, ...] = ()  # words after a cue that make it no negation ("not sure", "can't stop")
    not_before: tuple[str, ...] = ()  # words before a cue that make it a question, not a denial ("why not")
    not_inside: tuple[str, ...] = ()  # cues that negate nothing between a pattern's words ("60mg instead of 6mg")
    question_words: tuple[str, ...] = ()
    question_phrases: tuple[str, ...] = ()
    english: tuple[str, ...] = ()  # words only English uses: a message with one is read as English
    drugs: tuple[Drug, ...] = ()
    drug_topics: tuple[str, ...] = ()  # topics about one drug: asked of another drug, never a prednisone card
    drug_endings: tuple[str, ...] = ()  # "-mab", "-statin": an unknown word ending so is taken for a drug
    back: tuple[str, ...] = ()  # "it", "that", "she": words that point back in a conversation
    drug_class_words: tuple[str, ...] = ()  # "steroid": our drug's kind, not its name
    drug_practical: tuple[str, ...] = ()  # "liver", "blood tests", "kick in": the prescriber's to answer
    # other steroids the ALS article covers as a class ("glucocorticoids, including prednisone and similar")
    drug_same_class_als: tuple[str, ...] = ()
    drug_between: tuple[str, ...] = ()  # "interact", "clash": a question about two drugs together, the pharmacist's
    drug_refers: tuple[str, ...] = ()  # "it", "the tablets", "the studies": a drug meant without its name
    drug_asks: tuple[str, ...] = ()  # "dose", "side effects", "stop": of two drugs named, the nearest is asked about
    drug_sparing: tuple[str, ...] = ()  # "get my pred dose down": with another drug, that drug spares the steroid
    drug_likened: tuple[str, ...] = ()  # "like", "than": prednisone named after one is the yardstick, not the subject
    languages: tuple[tuple[str, str], ...] = ()  # (language name, the note in that language)
    topics: tuple[Concept, ...] = ()  # words that point to one topic: a Concept whose id is the topic
    anywhere: tuple[str, ...] = ()  # topics whose words count even when the message names no drug or condition
    strong: tuple[str, ...] = ()  # topics whose words beat any example scoring under STRONG_SIGNAL
    over_guards: tuple[str, ...] = ()  # topics whose words beat a fixed phrase (a guard: "stop taking")
    specific: tuple[str, ...] = ()  # topics whose words, the only such, beat other topics' words in one message
    situations: tuple[str, ...] = ()  # topics whose words count in the story too, not only in the asking sentence
    # "does it go away when I come off?": with one of these in the asking sentence, the story's over_guards words count
    wears_off: tuple[str, ...] = ()
    # (after this topic, these phrases ask that topic): "what happens if I do?" after the stopping card
    follow_on: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    # the same, when one of the phrases is a whole sentence, filler aside: "why?" after the evidence card
    follow_on_alone: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    filler: tuple[str, ...] = ()  # words a bare follow-up may carry: "why tho", "what is it exactly"
    # (topic, its subject, pronouns): "get them checked" after the eyes card is matched as "get eyes checked"
    referents: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    denied_count: tuple[str, ...] = ()  # topics whose words count even denied ("never had chickenpox")
    over_out_of_scope: tuple[str, ...] = ()  # topics whose words beat another condition named beside prednisone
    # out-of-scope medicines that belong to one of our topics ("insulin": blood-sugar), with that topic
    home_of: tuple[tuple[str, str], ...] = ()
    about_me: tuple[str, ...] = ()  # topics about the bot itself: answered on a plain match when addressed
    statements: tuple[tuple[str, int], ...] = ()  # cards that answer something said ("thanks"), with their lines
    addressed: tuple[str, ...] = ()  # words that talk to the bot: "you", "your", "this bot", "thanks"
    new_subject: tuple[str, ...] = ()  # "different question": what follows borrows nothing from the conversation
    topic_names: tuple[tuple[str, int], ...] = ()  # every topic named under `topics`, with its line: for check
    learned: Learned = field(default_factory=lambda: Learned())
    file: str = ""


@dataclass(frozen=True)
class Learned:
    """`learned:` in understanding.yaml: the topic model's file, what it is trained on, and how sure it must be."""

    model: str = ""  # a file in intents/ written by `python -m bot train`; empty: no model
    train_on: tuple[str, ...] = ()  # case files (globs, from the catalog root) beside intents/ examples
    answer: float = 0.5  # replaces the closest example (or a weak match) when this sure
    strong: float = 0.75  # replaces a topic found on its words when this sure
    beside: float = 0.75  # gives prednisone's own topic of another condition named beside it when this sure
    keeps: tuple[str, ...] = ()  # words that name another treatment: a decision on a message with them stays
    urgent: float = 0.9  # an emergency the rules missed, when this sure and the message is about ours
    urgent_not_english: float = 0.7  # the same, for a message in another language
    # the same, when the only emergency words the rules found were asked about in general ("is it normal to ...?")
    urgent_asked: float = 0.9
    # emergency words the rules found, in a question the model reads as no emergency (its urgent share below
    # `calm`, one topic at `calm_share` or more): that topic's card, the emergency's advice above it. 0: off
    sure: float = 0.0  # replaces any other decision of the rules' on a message about ours (fixed phrases,
    # another drug and out-of-scope words aside) when this sure; 0: off
    calm: float = 0.0
    calm_share: float = 0.8
    calm_clause: float = 0.9  # ... unless a clause with the emergency words, read alone, is this sure of one
    # a condition named with no topic found gets its overview; the honest fallback instead when the model reads
    # the message as outside what the bot covers ("the best diet for MND?") this surely; 0: off
    outside: float = 0.0
    # a fallback on a greeting, a thank-you or a question about the bot the examples came short of ("helo",
    # "heyy just found this, can i ask stuff"): that card, when the model reads it this surely; 0: off
    small_talk: float = 0.0
    line: int = 0


_KEYS = ("emergencies", "negation", "questions", "drugs", "languages", "topics", "learned")


BUILT_IN = (NUMBER, SEVERAL, FEVER)


def parse_pattern(text: str, line: int, groups: Mapping[str, tuple[str, ...]] | None = None) -> Pattern:
    """ "a | b + c": slots of alternatives. A slot left empty ("a +") makes the pattern empty: an error.

    `<name>` stands for every word of the group of that name (`emergencies.groups`), so one list of onset
    words ("suddenly", "all at once", "this is new") serves every concept that needs one."""
    slots = tuple(
        tuple(
            dict.fromkeys(
                w
                for a in slot.split("|")
                if a.strip()
                for w in (
                    groups.get(a.strip()[1:-1], (a.strip(),)) if groups and _is_group(a.strip()) else (a.strip(),)
                )
            )
        )
        for slot in text.split("+")
    )
    return Pattern(text=text, slots=slots if all(slots) else (), line=line)


def _is_group(word: str) -> bool:
    return re.fullmatch(r"<[a-z_]+>", word) is not None and word not in BUILT_IN


def load_understanding(path: Path, root: Path, problems: list[Problem]) -> Understanding:
    where = _rel(path, root)
    if not path.exists():
        return Understanding(file=where)  # optional: without it the router reads phrases only
    data = read_yaml(path, root, problems)
    if data is BROKEN or data is None:
        return Understanding(file=where)
    if not isinstance(data, _Map):
        problems.append(Problem(where, 1, "expected a mapping with keys " + ", ".join(_KEYS)))
        return Understanding(file=where)
    f = _Fields(data, where, "understanding", problems)
    f.unknown(_KEYS)

    def section(key: str) -> _Map:
        value = data.get(key)
        if isinstance(value, _Map):
            return value
        if value is not None:
            f.err(key, f"{key!r} must be a mapping")
        empty = _Map()
        empty.line, empty.key_lines = f.line(key), {}
        return empty

    def words(m: _Map, key: str, what: str) -> tuple[str, ...]:
        return tuple(w for w, _ in _Fields(m, where, what, problems).strings(key, required=False))

    def number(sf: _Fields, key: str, default: int, low: int, high: int) -> int:
        value = sf.m.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            sf.err(key, f"{key!r} must be a whole number from {low} to {high}")
            return default
        return value

    em = section("emergencies")
    ef = _Fields(em, where, "emergencies", problems)
    fields = (
        "window",
        "about",
        "not_now",
        "own_clause",
        "long_ago",
        "events",
        "until",
        "pleas",
        "begun",
        "hypothetical",
        "figurative",
        "figurative_after",
        "asked_after",
        "figurative_said",
        "observed",
        "reported",
        "mentions",
        "nothing_now",
        "asks_whether",
        "now",
        "personal",
        "told",
        "units",
        "recurring",
        "risk_asking",
        "risk_agents",
        "risk_verbs",
    )
    ef.unknown((*fields, "asked_about", "concepts", "groups"))
    window = number(ef, "window", 6, 1, 20)
    groups: dict[str, tuple[str, ...]] = {}
    raw_groups = em.get("groups")
    if isinstance(raw_groups, _Map):
        gf = _Fields(raw_groups, where, "emergencies groups", problems)
        for name in raw_groups:
            groups[str(name)] = tuple(w for w, _ in gf.strings(name))
    elif raw_groups is not None:
        ef.err("groups", "'groups' must map a group name to its words")

    def unknown_groups(p: Pattern, owner: str) -> None:
        for slot in parse_pattern(p.text, p.line).slots:
            for word in slot:
                if _is_group(word) and word[1:-1] not in groups:
                    problems.append(
                        Problem(
                            where,
                            p.line,
                            f"{owner}: pattern {p.text!r} names the group {word}, which 'emergencies: groups' lacks",
                            hint="add the group under emergencies: groups, or use <number>, <several> or <fever>",
                        )
                    )

    concepts: list[Concept] = []
    raw = em.get("concepts")
    if isinstance(raw, _List):
        seen: set[str] = set()
        for item, line in zip(raw, raw.item_lines, strict=True):
            if not isinstance(item, _Map):
                problems.append(Problem(where, line, "emergencies: each concept is a mapping (id, label, patterns)"))
                continue
            cf = _Fields(item, where, "concept", problems)
            cf.unknown(
                (
                    "id",
                    "label",
                    "advice",
                    "like",
                    "patterns",
                    "window",
                    "always",
                    "calm",
                    "not_calm",
                    "asked_about",
                    "asked_yields",
                    "asked_over",
                    "calm_when_asked",
                )
            )
            like = cf.text("like", required=False)
            if like and like not in seen:
                cf.err("like", f"'like' names {like!r}, which is not a concept above this one")
            cid = cf.text("id")
            if cid in seen:
                cf.err("id", f"duplicate concept id {cid!r}")
            seen.add(cid)
            patterns = tuple(parse_pattern(t, ln, groups) for t, ln in cf.strings("patterns"))
            for p in patterns:
                unknown_groups(p, f"concept {cid!r}")
                if not p.slots:
                    problems.append(
                        Problem(
                            where,
                            p.line,
                            f"concept {cid!r}: pattern {p.text!r} has an empty slot",
                            hint="words joined by ' | ', slots by ' + '; in YAML a ' #' starts a comment",
                        )
                    )
            always = item.get("always", False)
            if not isinstance(always, bool):
                cf.err("always", "'always' must be true or false")
                always = False
            yields = item.get("asked_yields", False)
            if not isinstance(yields, bool):
                cf.err("asked_yields", "'asked_yields' must be true or false")
                yields = False
            concepts.append(
                Concept(
                    id=cid,
                    label=cf.text("label"),
                    advice=cf.text("advice", required=False)
                    or next((c.advice for c in concepts if like and c.id == like), ""),
                    patterns=tuple(p for p in patterns if p.slots),
                    window=number(cf, "window", window, 1, 20),
                    always=always,
                    line=line,
                    calm=tuple(w for w, _ in cf.strings("calm", required=False)),
                    not_calm=tuple(w for w, _ in cf.strings("not_calm", required=False)),
                    asked_about=cf.text("asked_about", required=False),
                    asked_yields=yields,
                    asked_over=tuple(w for w, _ in cf.strings("asked_over", required=False)),
                    calm_when_asked=tuple(w for w, _ in cf.strings("calm_when_asked", required=False)),
                )
            )
    elif raw is not None:
        ef.err("concepts", "'concepts' must be a list")

    neg = section("negation")
    nf = _Fields(neg, where, "negation", problems)
    nf.unknown(("cues", "window", "breaks", "not_after", "not_before", "not_inside"))
    q = section("questions")
    _Fields(q, where, "questions", problems).unknown(("words", "phrases", "english", "back"))

    dr = section("drugs")
    df = _Fields(dr, where, "drugs", problems)
    df.unknown(
        (
            "topics",
            "known",
            "endings",
            "refer",
            "class_words",
            "asks",
            "practical",
            "between",
            "same_class_als",
            "likened",
            "sparing",
        )
    )
    drugs: list[Drug] = []
    known = dr.get("known")
    if isinstance(known, _Map):
        for did, spec in known.items():
            line = known.key_lines.get(did, known.line)
            if not isinstance(spec, _Map):
                problems.append(Problem(where, line, f"drug {did!r}: expected a mapping (label, names, condition)"))
                continue
            sf = _Fields(spec, where, f"drug {did!r}", problems)
            sf.unknown(("label", "names", "abroad", "condition", "ours"))
            condition = spec.get("condition")
            if condition is not None and condition not in CONDITIONS:
                sf.err("condition", f"unknown condition {condition!r}", hint="lems, als, or leave it out")
                condition = None
            ours = spec.get("ours", False)
            drugs.append(
                Drug(
                    id=str(did),
                    label=sf.text("label", required=False) or str(did),
                    names=tuple(w for w, _ in sf.strings("names")),
                    condition=condition,
                    ours=ours is True,
                    line=line,
                    abroad=tuple(w for w, _ in sf.strings("abroad", required=False)),
                )
            )
    elif known is not None:
        df.err("known", "'known' must map a drug id to its label, names and condition")

    langs = section("languages")
    languages = tuple((str(k), str(v).strip()) for k, v in langs.items() if isinstance(v, str) and v.strip())
    for k, v in langs.items():
        line = langs.key_lines.get(k, langs.line)
        if not isinstance(v, str) or not v.strip():
            problems.append(Problem(where, line, f"languages: {k!r} needs a note"))
        if not known_language(str(k)):
            problems.append(
                Problem(where, line, f"languages: {k!r} is not a language the detector knows", hint="e.g. spanish")
            )
    tp = section("topics")
    tf = _Fields(tp, where, "topics", problems)
    lists = (
        "anywhere",
        "strong",
        "over_guards",
        "specific",
        "situations",
        "over_out_of_scope",
        "denied_count",
        "about_me",
        "again_topics",
    )
    tf.unknown(
        (
            "window",
            "signals",
            "addressed",
            "new_subject",
            "statements",
            "follow_on",
            "follow_on_alone",
            "filler",
            "referents",
            "home_of",
            "again",
            "wears_off",
            *lists,
        )
    )
    statements = tf.strings("statements", required=False)
    listed = {key: tf.strings(key, required=False) for key in lists}  # read once: a problem is reported once
    named = [(w, ln) for key in lists for w, ln in listed[key]]
    topic_window = number(tf, "window", 6, 1, 20)
    signals: list[Concept] = []
    raw_signals = tp.get("signals")
    if isinstance(raw_signals, _Map):
        sf = _Fields(raw_signals, where, "topics signals", problems)
        for topic in raw_signals:
            patterns = tuple(parse_pattern(t, ln, groups) for t, ln in sf.strings(topic))
            for p in patterns:
                unknown_groups(p, f"topic {topic!r}")
                if not p.slots:
                    problems.append(Problem(where, p.line, f"topic {topic!r}: pattern {p.text!r} has an empty slot"))
            line = raw_signals.key_lines.get(topic, raw_signals.line)
            named.append((str(topic), line))
            ok = tuple(p for p in patterns if p.slots)
            signals.append(Concept(str(topic), str(topic), "", ok, topic_window, True, line))
    elif raw_signals is not None:
        tf.err("signals", "'signals' must map a topic to its patterns")
    home_of: list[tuple[str, str]] = []
    raw_home = tp.get("home_of")
    if isinstance(raw_home, _Map):
        hf = _Fields(raw_home, where, "topics home_of", problems)
        for topic in raw_home:
            named.append((str(topic), raw_home.key_lines.get(topic, raw_home.line)))
            home_of.extend((w, str(topic)) for w, _ in hf.strings(topic))
    elif raw_home is not None:
        tf.err("home_of", "'home_of' must map a topic to the medicines that belong to it")

    def nested(key: str, inner_names: bool, says: str, whole: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """topic -> {name -> [phrases]} (follow_on: the next topic; referents: the subject a pronoun stands for)."""
        found: list[tuple[str, str, tuple[str, ...]]] = []
        raw = tp.get(key)
        if raw is None:
            return found
        if not isinstance(raw, _Map):
            tf.err(key, f"{key!r} must map {whole}")
            return found
        for topic in raw:
            inner, line = raw[topic], raw.key_lines.get(topic, raw.line)
            named.append((str(topic), line))
            if not isinstance(inner, _Map):
                problems.append(Problem(where, line, f"{key}: {topic!r} must map {says}"))
                continue
            fields = _Fields(inner, where, f"topics {key} {topic}", problems)
            for name in inner:
                if inner_names:
                    named.append((str(name), inner.key_lines.get(name, inner.line)))
                found.append((str(topic), str(name), tuple(w for w, _ in fields.strings(name))))
        return found

    follow_on = nested("follow_on", True, "a topic to its phrases", "a topic to the topics that follow it")
    alone: list[tuple[str, str, tuple[str, ...]]] = []  # (after, next, phrases), as follow_on
    raw_alone = tp.get("follow_on_alone")
    if isinstance(raw_alone, _Map):
        for name in raw_alone:
            entry, line = raw_alone[name], raw_alone.key_lines.get(name, raw_alone.line)
            if not isinstance(entry, _Map):
                problems.append(Problem(where, line, f"follow_on_alone: {name!r} must have 'after' and 'said'"))
                continue
            lf = _Fields(entry, where, f"topics follow_on_alone {name}", problems)
            lf.unknown(("after", "said"))
            said = tuple(w for w, _ in lf.strings("said"))
            after = entry.get("after")
            if not isinstance(after, _Map):
                lf.err("after", "'after' must map the topic just answered to the topic that follows it")
                continue
            af = _Fields(after, where, f"topics follow_on_alone {name} after", problems)
            for topic in after:
                nxt = af.text(topic)
                named.append((str(topic), after.key_lines.get(topic, after.line)))
                named.append((nxt, after.key_lines.get(topic, after.line)))
                alone.append((str(topic), nxt, said))
    elif raw_alone is not None:
        tf.err("follow_on_alone", "'follow_on_alone' must map a name to its 'after' and 'said'")
    again = tuple(w for w, _ in tf.strings("again", required=False))  # the same topic again, after any of these
    follow_on += [(topic, topic, again) for topic, _ in listed["again_topics"]] if again else []
    referents = nested(
        "referents", False, "its subject to pronouns", "a topic to its subject and the pronouns that stand for it"
    )
    return Understanding(
        topics=tuple(signals),
        anywhere=tuple(w for w, _ in listed["anywhere"]),
        strong=tuple(w for w, _ in listed["strong"]),
        over_guards=tuple(w for w, _ in listed["over_guards"]),
        specific=tuple(w for w, _ in listed["specific"]),
        situations=tuple(w for w, _ in listed["situations"]),
        follow_on=tuple(follow_on),
        follow_on_alone=tuple(alone),
        filler=tuple(w for w, _ in tf.strings("filler", required=False)),
        referents=tuple(referents),
        denied_count=tuple(w for w, _ in listed["denied_count"]),
        about_me=tuple(w for w, _ in listed["about_me"]),
        statements=tuple(statements),
        over_out_of_scope=tuple(w for w, _ in listed["over_out_of_scope"]),
        home_of=tuple(home_of),
        addressed=words(tp, "addressed", "topics"),
        new_subject=words(tp, "new_subject", "topics"),
        wears_off=words(tp, "wears_off", "topics"),
        topic_names=(
            *named,
            *((c.asked_about, c.line) for c in concepts if c.asked_about),
            *((t, c.line) for c in concepts for t in c.asked_over),
        ),
        concepts=tuple(concepts),
        emergency_window=window,
        about=words(em, "about", "emergencies"),
        not_now=words(em, "not_now", "emergencies"),
        own_clause=words(em, "own_clause", "emergencies"),
        long_ago=words(em, "long_ago", "emergencies"),
        events=words(em, "events", "emergencies"),
        until=words(em, "until", "emergencies"),
        pleas=words(em, "pleas", "emergencies"),
        begun=words(em, "begun", "emergencies"),
        hypothetical=words(em, "hypothetical", "emergencies"),
        figurative=words(em, "figurative", "emergencies"),
        figurative_after=words(em, "figurative_after", "emergencies"),
        asked_after=words(em, "asked_after", "emergencies"),
        figurative_said=words(em, "figurative_said", "emergencies"),
        observed=words(em, "observed", "emergencies"),
        reported=words(em, "reported", "emergencies"),
        mentions=words(em, "mentions", "emergencies"),
        nothing_now=words(em, "nothing_now", "emergencies"),
        asks_whether=words(em, "asks_whether", "emergencies"),
        now=words(em, "now", "emergencies"),
        risk_asking=words(em, "risk_asking", "emergencies"),
        risk_agents=words(em, "risk_agents", "emergencies"),
        risk_verbs=words(em, "risk_verbs", "emergencies"),
        personal=words(em, "personal", "emergencies"),
        told=words(em, "told", "emergencies"),
        units=words(em, "units", "emergencies"),
        recurring=words(em, "recurring", "emergencies"),
        asked_about=ef.text("asked_about", required=False),
        negation=words(neg, "cues", "negation"),
        negation_window=number(nf, "window", 3, 1, 10),
        negation_breaks=words(neg, "breaks", "negation"),
        not_negation=words(neg, "not_after", "negation"),
        not_before=words(neg, "not_before", "negation"),
        not_inside=words(neg, "not_inside", "negation"),
        question_words=words(q, "words", "questions"),
        question_phrases=words(q, "phrases", "questions"),
        english=words(q, "english", "questions"),
        back=words(q, "back", "questions"),
        drugs=tuple(drugs),
        drug_topics=words(dr, "topics", "drugs"),
        drug_endings=words(dr, "endings", "drugs"),
        drug_refers=words(dr, "refer", "drugs"),
        drug_asks=words(dr, "asks", "drugs"),
        drug_class_words=words(dr, "class_words", "drugs"),
        drug_practical=words(dr, "practical", "drugs"),
        drug_same_class_als=words(dr, "same_class_als", "drugs"),
        drug_between=words(dr, "between", "drugs"),
        drug_likened=words(dr, "likened", "drugs"),
        drug_sparing=words(dr, "sparing", "drugs"),
        languages=languages,
        learned=_learned(section("learned"), where, problems),
        file=where,
    )


def _learned(m: _Map, where: str, problems: list[Problem]) -> Learned:
    lf = _Fields(m, where, "learned", problems)
    lf.unknown(("model", "train_on", "answer", "strong", "beside", "keeps", "urgent", "urgent_not_english",
                "urgent_asked", "sure", "calm", "calm_share", "calm_clause", "outside", "small_talk"))  # fmt: skip

    def share(key: str, default: float, *, off: bool = False) -> float:
        """A share in (0, 1]; 0 too when `off` (the step is switched off)."""
        value = m.get(key, default)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not (0 < value <= 1 or (off and value == 0)):
            lf.err(key, f"{key!r} must be a share between 0 and 1, like 0.6")
            return default
        return float(value)

    return Learned(
        model=lf.text("model", required=False),
        train_on=tuple(w for w, _ in lf.strings("train_on", required=False)),
        answer=share("answer", 0.5),
        strong=share("strong", 0.75),
        beside=share("beside", share("strong", 0.75)),
        keeps=tuple(w for w, _ in lf.strings("keeps", required=False)),
        urgent=share("urgent", 0.9),
        urgent_not_english=share("urgent_not_english", 0.7),
        urgent_asked=share("urgent_asked", share("urgent", 0.9)),
        sure=share("sure", 0.0, off=True),
        calm=share("calm", 0.0, off=True),
        calm_share=share("calm_share", 0.8),
        calm_clause=share("calm_clause", 0.9),
        outside=share("outside", 0.0, off=True),
        small_talk=share("small_talk", 0.0, off=True),
        line=m.line,
    )
