"""Routing decisions a user would notice: urgent first, the right condition, context, clarify, fallback."""

from __future__ import annotations

import pytest

from bot.adapters.telegram.format import telegram_html
from bot.brain import Brain
from bot.catalog import Catalog
from bot.context import CONTEXT_TTL_SECONDS, MemoryContextStore
from bot.render import render
from bot.router import Decision, Router


@pytest.fixture(scope="module")
def router(catalog: Catalog) -> Router:
    return Router(catalog)


def ask(router: Router, *messages: str, gap: float = 5.0) -> Decision:
    """Send messages in one conversation; the decision for the last one."""
    store = MemoryContextStore()
    decision = None
    for n, text in enumerate(messages):
        decision = router.route(text, "chat", store, n * gap)
    assert decision is not None
    return decision


@pytest.mark.parametrize(
    "text",
    [
        "I can't breathe",
        "my husband is choking",
        "her lips are turning blue",
        "crushing chest pain after my prednisone",
        "my dad collapsed",
        "my throat is swelling up",
        "I took too many prednisone pills",
        "I want to kill myself",
        "i cant breath properly, does prednisone help als?",
    ],
)
def test_urgent_symptoms_get_the_urgent_card(router: Router, text: str) -> None:
    d = ask(router, text)
    assert (d.kind, d.card) == ("urgent", "urgent")


def test_urgent_wins_over_context_and_other_topics(router: Router) -> None:
    d = ask(router, "side effects of prednisone in ALS", "what about LEMS? also i cant breathe")
    assert d.card == "urgent"


@pytest.mark.parametrize(
    "text", ["can steroids affect breathing in ALS?", "does prednisone weaken the breathing muscles in als"]
)
def test_questions_about_breathing_are_not_emergencies(router: Router, text: str) -> None:
    d = ask(router, text)
    assert d.kind == "answer" and d.card != "urgent"


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("does prednisone help ALS", "als-evidence"),
        ("does prednisone help lambert eaton", "lems-evidence"),
        ("side effects of prednisone in motor neurone disease", "als-side-effects"),
        ("what is LEMS", "lems"),
        ("what is Lou Gehrig's disease", "als"),
        ("alternatives to prednisone for lems", "lems-alternatives"),
        ("what is prednisone", "prednisone"),
        ("why does prednisone help in LEMS but not in ALS", "compare"),
        ("will predisone help my lambert eton", "lems-evidence"),
        ("hi 👋 what is LEMS?", "lems"),
        ("what can you do", "welcome"),
    ],
)
def test_answers(router: Router, text: str, card: str) -> None:
    assert ask(router, text).card == card


def test_a_follow_up_takes_the_condition_from_context(router: Router) -> None:
    assert ask(router, "does prednisone help ALS", "what about side effects?").card == "als-side-effects"


def test_naming_the_other_condition_switches_it(router: Router) -> None:
    d = ask(router, "does prednisone help ALS", "what about side effects?", "and for LEMS?")
    assert d.card == "lems-side-effects"


def test_a_condition_named_in_the_message_wins_over_context(router: Router) -> None:
    d = ask(router, "prednisone side effects in ALS", "does prednisone help lambert eaton?")
    assert d.card == "lems-evidence"


def test_context_expires(router: Router) -> None:
    d = ask(router, "does prednisone help ALS", "does it work?", gap=CONTEXT_TTL_SECONDS + 1)
    assert d.kind == "clarify"


def test_context_is_per_conversation(router: Router) -> None:
    store = MemoryContextStore()
    router.route("does prednisone help ALS", "alice", store, 0)
    router.route("does prednisone help LEMS", "bob", store, 0)
    assert router.route("what about side effects?", "alice", store, 1).card == "als-side-effects"
    assert router.route("what about side effects?", "bob", store, 1).card == "lems-side-effects"


