"""The learned second opinion (bot/learned.py): where it may decide, where it never does, and how an admin
fits it again, sees it in `why`, tunes it in YAML and learns from `check` that it is older than the examples.

The wordings here are our own, written for these tests; none comes from a blind evaluation set.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest

from bot import learned, train
from bot.__main__ import cmd_check, cmd_train
from bot.brain import Brain
from bot.catalog import Catalog, load
from bot.explain import explain
from bot.router import Router
from tests.routing import edit_understanding, route


@pytest.fixture(scope="module")
def router(catalog: Catalog) -> Router:
    return Router(catalog)


# --- what it decides, and what it leaves to the rules ------------------------------------------------


def test_the_shipped_catalog_has_a_model_that_reads_topics(catalog: Catalog) -> None:
    assert catalog.model is not None
    guess = catalog.model.guess("will the steroid tablets push my sugar levels up")
    assert guess is not None and guess.label == "blood-sugar" and guess.share > 0.5


def test_it_answers_a_question_the_closest_example_misread(router: Router) -> None:
    # the closest example is the mechanism card's; the question asks whether it works
    d = route(router, "my husband has ALS, would the steroid thing perk him up a bit or not really")
    assert (d.card, d.condition) == ("als-evidence", "als")
    assert d.learned and "Does prednisone work in ALS?" in d.reason


def test_a_close_example_needs_a_sure_model_to_be_replaced(router: Router) -> None:
    d = route(router, "does prednisone help in Lambert-Eaton?")
    assert d.card == "lems-evidence" and not d.learned


def test_whether_prednisone_slows_the_disease_is_its_evidence_even_near_an_example_of_the_other_treatments(
    router: Router,
) -> None:
    """ "What can slow MND down?" is the other treatments' example and names no drug; asked of prednisone, the
    closeness is no reason to keep the model out. Asked of anything besides prednisone, it stays theirs."""
    d = route(router, "would prednisolone slow motor neurone disease down for my wife")
    assert (d.card, d.condition) == ("als-evidence", "als") and d.learned
    assert route(router, "is there anything besides prednisone that slows ALS?").card == "als-alternatives"


def test_a_greeting_or_thanks_the_examples_came_short_of_gets_its_card_when_the_model_is_sure(
    router: Router,
) -> None:
    """learned.small_talk: only over a fallback, and never over an out-of-scope word."""
    d = route(router, "hiya, new here, ok if I ask a few things about mum's pred?")
    assert (d.kind, d.card) == ("answer", "welcome") and d.learned
    assert route(router, "hiya, just joined, is my labrador ok on pred?").kind == "fallback"


def test_another_drug_only_in_the_story_leaves_the_question_about_prednisone_to_the_model(router: Router) -> None:
    """The rules keep a question that names another drug; one that names it only in the story, and asks
    about prednisone alone, is ours like any other."""
    told = (
        "Dad's had LEMS since spring. He takes Firdapse in the mornings and they added prednisone in June. "
        "Could the steroids be why his cheeks have filled out and he's raiding the fridge at night?"
    )
    d = route(router, told)
    assert d.card in ("lems-side-effects", "side-effects")
    other = route(router, "Dad takes prednisone and Firdapse. Does Firdapse cause puffy cheeks?")
    assert other.card != "lems-side-effects"


def test_it_never_chooses_the_condition(router: Router) -> None:
    for text, cond in (
        ("my husband has ALS, would the steroid thing perk him up a bit or not really", "als"),
        ("my wife has LEMS, would the steroid thing perk her up a bit or not really", "lems"),
    ):
        d = route(router, text)
        assert d.condition == cond and d.card is not None and d.card.startswith(cond)


def test_it_leaves_fixed_phrases_other_drugs_and_short_follow_ups_to_the_rules(router: Router) -> None:
    assert not route(router, "how much prednisone should I take").learned  # a fixed phrase (guard)
    riluzole = route(router, "would riluzole make my husband any stronger or not really")
    assert riluzole.card in ("als-alternatives", None) and not riluzole.learned
    follow = route(router, "what about ALS?", "what are the side effects of prednisone in LEMS?")
    assert follow.card == "als-side-effects" and not follow.learned


def test_another_treatment_weighed_against_prednisone_gets_the_card_on_the_other_treatments(router: Router) -> None:
    """The rules keep another drug's question; one weighing it against prednisone is the alternatives card's,
    when the model is sure. A practical question about the other drug stays with the rules (its prescriber's)."""
    d = route(router, "which helps LEMS more, prednisone or plasma exchange")
    assert (d.kind, d.card) == ("answer", "lems-alternatives") and d.learned
    dose = route(router, "what's the usual dose of firdapse for LEMS alongside prednisone")
    assert dose.card != "lems-dosing" and not dose.learned


def test_it_says_nothing_about_messages_that_are_not_ours(router: Router) -> None:
    for text in ("how long will it take to get a new card", "what will you call me", "call home"):
        d = route(router, text)
        assert d.kind != "urgent" and not d.learned, text


def test_an_emergency_the_rules_miss_is_urgent_when_the_model_is_sure(router: Router) -> None:
    text = "heavily pregnant, on pred, and right now a thumping headache and my face and hands have puffed up"
    assert router.catalog.model is not None
    rules_only = Router(dataclasses.replace(router.catalog, model=None))
    assert route(rules_only, text).kind != "urgent"
    d = route(router, text)
    assert d.kind == "urgent" and "learned model" in d.reason


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("what even is lambert eaton myasthenic syndrome", "lems"),  # not "what treats it", for naming no drug
        ("not expecting yet but we want a baby soon. is pred safe?", "pregnancy"),
        ("wil my lems get worse", "prognosis"),
    ],
)
def test_a_sure_model_speaks_over_a_strong_rule(catalog: Catalog, router: Router, text: str, card: str) -> None:
    learned_off = dataclasses.replace(catalog.understanding.learned, sure=0.0)
    rules = Router(
        dataclasses.replace(catalog, understanding=dataclasses.replace(catalog.understanding, learned=learned_off))
    )
    assert route(rules, text).card != card
    d = route(router, text)
    assert d.card == card and d.learned


CALM_QUESTIONS = {
    # emergency words the rules find, in a question the model reads as one about a topic
    "running a temperature of 38 and a sore throat on prednisone, can the steroid hide how bad an infection is?": (
        "infections",
        "infection",
    ),
    "my husband fainted from the heat at a wedding in june, nothing to do with his pills. does prednisone "
    "affect blood pressure?": ("side-effects", "unconscious"),
}


@pytest.mark.parametrize("text", CALM_QUESTIONS)
def test_emergency_words_in_a_question_it_reads_surely_get_that_card_with_the_advice_above(
    catalog: Catalog, router: Router, text: str
) -> None:
    card, concept = CALM_QUESTIONS[text]
    rules_only = Router(dataclasses.replace(catalog, model=None))
    assert route(rules_only, text).kind == "urgent"
    d = route(router, text)
    assert (d.kind, d.card, d.concept) == ("answer", card, concept)
    reply = Brain(catalog).reply(text, "k", 0.0)
    advice = next(c.advice for c in catalog.understanding.concepts if c.id == concept)
    assert reply.blocks[0].kind == "alert" and advice in reply.blocks[0].text
    assert reply.card == card


@pytest.mark.parametrize(
    "text",
    [
        "which side effects of prednisone should I watch for? my chest is tight and it hurts right now",
        "how common are stomach problems with prednisone? i'm vomiting blood right now",
        "what are the side effects of prednisone, i cant breathe",
        "i want to die, does prednisone cause depression?",  # self-harm is never calmed
        # ... not even behind another emergency's words found first (here "me suicid", read as French)
        "my mate joked that pred would make me suicidal haha. does it change your mood?",
    ],
)
def test_a_report_beside_a_question_stays_urgent(router: Router, text: str) -> None:
    assert route(router, text).kind == "urgent"