@pytest.mark.parametrize(
    "text",
    [
        "does it work?",
        "what are the alternatives?",
        "how does it work",
        "be honest, are steroids any good?",  # the topic's own words, no example close
        "is pred any use at all?",  # ... and not "what is prednisone?"
    ],
)
def test_condition_specific_topic_without_condition_asks(router: Router, text: str) -> None:
    d = ask(router, text)
    assert d.kind == "clarify"
    assert sorted(d.options)[0].startswith("als-") and sorted(d.options)[1].startswith("lems-")


def test_answering_a_clarify_question_with_a_condition(router: Router) -> None:
    assert ask(router, "does it work?", "ALS").card == "als-evidence"


def test_general_topics_answer_without_asking(router: Router) -> None:
    assert ask(router, "what are the side effects of prednisone?").card == "side-effects"


@pytest.mark.parametrize(
    "text",
    [
        "what are the side effects of ibuprofen",
        "does prednisone help asthma",
        "book me a flight to Paris",
        "what's the weather tomorrow",
        "tell me a joke",
        # what it costs, and word games, even with prednisone named
        "how much is prednisone without insurance",
        "need help with a crossword, a steroid like prednisone, 10 letters",
    ],
)
def test_out_of_scope_gets_the_fallback_with_topics(router: Router, text: str) -> None:
    d = ask(router, text)
    assert d.kind == "fallback"
    assert 1 <= len(d.options) <= 3


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("can i not take prednisone", "stopping"),
        ("can I just quit prednisone", "stopping"),
        ("how much prednisone should i take for lems", "dosing"),
    ],
)
def test_guards_catch_what_fuzzy_scores_miss(router: Router, text: str, card: str) -> None:
    assert ask(router, text).card == card


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\t", "🙂🙂🙂", "?!?!...", "asdkjh qwelkj zxcmnb", "<b>zq</b> <script>", "*bold* _x_ `code`"],
)
def test_bad_input_gets_the_fallback_never_an_error(router: Router, text: str) -> None:
    assert ask(router, text).kind == "fallback"


def test_a_long_story_without_a_question_we_answer_asks_for_one_short_question(
    router: Router, catalog: Catalog
) -> None:
    story = (
        "My sister was put on steroids last spring for a skin problem the doctors never named, then her knees "
        "started swelling and the clinic moved twice, the pharmacy changed brands, her sleep went bad and "
        "the bills keep coming, and now her new doctor wants more blood tests before the holidays"
    )
    d = ask(router, story)
    assert (d.kind, d.notice) == ("fallback", "long_question")
    assert 1 <= len(d.options) <= 3
    text = telegram_html(render(catalog, d))
    assert "one short question" in text and catalog.messages["fallback"][:20] not in text
    assert ask(router, "asdkjh qwelkj zxcmnb").notice is None  # short nonsense: the usual line


def test_a_very_long_message_is_matched_on_its_start(router: Router) -> None:
    d = ask(router, "does prednisone help ALS? " + "blah " * 5000)
    assert d.card == "als-evidence"
    assert d.truncated


def test_never_the_other_conditions_card(router: Router, catalog: Catalog) -> None:
    """Whatever the phrasing, a message naming one condition never gets the other's card."""
    topics = ["how does it work", "does it help", "side effects", "alternatives", "what is it", "evidence"]
    for topic in topics:
        for cond, other in (("lems", "als"), ("als", "lems")):
            for name in {"lems": ["LEMS", "lambert eaton"], "als": ["ALS", "motor neurone disease"]}[cond]:
                for text in (f"{topic} {name}", f"prednisone {topic} in {name}"):
                    d = ask(router, text)
                    if d.card:
                        assert catalog.cards[d.card].condition != other, (text, d)
                    assert all(catalog.cards[o].condition != other for o in d.options), (text, d)
                # nor through context
                d = ask(router, f"tell me about prednisone in {name}", topic)
                if d.card:
                    assert catalog.cards[d.card].condition != other, (topic, name, d)