def test_calm_off_in_yaml_sends_the_urgent_card_again(catalog_copy: Path) -> None:
    text = next(iter(CALM_QUESTIONS))
    edit_understanding(catalog_copy, "  calm: 0.03 ", "  calm: 0 ")
    result = load(catalog_copy)
    assert result.catalog is not None, result.problems
    assert Router(result.catalog).decide(text, None, 0.0).decision.kind == "urgent"


def test_a_condition_named_in_a_question_we_do_not_cover_gets_the_fallback_not_its_overview(router: Router) -> None:
    """Naming ALS is not asking about it: the overview would be a confident answer to another question."""
    d = route(router, "what kind of mattress is best for someone with ALS")
    assert d.kind == "fallback" and d.learned
    assert route(router, "is lambert eaton rare").card == "lems"  # a question about the condition keeps its card


def test_outside_off_in_yaml_gives_the_overview_again(catalog_copy: Path) -> None:
    edit_understanding(catalog_copy, "  outside: 0.5 ", "  outside: 0 ")
    result = load(catalog_copy)
    assert result.catalog is not None, result.problems
    d = Router(result.catalog).decide("what kind of mattress is best for someone with ALS", None, 0.0).decision
    assert (d.kind, d.card) == ("answer", "als")


def test_why_says_what_the_model_read_and_whether_it_decided(router: Router) -> None:
    decided = explain(router, "my husband has ALS, would the steroid thing perk him up a bit or not really")
    assert "learned:    reads it as 'Does prednisone work in ALS?'" in decided and "it decided this answer" in decided
    ruled = explain(router, "how much prednisone should I take")
    assert "learned:" in ruled and "the rules decided here" in ruled


# --- settings in YAML, reload, check ------------------------------------------------------------------


def test_raising_the_bar_in_yaml_leaves_the_rules_in_charge_after_reload(catalog_copy: Path) -> None:
    text = "my husband has ALS, would the steroid thing perk him up a bit or not really"
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    assert brain.turn(text, "k", 0.0).decision.learned
    edit_understanding(catalog_copy, "  answer: 0.5 ", "  answer: 1.0 ")
    result = load(catalog_copy)
    assert result.catalog is not None, result.problems
    brain.swap(result.catalog)  # what /reload does
    d = brain.turn(text, "k2", 0.0).decision
    assert not d.learned and d.card != "als-evidence"


def test_check_says_when_the_model_is_older_than_the_examples(catalog_copy: Path) -> None:
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 0
    assert "learned:" not in out.getvalue()
    path = catalog_copy / "intents" / "lems.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# an admin's note\n", encoding="utf-8")
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 0  # a warning: it still answers as fitted
    assert "intents/understanding.yaml:" in out.getvalue()
    assert "learned: the model was fitted before changes to intents/lems.yaml" in out.getvalue()
    assert "python -m bot train" in out.getvalue()


def test_a_missing_model_is_a_warning_and_a_broken_one_an_error(catalog_copy: Path) -> None:
    model = catalog_copy / "intents" / "learned.npz"
    model.unlink()
    result = load(catalog_copy)
    assert result.catalog is not None and result.catalog.model is None
    assert any("no model file intents/learned.npz" in str(p) for p in result.problems)
    model.write_bytes(b"not a model")
    result = load(catalog_copy)
    assert result.catalog is None
    assert any("learned.npz cannot be read" in str(p) and p.line > 0 for p in result.errors)


def test_a_share_outside_zero_to_one_is_reported_with_its_line(catalog_copy: Path) -> None:
    edit_understanding(catalog_copy, "  urgent: 0.9 ", "  urgent: 9 ")
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 1
    assert "'urgent' must be a share between 0 and 1" in out.getvalue()


# --- fitting -------------------------------------------------------------------------------------------


def test_a_fit_can_leave_case_files_out_so_cross_validation_holds_a_round_back(catalog_copy: Path) -> None:
    from bench.crossval import fold_of

    cases = catalog_copy / "tests" / "data"
    cases.mkdir(parents=True)
    for name, text in (("blind-12a.yaml", "are blurry eyes a steroid thing"), ("blind-13a.yaml", "cannot sleep")):
        (cases / name).write_text(f"cases:\n  - text: {text}\n    expect: [fallback]\n", encoding="utf-8")
    catalog = load(catalog_copy).catalog
    assert catalog is not None
    texts = {e.text for e in train.gather(catalog_copy, catalog, leave_out=[cases / "blind-12a.yaml"]).examples}
    assert "cannot sleep" in texts and "are blurry eyes a steroid thing" not in texts
    assert [fold_of(cases / n) for n in ("blind-12a.yaml", "blind-topics-17.yaml", "eval.yaml")] == [2, 2, None]


def test_fit_save_and_read_give_the_same_reading(tmp_path: Path) -> None:
    examples = [train.Example(t, "eyes") for t in ("blurry eyes on steroids", "cataract from prednisone", "my eyes")]
    examples += [train.Example(t, "sleep-mood") for t in ("cannot sleep on steroids", "mood swings", "sleep")]
    examples += [train.Example(t, "urgent") for t in ("cannot breathe", "chest pain now", "he collapsed")]
    model = train.fit(examples, ("abc intents/x.yaml",))
    path = tmp_path / "m.npz"
    learned.save(model, path)
    again = learned.read(path)
    assert again.labels == ("eyes", "sleep-mood", "urgent") and again.trained_on == ("abc intents/x.yaml",)
    for text in ("are blurry eyes from the steroids", "i cannot sleep"):
        a, b = model.guess(text), again.guess(text)
        assert a is not None and b is not None and a.label == b.label
        assert np.isclose(a.share, b.share, atol=0.01)
    assert model.guess("zzz qqq") is None  # no word it knows: no opinion


def test_train_writes_the_model_check_then_finds_current(catalog_copy: Path) -> None:
    # fitted on intents/ only here (a copy has no tests/data), which is quick; the shipped one reads more
    edit_understanding(catalog_copy, "    - tests/data/blind-*.yaml\n", "    - none-*.yaml\n")
    out = io.StringIO()
    assert cmd_train(catalog_copy, out) == 0
    assert "fitted on" in out.getvalue() and "wrote" in out.getvalue()
    result = load(catalog_copy)
    assert result.catalog is not None and result.catalog.model is not None
    assert not [p for p in result.problems if "learned" in p.message]
    guess = result.catalog.model.guess("does prednisone raise blood sugar")
    assert guess is not None and guess.label == "blood-sugar"


def test_an_emergency_in_another_language_the_rules_miss_is_urgent(router: Router) -> None:
    """The rules know few emergency words in other languages; the model reads letter groups of any."""
    text = "Mon père prend de la prednisone et depuis ce matin il vomit sans arrêt et il est tombé deux fois"
    rules_only = Router(dataclasses.replace(router.catalog, model=None))
    assert route(rules_only, text).notice == "not_english"
    d = route(router, text)
    assert d.kind == "urgent" and d.learned
    calm = route(router, "¿Puedo tomar la prednisona con la comida o mejor sin comer nada?")
    assert calm.kind == "fallback" and calm.notice == "not_english"


def test_prednisone_as_other_languages_write_it_is_ours_and_still_tells_the_language(router: Router) -> None:
    scan = router.scan("Toma prednisona desde ayer, ¿es normal sentirse así de cansada?")
    assert scan.drugs == ("prednisone",) and scan.language == "spanish"
    assert router.scan("O que é a prednisona, afinal?").language == "portuguese"