def test_the_other_one_switches_to_the_other_condition(catalog: Catalog) -> None:
    """Two conditions only: "and for the other condition?" after an ALS answer asks the same about LEMS."""
    brain = Brain(catalog)
    assert brain.reply("does prednisone work in ALS?", "k", 0.0).card == "als-evidence"
    assert brain.reply("same question for the other condition", "k", 1.0).card == "lems-evidence"
    assert brain.reply("side effects in LEMS", "j", 0.0).card == "lems-side-effects"
    assert brain.reply("what about the other side effects", "j", 1.0).card != "als-side-effects"


@pytest.mark.parametrize(
    ("earlier", "text", "card"),
    [
        ("does prednisone help LEMS", "can you recommend a good pasta recipe", None),  # a question of its own
        ("does prednisone help LEMS", "how do I get my car fixed", None),
        ("does prednisone help LEMS", "will it make me put on weight?", "lems-side-effects"),  # "it": prednisone
        ("does prednisone help LEMS", "what if I forget one?", "missed-dose"),  # "one": a dose
        ("side effects of prednisone in LEMS", "and for ALS?", "als-side-effects"),  # starts as a follow-up
        ("what is LEMS", "what are the treatments", "lems-alternatives"),  # matches an example on its own
    ],
)
def test_only_a_message_that_follows_on_borrows_the_conversation(
    router: Router, earlier: str, text: str, card: str | None
) -> None:
    """questions.back: mid-conversation, a message naming nothing of ours is read on its own unless it points
    back, starts like a follow-up, holds a topic's words or matches an example by itself."""
    decision = ask(router, earlier, text)
    assert decision.card == card, decision
    if card is None:
        assert decision.kind == "fallback"


def test_what_the_studies_found_is_the_evidence_and_finding_a_trial_is_the_trials_card(router: Router) -> None:
    """topics.signals trials: "find" counts only as finding one ("find a trial", "find one near me")."""
    assert ask(router, "does prednisone help ALS", "what did the studies actually find?").card == "als-evidence"
    assert ask(router, "is there a clinical trial for ALS", "how do I find one near me?").card == "trials"


@pytest.mark.parametrize("text", ["would it help my mum?", "will it help him"])
def test_asking_what_it_does_is_no_call_for_help(router: Router, text: str) -> None:
    """The welcome card's example "help" is all these share with it once the little words go."""
    d = ask(router, text)
    assert d.card != "welcome" and d.kind in ("fallback", "clarify")


def test_whether_it_would_help_in_a_chat_about_prednisone_asks_which_condition(router: Router) -> None:
    """ "Help" here is what prednisone might do, not a call for help: with no condition known, ask which."""
    d = ask(router, "tell me what prednisone is", "could it help my husband?")
    assert d.kind == "clarify"
    assert ask(router, "tell me what prednisone is", "could it help my husband? he has ALS").card == "als-evidence"


def test_supposing_the_other_condition_keeps_the_topic(router: Router) -> None:
    """ "and if it were ALS instead?" after a LEMS answer is the same question for ALS, not ALS's treatments."""
    d = ask(router, "how does prednisone work in LEMS?", "and if it were ALS instead?")
    assert (d.card, d.context_used) == ("als-mechanism", True)
    assert ask(router, "does prednisone help LEMS?", "what if it's ALS?").card == "als-evidence"


def test_short_follow_ups_on_joining_a_trial_and_a_starting_dose_keep_their_topic(router: Router) -> None:
    assert ask(router, "is there any research going on for MND?", "so how do we sign up for one").card == "trials"
    dose = ask(router, "how much prednisone do people take for LEMS?", "sure, but roughly how much do people start on")
    assert dose.card == "dosing"


def test_whether_a_professional_checked_the_answers_is_the_sources_question(router: Router) -> None:
    assert ask(router, "has anybody qualified checked your answers?").card == "sources"
    assert ask(router, "I was checked by a doctor this week, is pred safe for LEMS?").card != "sources"