def test_beside_another_condition_it_may_name_only_prednisones_own_topic_of_it(router: Router) -> None:
    """A condition outside what the bot covers, named beside prednisone, is the fallback unless the question is
    prednisone's own topic of it (topics.over_out_of_scope): sugar for diabetes, where the rules find no
    sugar word; never another topic, and never for two words that ask nothing."""
    d = route(router, "my wife has type 2 diabetes, she starts prednisone next week, what do we need to plan for")
    assert d.card == "blood-sugar" and d.learned
    assert route(router, "I have lupus, can I take prednisone?").kind == "fallback"
    assert route(router, "prednisone and covid").kind == "fallback"


def test_it_may_answer_a_topic_that_needs_no_condition_instead_of_asking_which(router: Router) -> None:
    """The closest example needs LEMS or ALS, so the rules would ask which; the model reads a question about
    prednisone itself (a card for both), at the strong bar: answering beats a question the user cannot use."""
    d = route(router, "what does prednisone do inside the body after you take it")
    assert (d.kind, d.card) == ("answer", "prednisone") and d.learned
    assert route(router, "does prednisone help?").kind == "clarify"  # it does need the condition


def test_a_near_miss_naming_nothing_answers_only_when_both_readers_pick_the_same_card(router: Router) -> None:
    """Naming nothing of ours, an answer needs a near-verbatim example; a first message that speaks of "it" as
    if the subject were known, with the closest example and the model each picking the same card, is enough."""
    d = route(router, "is it ok to stop taking them now I feel better")
    assert (d.kind, d.card) == ("answer", "stopping") and d.learned
    # the model is unsure (0.33 of the way to the same card): the honest fallback, with the card as a button
    assert route(router, "would it hurt me to stop taking them completely").kind == "fallback"
    # no "it" or "them": nothing says the subject is ours
    assert route(router, "is quitting dangerous for good").kind == "fallback"
    assert route(router, "what happens if i stop paying my phone bill").kind == "fallback"
    # "the tablets" speak of the subject too; a weaker example needs the model all but certain (0.95)
    eyes = route(router, "my wife's eyes seem fine, but she's been on the tablets for years, does she need them tested")
    assert (eyes.kind, eyes.card) == ("answer", "eyes")


def test_another_condition_right_after_prednisones_own_topic_of_it_gets_that_topic(router: Router) -> None:
    """Alone, "type 2 diabetic" is outside what the bot covers; right after the sugar card it asks about
    prednisone and sugar, when the learned model reads that too. Another condition's own question stays out."""
    assert route(router, "my husband is type 2 diabetic, is he at risk").kind == "fallback"
    d = route(router, "my husband is type 2 diabetic, is he at risk", "is my blood sugar affected by prednisone")
    assert (d.kind, d.card) == ("answer", "blood-sugar") and d.learned
    asthma = route(router, "which inhaler is best for my asthma", "is my blood sugar affected by prednisone")
    assert asthma.kind == "fallback"


def test_a_short_follow_up_about_it_that_the_rules_cannot_place_gets_the_models_topic_for_the_chats_condition(
    router: Router,
) -> None:
    """ "it" right after the MND overview is MND: the model's topic (at `strong`) for the chat's condition."""
    told = "dad has just been told he has motor neurone disease"
    d = route(router, "is there something that can treat it at all", told)
    assert (d.kind, d.card) == ("answer", "als-alternatives") and d.learned
    assert route(router, "is there something that can treat it at all").kind == "fallback"  # no chat: whose "it"?


def test_another_condition_with_it_in_a_chat_about_prednisone_gets_prednisones_own_topic_of_it(
    router: Router,
) -> None:
    """ "it" in a chat about prednisone is prednisone: its sugar question, beside another condition, is ours."""
    story = "my dad has LEMS and starts prednisone next week"
    d = route(router, "dad is type 2 diabetic, will it make his sugar levels climb?", story)
    assert (d.kind, d.card) == ("answer", "blood-sugar") and d.learned and d.context_used
    # without "it", or without the chat, the other condition's own question stays outside
    assert route(router, "dad is type 2 diabetic, what should he eat?", story).kind == "fallback"
    assert route(router, "dad is type 2 diabetic, will it make his sugar levels climb?").kind == "fallback"
