"""What the router understands beyond examples: emergencies as concepts, the drug asked about, negation,
the question inside a story, word forms and text-speak, other languages. Each rule is data in
`intents/understanding.yaml`; the last tests show that editing it changes what the bot does.

The wordings here are our own, written for these tests; none comes from a blind evaluation set.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path

import pytest

from bot.__main__ import cmd_ask, cmd_check
from bot.adapters.telegram.format import telegram_html
from bot.brain import Brain
from bot.catalog import Catalog, load
from bot.context import MemoryContextStore
from bot.explain import explain
from bot.inline import inline_cards
from bot.render import render
from bot.router import Decision, Router


@pytest.fixture(scope="module")
def router(catalog: Catalog) -> Router:
    return Router(catalog)


def route(router: Router, text: str, *before: str) -> Decision:
    store = MemoryContextStore()
    for n, earlier in enumerate(before):
        router.route(earlier, "t", store, float(n))
    return router.route(text, "t", store, 10.0)


# --- emergencies ----------------------------------------------------------------------------------------

EMERGENCIES = {
    "breathing": ["my husband is gasping and his lips look blue", "she is not breathing properly",
                  "i can barely breathe"],
    "choking": ["he is choking on a tablet", "a pill got stuck in her throat"],
    "chest": ["crushing pain in my chest since this morning", "my chest really hurts and i feel sick"],
    "self-harm": ["i want to end my life", "some days i think everyone is better off without me"],
    "overdose": ["i swallowed twelve tablets of prednisone", "my toddler got into the pill bottle",
                 "took my dose twice by accident", "i took the whole packet",
                 "i'm going to take the whole box of pills",  # a plan, in the present tense, is urgent too
                 "my toddler got into a blister strip while I was in the shower, three are gone",
                 "I've been taking both boxes for a week without realising and now I'm vomiting"],  # no denial
    "allergy": ["my tongue is swelling up after the new pill", "covered in hives and my throat feels tight"],
    "gi-bleed": ["threw up something like coffee grounds", "my stool is black and sticky like tar"],
    "infection": ["on prednisone with a high temperature and shivering", "temperature of 39.5 and chills"],
    "adrenal": ["stopped my prednisone last week and keep vomiting", "ran out of steroids and fainted today"],
    "weakness": ["she suddenly went very weak and cannot lift her arms", "he can't swallow anything since lunch"],
    "unconscious": ["my dad won't wake up", "she collapsed and isn't responding"],
    # red flags from the NHS 999, sepsis and stroke lists and the prednisone leaflet's serious effects
    "confusion": ["my dad is hallucinating since they started the steroids", "she suddenly doesn't know where she is"],
    "sepsis": ["she has a rash that doesn't fade under a glass and a fever", "haven't peed all day and feel awful"],
    "heart": ["pain in my left arm and jaw and I'm sweaty"],
    "skin": ["blistering rash all over and a fever"],
    "stroke": ["I can't get my words out, it came on suddenly",
               "his smile has gone crooked and his left hand has gone numb",
               "my vision went in one eye all of a sudden"],
    "new confusion": ["grandpa keeps talking to people who aren't there",
                      "she doesn't recognise her own husband tonight"],
    "worsening weakness": ["the weakness is creeping up from her legs towards her chest"],
    "goodbyes": ["my brother sent everyone a goodbye message and won't pick up"],
    "a plan with tablets": ["all my pills are counted out on the table, how many would it take",
                            "how much prednisolone would be enough to die"],
    "in pregnancy": ["I'm 20 weeks pregnant and bleeding heavily right now"],
    "an adrenaline pen": ["I used my epipen and I'm still struggling"],
    # how long someone has taken prednisone is not how long the symptom has lasted
    "on steroids for months": ["I've been on pred for months and tonight I'm throwing up blood"],
    "wrong way": ["a tablet went down the wrong way and she is coughing and turning purple"],
    "a limb gone dead": ["his right arm and leg just went dead, out of nowhere"],
    # "over the last hour" is happening now; only "over the last few weeks/months" is a slow change
    "within the hour": ["she suddenly can't lift her arms, it came on over the last hour"],
    "a rope": ["I have a rope with me and can't see the point of carrying on"],
    "no point in living": ["honestly what is the point of living like this", "no point in going on anymore"],
    "gone, by choice": ["I won't be here next month if I get my way"],
    "black in the toilet": ["the last time I used the toilet it came out black"],
    "a figure's words in another clause": ["I'm choking, back of my throat is blocked"],
    # a negation word that another pattern uses as its own word ("hasn't peed") denies nothing
    "fever, no urine, mottled": ["she has a fever, hasn't weed since this morning and her skin is mottled"],
    "the arm test": ["his arm drifted down when he tried to hold both out and his words are slurred"],
    "nuts, blotches, a tingly mouth": ["after the peanut biscuit she's blotchy and says her mouth feels tingly"],
    "asking whether to ring": ["should I ring an ambulance, she looks grey and won't answer me"],
    "someone else's pills": ["took my wife's tablets by mistake", "I took tomorrow's dose already"],
    # <several>: a count of three or more, told as "N of my/his ..." (not "4 hours late", not "5mg")
    "a count of tablets": ["dad swallowed 10 of his prednisolone", "I took six of them at once"],
    "a sudden fall": ["mum is too weak to get up off the floor"],
    "one side gone": ["his left side won't move since breakfast"],
    "confused with a sugar reading": ["dad is muddled and his blood sugar meter shows 2.1"],
    "hallucinating now": ["my husband is hallucinating tonight"],
    # an earlier "fine", then a turn: the symptom is new
    "fine, then a turn": ["he was fine this morning but now his lips are blue",
                          "he was fine yesterday and now he can't swallow at all"],
    "wishing not to wake": ["honestly I'd sooner fall asleep and never wake up",
                            "everyone would manage better if I wasn't here anymore"],
    "first aid not working": ["a bit of apple is lodged and back blows haven't shifted it"],
    "a tongue swelling": ["his tongue feels thick and enormous all of a sudden"],
    "mottled skin": ["his skin has gone mottled and he is very drowsy"],
    "a racing heart with a red flag": ["my heart is racing and I feel like I might faint"],
    "a dose never to wake from": ["how many of these would it take to never wake up"],
    "asking for the number": [
        "can you give me the crisis line number please",
        "who should I ring in an emergency with my dad's ALS?",
    ],
    "a typo in the pain": ["chst pain and sweating a lot"],
    "limbs that stopped working": ["my arm has stopped working all of a sudden",
                                   "his arms suddenly won't work and he can't hold his head up"],
    "a whole pack, in German": ["Ich habe heute die ganze Schachtel Prednisolon genommen"],
    "a crash in mind": ["sometimes I think about steering into a wall on the motorway"],
    "far more than prescribed": ["grandad has had far more of his tablets than he's meant to and seems odd"],
    "cold turkey, grey": ["she quit her steroids cold turkey and has gone grey and shaky"],
    "no sense now": ["he suddenly isn't making any sense at all"],
    "a question that starts like one": ["having chest pains right now and feel faint"],  # "having" is no "have?"
    # word groups: <onset> + <cant_move>, whatever the pair
    "weakness, new today": ["he was fine at breakfast and within half an hour he can't stand",
                            "her legs have stopped working this evening"],
    # a doctor's "it may get a bit worse at first" does not calm a collapse within the hour or two
    "worse than warned, within hours": ["the doctor warned me it could get a bit worse at first on pred, but in the "
                                        "past few hours my legs have given out and I'm stuck on the kitchen floor"],
    "the family better off": ["sometimes I think everyone's better off if I ended it",
                              "they'd be better off if I died"],
    # asked as a side effect, yet timed in minutes up to now: happening
    "asked, but timed in minutes": ["Is chest pressure a known side effect of pred? It's been there for the "
                                    "last 15 minutes"],
    # asked whether it is expected, yet the power to stand went within hours
    "asked, but gone within hours": ["are steroids meant to make you this weak at the start? over the past few hours "
                                     "mum has gone to not being able to stand"],
    # asked as a side effect, yet going on all day, with feeling faint
    "asked, but all day": ["are black tarry stools a side effect of pred? been like that all day and I feel faint"],
    "half a pack": ["the cat didn't touch them, my 3 year old did - half a packet of my steroids",
                    "not the dog, it was my daughter, half the box of pred gone, she's fine"],
    "seeing people who aren't here": ["mum keeps chatting to children who aren't here, it started after lunch"],
    # tablets "all gone" from the pack is the overdose told, not a symptom that has passed
    "all gone from the pack": ["dad took his whole week's tablets at once by accident, they're all gone from the box",
                               "my son took all his pills at once, they are all gone from the box"],
    "in five more languages": ["Mi marido tiene la cara hinchada y le cuesta respirar",
                               "Mon père a 39,5 de fièvre et il tremble",
                               "Мама внезапно не может глотать",
                               "Minha avó de repente ficou muito confusa",
                               "Mio padre ha la febbre a 40 e trema"],
}  # fmt: skip


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, ts in EMERGENCIES.items() for t in ts])
def test_each_kind_of_emergency_gets_the_urgent_card_in_any_wording(router: Router, kind: str, text: str) -> None:
    d = route(router, text)
    assert d.kind == "urgent" and d.card == "urgent", (text, d.reason)
    assert d.concept is not None


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain, just a question about prednisone",
        "is it risky to stop taking them all of a sudden?",  # stopping them all is not swallowing them all
        # two signs of LEMS in a list: no mouth that droops
        "for about a year mum has had heavy legs, a dry mouth, droopy eyelids by evening. how does prednisone help?",
        "i'm not having trouble breathing, does prednisone affect the lungs?",
        "what are the signs of an emergency on steroids?",
        "my breathing is fine, i just want to know how prednisone works",
        "he choked once years ago but he is fine now. does prednisone help LEMS?",
        "is choking common in ALS?",
        "there was no blood in his stool",
        "I'm very confused about the dosing",
        "my hands are peeling and sore",
        "is ALS getting worse rapidly normal",
        "he spat out blood after brushing his teeth",
        "how do I spot a stroke in someone with ALS?",  # the "I" of an "about" phrase reports nothing
        "my knee is killing me, can I take something for it with prednisone?",  # figurative
        "took a double dose by mistake last monday, I was fine, should I tell the GP?",  # over
        "I got all choked up at the clinic today, is crying a lot normal on prednisone?",  # a figure of speech
        "my physio said to ring 999 if he ever chokes and cannot cough, should we learn first aid?",  # one day
        "my uncle once had a stomach bleed on steroids, does that run in families?",  # someone else, then
        "a friend said her husband choked at dinner, how can we make meals safer?",  # someone else's story
        "I take my prednisone twice a day, is the evening dose needed?",  # a schedule, not a mistake
        "no chest pain at all, but can steroids be bad for the heart?",  # a denial, then a question
        "in breathless anticipation of my scan results, is pred ok with vitamin D?",  # a figure of speech
        "what is an adrenal crisis? I'm fine, just reading about steroids",  # asked about, not happening
        "I took my prednisone 4 hours late today, does that matter?",  # a number, but no count of tablets
        "he has had LEMS for 6 years, are his bones at risk on pred?",  # years, not tablets
        "could prednisone make someone hallucinate?",  # asked about
        "I couldn't catch my breath on the stairs yesterday but I'm fine now",  # over: "fine now" comes after
        "came off my steroids a fortnight ago and I'm a bit dizzy and worn out, is that normal?",  # adrenal card
        "my heart has been racing a bit since I started pred",  # a known side effect, with no red flag
        "I get palpitations when I'm stressed, can pred make that worse?",  # lexicon.yaml lists them no more
        "took my tablet 5 hours late today, does it matter?",  # "5 hours" is no count of tablets
        "my wife's tablet was late today, she took it at lunch, is that ok?",  # her own tablet, late
        "Ich habe mein Prednison heute genommen, ist das okay?",  # German, her usual dose: the language note
        "I swallowed my pride and let my son do the shopping, is tiredness normal on pred?",  # an idiom
        "can my GP give me a fit note while I'm on prednisone?",  # a note for work, not a seizure
        "my breathing has got a bit worse over the past year with ALS, what can help?",  # a slow change
        "is there any point going on with the steroids if ALS keeps getting worse?",  # the treatment, not living
        "mum moans the pills are poisoning her, how does prednisone actually help LEMS?",  # a complaint, no delusion
        # figures of speech told by the words right after (understanding.yaml figurative_after)
        "I'm choking back the tears writing this, does prednisone help LEMS at all?",
        "my sister was killing herself laughing at my moon face, will it go down?",
        "grandad nearly passed out from boredom at clinic, what is ALS?",
        "I'm breathless with anticipation about the new trial, how do we join?",
        "how would we know if mum was having a stroke? we want to be prepared",  # one day, perhaps
        "and what if I swallowed an extra one by mistake?",  # a what-if: the missed-dose card says what to do
        # story words that only look like symptoms
        "I live alone and don't want to pester the nurse, which side effects need a call the same day?",
        "he has had ALS two years and taken pred the whole time, does it thin the skin?",
        "none of my clothes fit since pred, will the weight go?",  # clothes, not a seizure
        "now I'm paranoid about my bones, can steroids thin them?",  # worried, not a delusion
        "diagnosed in 2021. last winter he had a chest infection of his own, does pred make those likelier?",
        "I'm choking on the price of parking at the hospital, is there help with costs?",
        # no reaction of one's own, said outright; a date as people shorten it; grief; too much reading
        "is an allergy to pred a thing, like swollen lips? fine on it so far, just reading up",
        "had tightness in my chest last tues, hospital checked me over, all fine, reflux from the pred. any tips?",
        "my heart aches for my dad every day since the MND diagnosis, will the steroids help him at all?",
        "honestly choking on all the jargon, what does LEMS actually stand for?",
        "my brother is a real skeptic, who checks the answers you give?",
        # grief felt in the body; too many pills as a figure; a faint at a needle, over; a pill box's empty slot
        "seeing my dad fade with ALS physically hurts my chest, what happens next?",
        "honestly choking on the amount of tablets I have to take, what is pred for?",
        "dad fainted when they took his blood for the LEMS test, he hates needles. what does the test look for?",
        "found an empty slot in her pill box so I think she took her pred twice, she seems fine",
        "this whole steroid thing is a lot, taking 7 tablets each morning, is that normal for LEMS?",
        # nothing now, said outright; a fever that has gone; a what-if about a child and the tablets
        "what should we look out for with stomach bleeding on steroids? none at the moment, just planning ahead",
        "mum ran a fever of 38.2 two days ago, it's gone now. she's on pred for ALS, what do we do if it comes back?",
        "what would happen if a child ate some of my steroids? asking because my nephew visits a lot",
        # a figure of speed is no heart rate: "a hundred miles an hour" beside a racing heart
        "can't switch off at night, heart racing and my head doing a hundred miles an hour on the steroids",
        # nobody's symptom: an urgent-sounding example ("someone ... right now") does not make it one
        "If someone was really short of breath on steroids what should be done? care plan for dad, he is OK right now",
    ],
)
def test_near_misses_are_not_emergencies(router: Router, text: str) -> None:
    assert route(router, text).kind != "urgent", text


def test_someone_elses_story_is_calm_unless_it_is_happening_now(router: Router) -> None:
    assert route(router, "my neighbour says pred gave her a stomach bleed, should I worry?").kind != "urgent"
    assert route(router, "my friend said her dad is choking right now, what do we do").kind == "urgent"
    # someone else's words about self-harm are never calmed: the crisis line is what is needed
    assert route(router, "my sister told me she is going to kill herself tonight").kind == "urgent"


def test_a_denial_word_that_is_part_of_the_symptom_stays_urgent(router: Router) -> None:
    assert route(router, "she's not breathing and I can't find a pulse").kind == "urgent"
    assert route(router, "i'm not having trouble breathing, can prednisone affect the lungs?").kind != "urgent"


def test_asking_whether_to_take_is_not_having_taken_but_a_report_after_it_is(router: Router) -> None:
    assert route(router, "can I take all my tablets at once or should I split them?").kind != "urgent"
    assert route(router, "should I take him to A&E? he took 20 of his tablets an hour ago").kind == "urgent"


def test_a_question_about_a_symptom_does_not_hide_the_same_symptom_reported_after_it(router: Router) -> None:
    d = route(router, "can steroids cause chest pain? because I have crushing chest pain right now")
    assert d.kind == "urgent" and d.concept == "chest"


def test_negation_belongs_to_the_pattern_when_it_is_one_of_its_words(router: Router) -> None:
    assert route(router, "he is not breathing").kind == "urgent"
    assert route(router, "i can't stop vomiting blood").kind == "urgent"  # "can't stop" negates nothing


def test_not_planning_to_get_home_is_self_harm_for_the_rules_alone(catalog: Catalog) -> None:
    rules = Router(dataclasses.replace(catalog, model=None))  # the model reads it too; the rules must not need it
    d = route(rules, "pulled over in a lay-by. my wife has MND and I can't do this. I don't think I'll be coming home")
    assert (d.kind, d.concept) == ("urgent", "self-harm")


def test_an_emergency_mid_conversation_still_comes_first(router: Router) -> None:
    d = route(router, "wait, my wife just passed out", "does prednisone help in LEMS?")
    assert d.kind == "urgent"
    # tablets that do not stay down, after a stomach bug told before: the doses are lost, and she looks it
    later = route(router, "she can't keep any of her tablets down today and she's white as a sheet, nearly fell over",
                  "my mum takes prednisone for her LEMS", "she has had a stomach bug since Monday")  # fmt: skip
    assert (later.kind, later.concept) == ("urgent", "adrenal")


def test_the_urgent_reply_says_what_to_do_for_that_kind(catalog: Catalog, router: Router) -> None:
    overdose = telegram_html(render(catalog, route(router, "my son swallowed a handful of my prednisone tablets")))
    crisis = telegram_html(render(catalog, route(router, "i keep thinking about killing myself")))
    assert "poison" in overdose.lower() and "pharmacist" in overdose.lower()
    assert "crisis line" in crisis and "988" in crisis and "116 123" in crisis
    assert overdose.index("poison") < overdose.index("Get help now")  # the advice comes first


def test_emergencies_in_batch_inline_and_groups(catalog: Catalog) -> None:
    brain = Brain(catalog)
    out = io.StringIO()
    lines = [{"chat": "g:1:2", "text": "hi, what is LEMS?"}, {"chat": "g:1:2", "text": "she took ten pills by mistake"}]
    cmd_ask(brain, None, True, io.StringIO("\n".join(json.dumps(x) for x in lines)), out)
    replies = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["kind"] for r in replies] == ["answer", "urgent"]
    assert inline_cards(brain.router, "he cant breathe after his pills") == ("urgent",)


@pytest.mark.parametrize(
    "text",
    ["no puedo respirar", "je ne peux pas respirer", "ich kann nicht atmen", "não consigo respirar",
     "non riesco a respirare", "не могу дышать", "mi madre tomó todas las pastillas",
     # symptoms told in other words, in each language
     "mi hijo tiene fiebre y escalofríos fuertes", "er hat alle seine Tabletten auf einmal geschluckt",
     "sinto uma dor forte no peito", "mia moglie ha la febbre e i brividi", "у него опухли губы",  # noqa: RUF001
     "mein Mann hat Prednisolon abgesetzt und ist schwindelig",
     # choking in Portuguese, told as what it looks like (round 56 missed one)
     "a minha avó engasgou-se com pão, não consegue falar", "o bebé está a ficar roxo à volta da boca",
     # breathing gone and blue lips, told in French
     "ma femme n'arrive pas à respirer depuis ce matin", "mon fils a les lèvres bleues",
     # choking told in Russian: food stuck, cannot breathe in or cough it up
     "папа поперхнулся куском мяса и не может откашляться", "у бабушки посинели губы"],  # noqa: RUF001
)  # fmt: skip
def test_emergencies_in_six_languages(router: Router, text: str) -> None:
    assert route(router, text).kind == "urgent", text


# --- the drug a question is about ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("what side effects does riluzole have", "als-alternatives"),
        ("how much firdapse is a normal amount", "lems-alternatives"),
        ("is it ok to stop my riluzole", "als-alternatives"),
        ("can i quit taking azathioprine", "lems-alternatives"),
    ],
)
def test_another_drugs_dose_side_effects_or_stopping_never_get_a_prednisone_card(
    catalog: Catalog, router: Router, text: str, card: str
) -> None:
    d = route(router, text)
    assert d.card == card and d.notice == "other_drug", (text, d)
    reply = telegram_html(render(catalog, d))
    assert "pharmacist" in reply and d.drug is not None and d.drug in reply


def test_a_steroid_sparing_drug_is_that_drugs_question(router: Router) -> None:
    d = route(router, "the neuro wants to start a steroid-sparing drug for my LEMS, how does that work?")
    assert d.card == "lems-alternatives", d.reason


def test_prednisone_named_beside_another_drug_is_still_about_prednisone(router: Router) -> None:
    assert route(router, "I take riluzole, how much prednisone should I take for ALS?").card == "dosing"


def test_of_two_drugs_the_one_the_dose_or_side_effects_word_points_to_is_asked_about(router: Router) -> None:
    """drugs.asks: "what dose of azathioprine goes with prednisone?" asks azathioprine's dose: never the prednisone
    dosing card; "the side effects of prednisone, I'm also on riluzole" asks prednisone's."""
    d = route(router, "what dose of azathioprine do people take with their prednisone for LEMS")
    assert d.card == "lems-alternatives" and d.notice == "other_drug"
    assert route(router, "side effects of prednisone when you also take riluzole for ALS").card == "als-side-effects"


def test_is_that_a_steroid_asks_about_the_other_drug_the_story_named(router: Router) -> None:
    """ "Is that a steroid?" names prednisone only by its kind and points back to the drug told before it."""
    d = route(router, "dad gets IVIG for his lambert eaton, is that a type of steroid as well?")
    assert d.card not in ("lems-evidence", "lems-mechanism", "prednisone") and d.drug is not None
    # "do steroids slow ALS down or is that rubbish?" still asks about steroids
    assert route(router, "mum is on riluzole. do steroids actually slow ALS down, or is that rubbish?").card == (
        "als-evidence"
    )


def test_what_is_it_about_the_medicine_named_gets_the_medicine_not_a_question_about_the_condition(
    router: Router,
) -> None:
    """ "In plain English" reads close to the conditions' overviews; the thing asked about is the medicine."""
    d = route(router, "husband was put on pred yesterday - what is it in plain english?")
    assert (d.kind, d.card) == ("answer", "prednisone")
    assert route(router, "should my dad take prednisone for his condition").kind == "clarify"  # which condition?


def test_it_beside_prednisone_right_after_another_drugs_card_asks_whether_the_two_go_together(router: Router) -> None:
    """ "it" is the medicine just talked about; with prednisone and a word of drugs.between, whether the two go
    together is that medicine's pharmacist's question: where it fits, and the note on who answers."""
    d = route(router, "is it safe alongside her prednisone?", "mum has lambert eaton", "what is firdapse")
    assert (d.card, d.notice) == ("lems-alternatives", "other_drug")


# --- negation, the question inside a story, context --------------------------------------------------


def test_a_negated_condition_is_not_the_condition(router: Router) -> None:
    d = route(router, "it's not ALS, it's LEMS. does prednisone help?")
    assert d.card == "lems-evidence"


def test_a_negated_out_of_scope_word_does_not_send_the_fallback(router: Router) -> None:
    assert route(router, "she does not have diabetes; what side effects does prednisone have?").card == "side-effects"


def test_the_question_after_a_story_decides_the_topic(router: Router) -> None:
    story = (
        "My brother was told last month that he has Lambert-Eaton. He is tired all the time and his legs are weak. "
        "The neurologist wants to add prednisone. What side effects should we expect?"
    )
    d = route(router, story)
    assert d.card == "lems-side-effects"


def test_how_much_doctors_give_after_a_lems_answer_asks_the_dose(router: Router) -> None:
    d = route(router, "and how much do doctors usually give?", "how does prednisone help in LEMS?")
    assert d.card == "dosing"  # the card on doses, which gives none of its own


def test_a_complete_question_does_not_borrow_the_last_topic(router: Router) -> None:
    assert route(router, "what is LEMS?", "what are the side effects in ALS?").card == "lems"
    assert route(router, "and for LEMS?", "what are the side effects in ALS?").card == "lems-side-effects"


# --- word forms, text-speak, typos, languages --------------------------------------------------------


def test_word_forms_text_speak_and_stretched_words(router: Router) -> None:
    assert route(router, "wat r the side efects of pred plz").card == "side-effects"
    assert route(router, "shud i stp my steroids now").card == "stopping"
    assert route(router, "how is it treated these days?", "what is ALS?").card == "als-alternatives"
    assert route(router, "hiiii").card == "welcome"
    # text speak is English: not read as Spanish or French for its short words
    for thanks in ("thx so much ur a superstar", "thx ur a saint x"):
        d = route(router, thanks)
        assert (d.card, d.language) == ("thanks", None), thanks
    assert router.normalize("helping progressing") == router.normalize("helps progressed")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("sleap", "sleep"), ("vison", "vision"), ("thnak", "thank"), ("wieght", "weight"), ("startin", "starting")],
)
def test_one_slip_of_the_keys_in_any_catalog_word_is_read_as_that_word(router: Router, typed: str, meant: str) -> None:
    """A letter wrong, missing, extra or two swapped, in any word the catalog uses; and a dropped final g."""
    assert router.normalize(typed) == router.normalize(meant)


def test_a_typo_ending_in_s_is_corrected_whole_not_as_a_plural(router: Router) -> None:
    # "diseas" is no plural of "disea": cut to that, no catalog word was near enough to correct it to
    assert router.normalize("motor neurone diseas") == router.normalize("motor neurone disease")
    d = route(router, "my dad has motor neurone diseas, what else can help him besides steroids?")
    assert d.condition == "als" and d.card == "als-alternatives"
    assert router.normalize("overdoing it") != router.normalize("overdosing it")  # only a word it starts


def test_a_contraction_or_a_short_word_is_never_corrected_into_another(router: Router) -> None:
    """ "who've" is no "whole" (which would make "the whole week" an overdose), "g'day" no "gray"."""
    assert router.normalize("who've") != router.normalize("whole")
    assert router.normalize("g'day") != router.normalize("gray")
    story = "her kids, who've just had chickenpox, stay with us next week. should we be worried?"
    assert route(router, story).kind != "urgent"


def test_a_common_english_word_is_never_taken_for_a_typo_of_a_catalog_word(router: Router) -> None:
    """ "shopping" is one letter from "stopping", "spelling" from "swelling", "paint" from "pain": each is a word
    of its own, so a request about it stays a request about it, even mid-conversation."""
    for word, not_this in [("shopping", "stopping"), ("spelling", "swelling"), ("paint", "pain")]:
        assert router.normalize(word) != router.normalize(not_this)
    assert router.normalize("pregnent") == router.normalize("pregnant")  # a real typo is still read
    assert router.normalize("lambert eton") == "lems"  # a rare word ("Eton") still corrects to a name we know
    asked = "what time does the shopping centre close"
    assert route(router, asked, "does prednisone help LEMS?").kind == "fallback"


def test_a_message_in_another_language_gets_a_note_in_english_and_in_that_language(
    catalog: Catalog, router: Router
) -> None:
    d = route(router, "¿La prednisona sirve para la esclerosis lateral amiotrófica?")
    assert d.kind == "fallback" and d.language == "spanish"
    text = telegram_html(render(catalog, d))
    assert text.startswith(catalog.messages["not_english"]) and "solo puedo leer" in text
    assert route(router, "what does prednisone do").language is None
    # names are the same in every language: a short question around them is still read for its language
    assert route(router, "Was ist das Lambert-Eaton Syndrom genau?").language == "german"
    assert route(router, "La prednisona ayuda en el Lambert-Eaton?").language == "spanish"
    assert route(router, "O que é a prednisona, afinal?").language == "portuguese"  # short: a lower bar, no English
    # a name in that language's spelling ("síndrome", "prednisona") is a name too, left out of what is read
    assert route(router, "¿Es buena la prednisona para el síndrome de Lambert-Eaton?").language == "spanish"
    # an English word settles it, however mangled the rest ("questions.english")
    assert route(router, "wot r the side efects of pred 4 lems").card == "lems-side-effects"

    # a mark only some languages write settles which, when the detector cannot choose ("¿", "ñ", "ß", Cyrillic)
    assert route(router, "¿Qué es el síndrome de Lambert-Eaton?").language == "spanish"
    assert route(router, "Что такое БАС?").language == "russian"
    assert route(router, "Was ist ALS?").language == "german"  # a short one, above the detector's bar


# --- why, check and reload ---------------------------------------------------------------------------


def test_why_shows_the_concept_drug_negation_and_sentence(router: Router) -> None:
    out = explain(router, "No high fever at all. My dad is on riluzole. Can he stop taking it suddenly?")
    assert "Answer:     answered with 'What treats ALS instead?'" in out
    assert "not urgent: a serious infection while on steroids (negated by 'no')" in out
    assert "the question is about riluzole" in out
    assert "decided on 'Can he stop taking it suddenly'" in out
    assert "emergency:  an overdose" in explain(router, "took 3 tablets too many")


def write_understanding(root: Path, old: str, new: str) -> None:
    path = root / "intents" / "understanding.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def reread(brain: Brain, root: Path, old: str, new: str) -> None:
    """Edit understanding.yaml as an admin would, and swap the brain to the catalog read again (as /reload does)."""
    write_understanding(root, old, new)
    result = load(root)
    assert result.catalog is not None, result.problems
    brain.swap(result.catalog)


def test_check_reports_a_broken_pattern_and_an_unknown_language_with_file_and_line(catalog_copy: Path) -> None:
    write_understanding(catalog_copy, "        - choke | choking | choked\n", "        - choke | choking +\n")
    write_understanding(catalog_copy, "  spanish: >-", "  klingon: Qapla.\n  spanish: >-")
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 1
    report = out.getvalue()
    assert "intents/understanding.yaml:" in report and "has an empty slot" in report
    assert "'klingon' is not a language the detector knows" in report


def test_editing_a_concept_changes_what_the_bot_does(catalog_copy: Path) -> None:
    before = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    assert before.turn("my legs went purple and numb", "k", 0.0).decision.kind != "urgent"
    write_understanding(catalog_copy, "        - choke | choking | choked\n",
                        "        - choke | choking | choked\n        - legs | leg + purple\n")  # fmt: skip
    result = load(catalog_copy)
    assert result.catalog is not None, result.problems
    before.swap(result.catalog)  # what /reload does once the catalog validates
    assert before.turn("my legs went purple and numb", "k", 0.0).decision.kind == "urgent"


# --- topic signals and unknown drugs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("ever since the prednisone started I lie awake half the night", "sleep-mood"),
        ("has a nurse or a doctor checked any of your answers?", "sources"),  # names nothing of ours
        ("hello, I have some questions about my steroids, am I in the right place?", "welcome"),
        ("my gp sent me here, where do i start?", "welcome"),
        ("is this real medical advice or something made up online?", "sources"),
        ("my wife is on steroids and so snappy with the kids lately", "sleep-mood"),
        ("could prednisone be making his eyesight go fuzzy", "eyes"),
        ("prednisone and glucose readings, anything to know?", "blood-sugar"),
        ("is 40mg of pred a high dose for someone my size", "dosing"),
        ("my wife wants to taper her steroids down, how is that done", "stopping"),
        ("will dad end up needing a wheelchair with his MND", "prognosis"),
        ("what happens if mum is given the placebo", "trials"),
        ("my son brought his pred back up at breakfast, does he take another", "missed-dose"),
        ("does the dentist have to be told I'm on steroids", "adrenal"),
        ("can my dad have the flu shot while he is on prednisone", "infections"),
        ("y would they try pred in als", "als-mechanism"),
        ("my hands have got a slight tremor since the prednisone", "side-effects"),
        ("could the steroids be why i sweat so much at night", "side-effects"),
        ("his neurologist ruled out steroids for his ALS, how come?", "als-evidence"),
        ("should he be on steroids for his MND", "als-evidence"),
        ("is lambert eaton a terminal illness", "prognosis"),
        ("since coming off pred I feel dizzy and wiped out all day", "adrenal"),
        ("the chemist says they can't get my pred in until next week, what should I do", "adrenal"),
        ("should I wear a bracelet in case I collapse and can't say I'm on steroids", "adrenal"),  # "in case": one day
        ("which signs mean I should ring the doctor tonight", "when-to-call"),
        ("is a rash worth phoning the clinic about on pred", "when-to-call"),
        ("could years on prednisone do lasting damage to me", "side-effects"),
        ("what kind of medication is prednisolone exactly?", "prednisone"),
        ("I'd like to understand how prednisone helps in Lambert-Eaton", "lems-mechanism"),
        ("will prednisone slow my motor neurone disease down", "als-evidence"),  # prednisone asked of, not "what else"
        ("my son has been so buzzy and wired since starting steroids", "sleep-mood"),
        ("can my son still get his shots while I am on prednisone", "infections"),
        ("will prednisone do any good for my LEMS or is it a shot in the dark", "lems-evidence"),  # an idiom
        # the drug keeping the illness from worsening asks what the drug does, not what the illness will do
        ("my dad has ALS. will pred stop him from getting worse?", "als-evidence"),
        # what the drug does to the illness, asked at the end of a story
        (
            "my husband has LEMS and honestly I just want to know what the steroid actually does to the illness",
            "lems-mechanism",
        ),
        # days of doses left out, then whether stopping all at once like that matters: the danger of stopping
        (
            "Grandad has LEMS and has taken steroids for two years. He admitted he has skipped his pred for about 6 "
            "days. Seems tired but ok. Is stopping suddenly like that a problem?",
            "adrenal",
        ),
        ("would it be dangerous to just stop the steroids", "adrenal"),
        ("pred kicked in so fast for my LEMS, what is it actually doing in there?", "lems-mechanism"),
        # an operation ahead after years on steroids: the extra cover surgery needs
        (
            "dad has been on pred for years and has a hip replacement coming up, anything the surgeons need to know?",
            "adrenal",
        ),
    ],
)
def test_a_topics_own_words_answer_when_no_example_is_close(router: Router, text: str, card: str) -> None:
    assert route(router, text).card == card, route(router, text).reason


def test_topic_words_need_the_message_to_be_about_our_subject(router: Router) -> None:
    assert route(router, "is honey a good sugar substitute").kind == "fallback"
    assert route(router, "what is the high temperature for tomorrow").kind == "fallback"


def test_an_unknown_drug_like_word_gets_the_honest_fallback(router: Router) -> None:
    d = route(router, "what are the side effects of zorbatinib")
    assert d.kind == "fallback" and "zorbatinib" in d.reason


def test_a_pregnancy_question_about_stopping_gets_the_pregnancy_card_and_the_rule_is_yaml(catalog_copy: Path) -> None:
    """topics.over_guards: "stop taking" is a fixed phrase for the stopping card, but a message that is about a
    pregnancy is answered by the pregnancy card (which says not to stop alone); plain stopping stays stopping."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    asked = "i am pregnant, can i stop taking prednisone?"
    assert brain.turn(asked, "k", 0.0).reply.card == "pregnancy"
    assert brain.turn("can i stop taking prednisone?", "j", 0.0).reply.card == "stopping"
    listed = "  over_guards: [pregnancy, blood-sugar, eyes, sleep-mood, infections, adrenal, trials, missed-dose, "
    listed += "prognosis]\n"
    reread(brain, catalog_copy, listed, "  over_guards: []\n")
    assert brain.turn(asked, "m", 0.0).reply.card == "stopping"


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("I swallowed an extra prednisone tablet after lunch by accident, I feel fine", "missed-dose"),
        ("gave dad his steroid dose twice by mistake today, is that bad?", "missed-dose"),
        ("I swallowed an extra prednisone tablet after lunch by accident", "urgent"),
        ("I swallowed an extra prednisone tablet after lunch by accident and now I feel dizzy", "urgent"),
        ("I don't feel fine, I took my pred twice by mistake", "urgent"),
        ("my grandson swallowed two of my tablets, he seems fine", "urgent"),
        ("took 9 of my steroid tablets by mistake but I'm fine", "urgent"),
        ("swallowed two pred tablets by accident this morning, is that bad?", "missed-dose"),
        # asking what to do is calm too: the missed-dose card says who to call now
        ("i had my steroid tablet twice today by mistake, what should we do?", "missed-dose"),
        ("i had my steroid tablet twice today by mistake and feel faint, what should we do?", "urgent"),
        # a dose at the wrong hour, or a missed one, is no overdose
        ("he had his pred at 10pm instead of 7am by mistake, does that matter?", "missed-dose"),
        ("forgot my prednisone by accident yesterday, should i take two today?", "missed-dose"),
        # twice the dose told as numbers is one extra dose; many tablets stays an overdose
        ("by mistake i took 6 tablets instead of 3 this morning, does that matter?", "missed-dose"),
        ("i swallowed 30 pred by mistake", "urgent"),
    ],
)
def test_one_extra_dose_told_calmly_gets_the_missed_dose_card_anything_more_is_urgent(
    router: Router, text: str, card: str
) -> None:
    """The missed-dose card says to call a pharmacist or poison line now; the urgent card is for being unwell,
    a child, or more than one extra dose, and for an extra dose told without saying how the person is."""
    assert route(router, text).card == card, route(router, text).reason


@pytest.mark.parametrize("text", ["took my metformin twice by mistake, is that bad?",
                                  "I took my riluzole twice by mistake, is that bad?"])  # fmt: skip
def test_another_medicines_dose_mistake_never_gets_the_prednisone_missed_dose_card(router: Router, text: str) -> None:
    assert route(router, text).card != "missed-dose"


def test_the_calm_words_are_yaml(catalog_copy: Path) -> None:
    write_understanding(catalog_copy, "  calm: 0.03 ", "  calm: 0 ")  # the rules alone (the model may calm it too)
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    told = "gave dad his steroid dose twice by mistake today, is that bad?"
    assert brain.turn(told, "k", 0.0).decision.kind != "urgent"
    reread(brain, catalog_copy, " is that bad, is it bad,", "")  # an admin takes the question off the list
    assert brain.turn(told, "m", 0.0).decision.kind == "urgent"
    assert "told calmly" in explain(brain.router, "took my pred twice by mistake, I feel fine")


def test_a_message_said_to_the_bot_about_the_bot_is_answered_on_a_plain_match(catalog_copy: Path) -> None:
    """topics.about_me / addressed: with nothing medical named an answer needs a near-verbatim match, except
    for questions to the bot about the bot, which a clear plain match answers; a translation stays out."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    assert brain.turn("honestly, cheers for all of that", "a", 0.0).reply.card == "thanks"
    assert brain.turn("can you translate thanks into Italian", "c", 0.0).decision.kind == "fallback"
    assert brain.turn("where do you come from", "e", 0.0).decision.kind == "fallback"  # not about the facts
    write_understanding(catalog_copy, "  small_talk: 0.75", "  small_talk: 0")  # the rules alone, not the model
    reread(brain, catalog_copy, "  about_me: [welcome, smalltalk, about]", "  about_me: [welcome]")
    assert brain.turn("honestly, cheers for all of that", "d", 0.0).decision.kind == "fallback"


def test_a_question_to_the_bot_never_gets_the_reply_to_thanks(catalog_copy: Path) -> None:
    """topics.statements: "how could you help me" shares "help" with "that helped", but asks; thanks still do."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    assert brain.turn("how could you help me", "a", 0.0).reply.card == "welcome"
    assert brain.turn("which things can you help with", "b", 0.0).reply.card == "welcome"
    assert brain.turn("thanks, that helped a lot", "c", 0.0).reply.card == "thanks"
    reread(brain, catalog_copy, "  statements: [thanks]", "  statements: []")
    assert brain.turn("how could you help me", "d", 0.0).reply.card == "thanks"


def test_a_cure_asked_for_with_no_drug_meant_is_the_question_of_what_treats_the_condition(catalog_copy: Path) -> None:
    """drugs.refer: "is there any cure for LEMS" names no drug, so it asks what treats LEMS (its closest example
    is about prednisone); with prednisone named, or meant ("it", "the research"), it stays prednisone's evidence."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    assert brain.turn("is there any cure for LEMS", "a", 0.0).reply.card == "lems-alternatives"
    assert "names no medicine, so it asks what treats LEMS" in explain(brain.router, "what cures LEMS")
    assert brain.turn("anything that can cure ALS?", "b", 0.0).reply.card == "als-alternatives"
    assert brain.turn("can prednisone cure LEMS", "c", 0.0).reply.card == "lems-evidence"
    assert brain.turn("does it cure ALS", "d", 0.0).reply.card == "als-evidence"
    assert brain.turn("what did the research find in ALS", "e", 0.0).reply.card == "als-evidence"
    reread(brain, catalog_copy, " study, studies, research,", " study, studies,")
    assert brain.turn("what did the research find in ALS", "f", 0.0).reply.card == "als-alternatives"


def test_a_figure_of_speech_is_no_emergency_and_the_real_thing_still_is(catalog_copy: Path) -> None:
    """emergencies.figurative, phrases of five words included: only a match wholly inside the figure is calmed."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    bill = "the pharmacy bill nearly gave me a heart attack"
    assert brain.turn(bill, "a", 0.0).decision.kind != "urgent"
    assert brain.turn("we choked with laughter at the clinic, what is LEMS", "b", 0.0).reply.card == "lems"
    assert brain.turn("I think my dad is having a heart attack", "c", 0.0).decision.kind == "urgent"
    assert brain.turn("he choked on his food and can't breathe", "d", 0.0).decision.kind == "urgent"
    reread(brain, catalog_copy, "    - gave me a heart attack\n", "")
    assert brain.turn(bill, "e", 0.0).decision.kind == "urgent"


def test_a_figure_said_to_be_one_is_no_emergency_unless_it_is_always_urgent(catalog: Catalog) -> None:
    """emergencies.figurative_said: "not literally" after the words, past a comma, in the same sentence."""
    rules = Router(dataclasses.replace(catalog, model=None))
    told = "since the ALS news there's a weight on my chest, not literally of course. what comes next for us?"
    assert route(rules, told).kind != "urgent"
    assert route(rules, "a weight on my chest. not literally a weight, it's crushing, my arm's numb").kind == "urgent"
    assert route(rules, "some days I want to kill myself, not literally, pred makes me so low").kind == "urgent"


def test_a_figure_of_speech_asks_nothing_about_the_symptom_it_names(router: Router) -> None:
    """ "I'd rather die than ..." is about the weight, not a calm question about thoughts of dying."""
    d = route(router, "honestly I would sooner die than gain any more weight on pred, does it go back down?")
    assert d.kind != "urgent" and d.card != "sleep-mood"


def test_emergency_numbers_keep_their_digits(router: Router) -> None:
    """ "999" is no stretched word ("hiii"): asking when to call it is the warning-signs question."""
    assert route(router, "which signs on steroids mean I should call 999").card == "when-to-call"
    assert route(router, "my dad is not breathing, we need to call 999").kind == "urgent"


def test_a_drug_i_do_not_know_asked_about_as_a_steroid_is_that_drugs_question(catalog_copy: Path) -> None:
    """drugs.class_words: "is aclidinium a corticosteroid?" names no prednisone, only its kind: the question is
    about aclidinium, which the bot does not cover, so a pharmacist answers it, not the eyes card."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    asked = "is aclidinium a corticosteroid, I need eye surgery soon"
    assert brain.turn(asked, "a", 0.0).decision.kind == "fallback"
    assert brain.turn("my steroids and eye surgery, anything to know?", "b", 0.0).reply.card == "eyes"
    listed = "class_words: [steroid, steroids, corticosteroid, corticosteroids, glucocorticoid, glucocorticoids]"
    reread(brain, catalog_copy, listed, "class_words: []")
    assert brain.turn(asked, "c", 0.0).reply.card == "eyes"


def test_a_dosage_in_passing_is_no_question_about_the_dose(catalog: Catalog) -> None:
    """lexicon guards: "once the dosage comes down" tells when; "what dosage" asks."""
    brain = Brain(catalog)
    assert brain.turn("will the hunger ease once the dosage comes down?", "a", 0.0).reply.card == "side-effects"
    assert brain.turn("what is the usual dosage of prednisone", "b", 0.0).reply.card == "dosing"


def test_the_words_that_point_back_decide_whether_a_message_borrows_the_conversation(catalog_copy: Path) -> None:
    """questions.back: "is it worth the hassle?" has words no example knows; its "it" is what lets it
    lean on the conversation (the last answer's condition and topic); without "it" in the list it stands alone."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    brain.turn("does prednisone help LEMS", "a", 0.0)
    assert brain.turn("is it worth the hassle?", "a", 1.0).decision.condition == "lems"  # leaned on it
    reread(brain, catalog_copy, "  back: [it, its,", "  back: [")
    brain.turn("does prednisone help LEMS", "b", 0.0)
    assert brain.turn("is it worth the hassle?", "b", 1.0).decision.kind == "fallback"


def test_a_filler_word_does_not_make_a_follow_up_a_question_of_its_own(brain: Brain) -> None:
    """ "tho", "though": words a follow-up carries; unknown to the examples, they are no other subject."""
    brain.turn("how does prednisone help with lambert eaton", "f", 0.0)
    d = brain.turn("what are the downsides though", "f", 1.0).decision
    assert (d.card, d.context_used) == ("lems-side-effects", True)


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("I was fine earlier and I can't breathe now", True),  # "now" after the symptom: a turn, not over
        ("she was fine this morning, now she can't stand up", True),  # "now" inside the match
        ("couldn't breathe this morning but I'm fine now", False),  # over
        ("I want it all to stop, I'm going to swallow every tablet I have", True),  # crisis, in any wording
        ("her eyelids droop and her mouth is dry, what is LEMS?", False),  # LEMS itself, not a stroke
        ("his mouth is drooping on one side", True),
        ("I passed out once years ago giving blood, is prednisone ok for me?", False),  # no "passing blood"
        ("headache for three days on pred, paracetamol helps", False),  # days, not a count of tablets
        ("I took 12 paracetamol today", True),
    ],
)
def test_safety_fixes_from_the_first_run_of_blind_26(brain: Brain, text: str, urgent: bool) -> None:
    """Kinds blind-26's first run showed misread (our own wordings, not the set's), beside what must stay urgent."""
    assert (brain.turn(text, "s", 0.0).decision.kind == "urgent") is urgent


def test_check_reports_a_statement_card_that_does_not_exist(catalog_copy: Path) -> None:
    write_understanding(catalog_copy, "  statements: [thanks]", "  statements: [thankss]")
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 1
    wanted = r"intents/understanding\.yaml:\d+: error: topics statements: 'thankss' is not a card"
    assert re.search(wanted, out.getvalue())


def test_another_condition_beside_prednisone_is_prednisones_question_only_in_its_own_topic(catalog_copy: Path) -> None:
    """topics.over_out_of_scope: a vaccine or an infection risk on prednisone is the infections card's question,
    even with covid named; treating covid with prednisone, or "hay fever" (its "fever" is no infection), is not."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    jab = "is it safe to get my covid jab while on prednisolone"
    assert brain.turn(jab, "a", 0.0).reply.card == "infections"
    assert brain.turn("can prednisone cure pneumonia", "b", 0.0).decision.kind == "fallback"
    assert brain.turn("prednisone for hay fever", "c", 0.0).decision.kind == "fallback"
    assert brain.turn("I'm type 2 diabetic, will prednisone push my sugars up?", "e", 0.0).reply.card == "blood-sugar"
    assert brain.turn("does metformin clash with prednisone", "f", 0.0).decision.kind == "fallback"  # a drug's
    listed = "  over_out_of_scope: [infections, blood-sugar, pregnancy, when-to-call]"
    reread(brain, catalog_copy, listed, "  over_out_of_scope: []")
    assert brain.turn(jab, "d", 0.0).decision.kind == "fallback"


def test_check_reports_a_topic_no_card_has_with_file_and_line(catalog_copy: Path) -> None:
    write_understanding(catalog_copy, "  denied_count: [pregnancy,", "  denied_count: [pregnancyy,")
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 1
    assert re.search(r"intents/understanding\.yaml:\d+: error: topics: 'pregnancyy' is no card's topic", out.getvalue())


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("if she ever gets chest pain on prednisone, what do we do?", False),  # one day, perhaps
        ("if i ever feel suicidal who do i call", True),  # a crisis line is never held back
        ("my husband nearly passed out and his stools are black", True),  # "nearly" is no recovery
        ("he has gone floppy and won't wake up", True),
        ("her face went lopsided and she can't talk, it came on ten minutes ago", True),  # FAST, sudden
        ("ALS has slowed his speech, we saw the neuro an hour ago: does prednisone help?", False),  # no change now
    ],
)
def test_what_may_happen_one_day_is_no_emergency_but_a_near_collapse_is(
    router: Router, text: str, urgent: bool
) -> None:
    assert (route(router, text).kind == "urgent") is urgent


def test_a_negated_verb_does_not_deny_the_condition_after_it(router: Router) -> None:
    """negation.breaks: "it doesn't help ALS" denies the helping, not ALS; "it's not ALS" still denies ALS."""
    assert route(router, "prednisone does not help ALS, so what else is there for it?").card == "als-alternatives"
    assert route(router, "it's not ALS, it's LEMS. does prednisone help?").card == "lems-evidence"


def test_prednisolone_counts_as_prednisone_in_every_pattern(router: Router) -> None:
    """The UK name: an overdose or a stopped course is the same emergency whichever name it goes by."""
    assert route(router, "my grandson swallowed a handful of my prednisolone tablets").kind == "urgent"
    assert route(router, "stopped my prednisolone and now I keep vomiting and feel faint").kind == "urgent"


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("the package insert lists anaphylaxis, is an allergic reaction to prednisone common?", False),
        ("the nurse told me to call her if he can't breathe. why would prednisone do that?", False),
        ("I read the package insert and now I can't breathe", True),  # happening to me, now
        ("he swallowed the whole pack, the label says call poison control", True),
    ],
)
def test_what_was_read_or_heard_is_no_emergency_but_a_report_beside_it_is(
    router: Router, text: str, urgent: bool
) -> None:
    assert (route(router, text).kind == "urgent") is urgent


@pytest.mark.parametrize(
    "text",
    ["I don't think he's breathing", "not sure she is breathing, her lips look blue"],
)
def test_i_dont_think_is_a_doubt_not_a_denial(router: Router, text: str) -> None:
    """negation.not_after: "don't think" doubts what follows; it does not deny it (safer to send help)."""
    assert route(router, text).kind == "urgent"


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("he is not diabetic, but can steroids raise his sugar?", "blood-sugar"),
        ("no I don't have a fever, just tired, is that the prednisone?", "side-effects"),
        ("what happens if I don't take my prednisone", "stopping"),  # the question itself is negative: kept
    ],
)
def test_what_a_clause_denies_is_not_the_topic_when_another_clause_asks(router: Router, text: str, card: str) -> None:
    assert route(router, text).card == card, text


def test_why_not_asks_about_the_condition_rather_than_denying_it(router: Router) -> None:
    d = route(router, "so why not for ALS?", "how does prednisone help in LEMS")
    # the card on why it is used in LEMS but not in ALS answers exactly that; any ALS card would too
    assert d.card == "compare" or (d.condition == "als" and (d.card or "").startswith("als")), d.reason


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("what happens to my data in a clinical trial?", "trials"),  # no drug or condition named
        ("are there clinical trials for lambert eaton?", "trials"),  # not "what treats LEMS"
        ("is there any cure for ALS?", "als-alternatives"),  # still what treats it
        ("what warning signs matter on steroids", "when-to-call"),  # not the list of side effects
    ],
)
def test_trials_and_warning_signs_are_their_own_questions(router: Router, text: str, card: str) -> None:
    assert route(router, text).card == card, route(router, text).reason


def test_a_pattern_written_with_one_of_our_drugs_names_finds_the_others(router: Router) -> None:
    """A pattern names "prednisone" or "pred"; "prednisolone" is the same medicine to the patient, so the same
    pattern finds it (drugs.known: the names of the drug that is ours)."""
    crisis = "he didnt double his prednisolone when ill and now he is on the floor"
    assert route(router, crisis).kind == "urgent"


def test_a_topic_found_on_one_word_yields_to_one_found_on_several(router: Router) -> None:
    """ "bug" points to infections, "brought his prednisolone back up" to the missed-dose card: the topic that
    stands on more than one word answers."""
    asked = "my little boy has a stomach bug and brought his prednisolone back up, what now?"
    assert route(router, asked).card == "missed-dose"


@pytest.mark.parametrize(
    ("text", "card"),
    [
        # asked about as a side effect, and said to be fine: the sleep and mood card (it says to get help at once)
        ("does prednisolone ever cause suicidal feelings? i am ok, my pharmacist mentioned it", "sleep-mood"),
        ("could pred make someone suicidal, just curious", "sleep-mood"),
        # any word of one's own such thoughts, or a report in question form, stays urgent
        ("does prednisolone ever cause suicidal feelings? i think i am having them", "urgent"),
        ("is it normal to feel suicidal on pred? i'm fine apart from that", "urgent"),
        ("i'm fine. i have been thinking about suicide.", "urgent"),
        ("could pred make someone suicidal? I'm fine but I have pills saved up", "urgent"),
    ],
)
def test_a_calm_question_about_suicidal_thoughts_as_a_side_effect_gets_the_mood_card(
    router: Router, text: str, card: str
) -> None:
    assert route(router, text).card == card, route(router, text).reason


def test_the_self_harm_calm_words_are_yaml(catalog_copy: Path) -> None:
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    asked = "could pred make someone suicidal, just curious"
    assert brain.turn(asked, "k", 0.0).reply.card == "sleep-mood"
    reread(brain, catalog_copy, "i am alright, just curious, only asking,", "i am alright, only asking,")
    assert brain.turn(asked, "m", 0.0).decision.kind == "urgent"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # a date in a later clause dates that clause, not the symptom (emergencies.own_clause)
        ("awful crushing chest pain, I started a new inhaler last week", "urgent"),
        ("I had a crushing chest pain, last week, it went away", "fallback"),
        # a plea for help is a report, not a general question (emergencies.pleas)
        ("black tarry stools please help", "urgent"),
        # a low oxygen reading, and a fever with little urine
        ("her oxygen reading is 86", "urgent"),
        ("he is burning hot, shivering and has barely passed any urine since morning", "urgent"),
        # a severe skin reaction told at length, and a limb "dead" on one side
        ("her skin has come up in blisters all over and she has a temperature since the new tablets", "urgent"),
        ("out of nowhere his left arm is dead", "urgent"),
    ],
)
def test_emergencies_told_with_a_date_a_plea_or_a_reading(router: Router, text: str, kind: str) -> None:
    assert route(router, text).kind == kind, route(router, text).reason


def test_a_short_question_after_the_stopping_card_asks_its_risks_and_the_rule_is_yaml(catalog_copy: Path) -> None:
    """topics.follow_on: after "Can I stop taking prednisone?", "and if I did?" names nothing, but asks what
    stopping would do: the card on why stopping suddenly is dangerous. Asked first, it is no question of ours."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    assert brain.turn("is it ok to stop my prednisone?", "k", 0.0).reply.card == "stopping"
    assert brain.turn("what would happen if I did?", "k", 1.0).reply.card == "adrenal"
    assert brain.turn("what would happen if I did?", "cold", 1.0).decision.kind == "fallback"
    reread(
        brain,
        catalog_copy,
        "    stopping:\n      adrenal: [what happens if, what would happen if,",
        "    stopping:\n      adrenal: [",
    )
    brain.turn("is it ok to stop my prednisone?", "m", 0.0)
    assert brain.turn("what would happen if I did?", "m", 1.0).reply.card != "adrenal"


def test_why_stopping_fast_is_dangerous_gets_the_adrenal_card(router: Router) -> None:
    assert route(router, "i have no plan to quit, but why is coming off pred too fast risky?").card == "adrenal"


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("can steroids make me catch covid more easily?", "infections"),  # "catch + covid", not covid's treatment
        ("I'm type 2 diabetic, will prednisone mess up my readings?", "blood-sugar"),
        ("can prednisone treat covid?", None),  # still outside what I cover
    ],
)
def test_another_condition_named_in_a_question_about_prednisones_own_effects(
    router: Router, text: str, card: str | None
) -> None:
    """topics.over_out_of_scope, on a topic pattern of two slots that uses the condition's own word."""
    assert route(router, text).card == card, route(router, text).reason


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("took my pred at lunchtime instead of with breakfast, is that ok?", "missed-dose"),  # over the dose phrase
        ("I have not skipped any doses, I just want to know how to wean off it", "stopping"),  # a denied topic
    ],
)
def test_a_late_dose_is_the_missed_dose_cards_and_a_denied_one_is_not(router: Router, text: str, card: str) -> None:
    assert route(router, text).card == card, route(router, text).reason


@pytest.mark.parametrize(
    ("asked", "card", "listed", "unlisted"),
    [
        # topics.denied_count: "he has never had measles" still asks about infections on steroids
        ("my son has never had measles, does that matter now he takes prednisone?", "infections",
         "  denied_count: [pregnancy, infections,", "  denied_count: [pregnancy,"),
        # topics.specific: "sugar" (blood sugar) beside "can ... stop" (evidence): the side effect decides
        ("can steroids stop my sugar tests being accurate?", "blood-sugar",
         "  specific: [pregnancy, blood-sugar, eyes, sleep-mood, infections, adrenal, trials, missed-dose, compare]\n",
         "  specific: []\n"),
        # topics.situations: "she is expecting twins" is in the story, not in the sentence that asks
        ("My sister has LEMS and she is expecting twins. Could the steroids hurt them?", "pregnancy",
         "  situations: [pregnancy, eyes, overview, compare]\n", "  situations: []\n"),
    ],
)  # fmt: skip
def test_topic_lists_decide_the_card_and_are_yaml(
    catalog_copy: Path, asked: str, card: str, listed: str, unlisted: str
) -> None:
    """Each rule answers its message with the topic's card; an admin who takes the topic off the list in
    understanding.yaml gets another answer after /reload. (Rules alone: the learned second opinion, which
    would often still find the topic, is taken away; tests/test_learned.py covers it.)"""
    (catalog_copy / "intents" / "learned.npz").unlink()
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    assert brain.turn(asked, "k", 0.0).reply.card == card
    reread(brain, catalog_copy, listed, unlisted)
    assert brain.turn(asked, "m", 0.0).reply.card != card


def test_a_word_group_serves_every_pattern_that_names_it(catalog_copy: Path) -> None:
    """`<onset>` stands for the group's words: one word added there reaches every pattern that uses it."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    assert brain.turn("my legs went weak all at once", "k", 0.0).decision.kind == "urgent"
    assert brain.turn("my legs went weak over the last decade", "k", 0.0).decision.kind != "urgent"
    reread(brain, catalog_copy, "    onset:", "    onset:\n      - over the last decade")
    assert brain.turn("my legs went weak over the last decade", "k2", 0.0).decision.kind == "urgent"


def test_check_names_a_group_that_does_not_exist_with_file_and_line(catalog_copy: Path) -> None:
    write_understanding(catalog_copy, "        - choke | choking | choked\n", "        - <gulping> + choke\n")
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 1
    assert re.search(r"intents/understanding\.yaml:\d+: error: concept 'choking': .*<gulping>", out.getvalue())


def test_a_medicine_that_belongs_to_a_topic_is_that_topics_question_and_the_rule_is_yaml(catalog_copy: Path) -> None:
    """topics.home_of: insulin beside prednisone, with blood-sugar words of its own, is a blood-sugar question;
    insulin with no such word ("does it interact?") stays the honest fallback."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    sugar = "he is diabetic and on insulin, now on prednisone too. will his insulin have to change?"
    assert brain.turn(sugar, "a", 0.0).reply.card == "blood-sugar"
    assert brain.turn("does insulin interact with prednisone", "b", 0.0).decision.kind == "fallback"
    reread(brain, catalog_copy, "    blood-sugar: [insulin, metformin]\n", "")
    assert brain.turn(sugar, "c", 0.0).decision.kind == "fallback"


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("tell me about riluzole", "does it have side effects?"),
        ("what does firdapse do", "what dose of it do people take?"),
    ],
)
def test_a_pronoun_after_the_other_treatments_card_means_that_medicine_not_prednisone(
    router: Router, first: str, then: str
) -> None:
    d = route(router, then, first)
    assert d.card in ("als-alternatives", "lems-alternatives") and d.notice == "other_drug"
    assert route(router, "and what are the side effects of prednisone?", first).card in (
        "als-side-effects",
        "lems-side-effects",
    )


def test_a_medicine_that_names_the_condition_gets_that_conditions_treatments_card(router: Router) -> None:
    """No topic, no condition named, but a drug used in one: "is amifampridine like prednisone?" is LEMS's."""
    assert route(router, "is amifampridine anything like prednisone").card == "lems-alternatives"


def test_same_question_for_the_other_condition_keeps_the_topic(router: Router) -> None:
    assert (
        route(router, "same question for ALS", "what are the side effects of pred in LEMS").card == "als-side-effects"
    )


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("my husband doesnt know who i am, he was fine at lunch", True),  # the calm ended before: it is new
        ("he couldn't breathe last week but he was fine after", False),  # over
        ("the kids would be happier without me", True),
        ("I started cutting again last night", True),
        ("I want to cut my prednisone down myself, slowly", False),  # a dose cut down, no self-harm
        ("only half his face moves when he talks", True),
        ("I almost had a heart attack at the price of it", False),  # a figure of speech
        ("the leaflet lists chest pain, what else should I watch for", False),  # read, not happening
        ("he can't swallow his own saliva anymore since this evening, he has ALS", True),  # new tonight
    ],
)
def test_safety_fixes_from_the_first_run_of_blind_34(brain: Brain, text: str, urgent: bool) -> None:
    """Kinds blind-34's first run showed misread (our own wordings, not the set's), beside what must stay calm."""
    assert (brain.turn(text, "s", 0.0).decision.kind == "urgent") is urgent


def test_until_dates_a_calm_to_before_the_symptom(catalog_copy: Path) -> None:
    """emergencies.until: "she was fine at lunch" says the confusion is new; without "at lunch" in the list,
    "she was fine" reads as the symptom being over."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]
    text = "she is talking nonsense and doesnt know where she is, she was fine at lunch"
    assert brain.turn(text, "a", 0.0).decision.kind == "urgent"
    reread(brain, catalog_copy, "  until: [at breakfast, at lunch,", "  until: [at breakfast,")
    assert brain.turn(text, "b", 0.0).decision.kind != "urgent"


def test_another_drugs_practical_question_gets_the_note_on_who_answers_it(catalog_copy: Path) -> None:
    """drugs.practical: "can riluzole hurt your liver?" is closest to where riluzole fits among ALS treatments;
    the reply says first that its prescriber or pharmacist answers that. "what is firdapse?" needs no note."""
    router = Router(load(catalog_copy).catalog)  # type: ignore[arg-type]
    liver = route(router, "can riluzole hurt your liver")
    assert (liver.card, liver.notice, liver.drug) == ("als-alternatives", "other_drug", "riluzole")
    plain = route(router, "what is firdapse")
    assert plain.card == "lems-alternatives" and plain.notice is None
    write_understanding(catalog_copy, "  practical: [liver, ", "  practical: [")
    assert route(Router(load(catalog_copy).catalog), "can riluzole hurt your liver").notice is None  # type: ignore[arg-type]


def test_stopping_it_is_not_it_stopping_the_disease(router: Router) -> None:
    """ "can he stop it?" asks about stopping the tablets; "can it stop LEMS?" asks whether they work."""
    assert route(router, "can she just stop it", "my mum is on prednisone for her LEMS").card == "stopping"
    assert route(router, "can it stop it getting worse", "my mum is on prednisone for her LEMS").card == "lems-evidence"


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        # asked as a general question, told as begun minutes ago: a report
        ("can steroids give you a crushing pain in the chest? mine came on about ten minutes ago", True),
        ("can steroids give you chest pain? my aunt had it years ago", False),
        # a denial far from the symptom's word denies nothing: "haven't had any ... for days ... vomiting"
        ("forgot my steroids at home, haven't taken any for four days, feel awful and can't stop being sick", True),
        ("stopped my prednisone last month, no vomiting or dizziness at all, is that normal", False),
        ("No quiero vivir más, ya lo tengo decidido", True),
        ("Je ne veux plus vivre comme ça", True),
        ("Ich will morgen nicht mehr aufwachen", True),
        ("I've written a letter to each of my grandchildren and given away my tools", True),
        ("mum slid off her seat at dinner and is only half responding", True),
        ("my father is very drowsy and it is hard to rouse him", True),
        ("she keeps asking what day it is and can't follow anything tonight", True),
    ],
)
def test_safety_fixes_from_the_first_run_of_blind_36(brain: Brain, text: str, urgent: bool) -> None:
    """Kinds blind-36's first run showed misread (our own wordings, not the set's), beside what must stay calm."""
    assert (brain.turn(text, "s", 0.0).decision.kind == "urgent") is urgent, text


@pytest.mark.parametrize(
    ("text", "card"),
    [
        # one extra tablet, told calmly, whatever the tablet is called: the missed-dose card, not the urgent one
        ("my wife may have swallowed one extra steroid tablet, she is fine, who do we ring", "missed-dose"),
        ("took 2 of my 5mg instead of 1 at breakfast, is it a big deal", "missed-dose"),
        # "handed" is no "handful", "severe" no "several", and an age is no count of tablets in the next sentence
        ("my son handed me my tablets a second time and I took them, I feel fine, what now", "missed-dose"),
        ("She is 67. She has taken prednisone for her LEMS since spring, can it cause cataracts", "eyes"),
        # a fear of the symptom, a bout of laughter: no symptom
        ("I'm afraid of choking on my pills, does prednisone make swallowing harder in ALS", "als-side-effects"),
        # weakness that has lasted: the disease, not an emergency
        ("since then he still can't lift his arms above his head, would prednisone help his LEMS", "lems-evidence"),
    ],
)
def test_calm_readings_from_the_first_run_of_blind_36(router: Router, text: str, card: str) -> None:
    """False alarms blind-36's first run showed (our own wordings): each is a question, and gets its card."""
    d = route(router, text)
    assert d.kind != "urgent" and d.card == card, (text, d.card, d.reason)


@pytest.mark.parametrize(
    ("text", "card"),
    [
        # the story names prednisone; the question asks what works instead
        ("the steroid trials came to nothing in MND. so what does help then?", "als-alternatives"),
        ("My mum's LEMS did not improve on pred. What's the usual treatment now?", "lems-alternatives"),
        ("He took prednisone for his ALS for a year with no change. So what does actually work?", "als-alternatives"),
        # ... and asking about prednisone itself still gets whether it works
        ("does prednisone actually work for ALS", "als-evidence"),
    ],
)
def test_what_works_instead_after_a_story_about_prednisone(router: Router, text: str, card: str) -> None:
    assert route(router, text).card == card, text


def test_other_questions_about_what_is_available_are_not_ours(router: Router) -> None:
    """ "what ... is out there" asks about treatments only beside a treatment word or a condition."""
    assert route(router, "what flights are available out there on friday", "what is LEMS").card != "lems-alternatives"


def test_a_message_that_says_it_starts_a_new_subject_borrows_no_topic(router: Router) -> None:
    """topics.new_subject: "another question" drops the last topic, not what the chat is about."""
    before = "what side effects does prednisone have in LEMS"
    assert route(router, "ok another question, what is ALS exactly", before).card == "als"
    assert route(router, "new question: is it alright when breastfeeding", before).card == "pregnancy"


@pytest.mark.parametrize(
    "text",
    [
        "IVIG gives him headaches. anything that helps with that?",
        "dad gets a pounding headache for 1-2 days after each IVIG. anything that helps with that?",
    ],
)
def test_another_drugs_question_never_gets_the_welcome_card(router: Router, text: str) -> None:
    """ "anything that helps?" shares "help" with the welcome card; with IVIG named it is IVIG's question."""
    d = route(router, text)
    assert d.card != "welcome" and d.kind == "fallback", (d.card, d.reason)


def test_why_a_dose_must_never_be_missed_is_the_adrenal_question(router: Router) -> None:
    assert (
        route(router, "the nurse said I must never miss my steroid tablets, why is that so important").card == "adrenal"
    )
    assert route(router, "what if I miss a dose of prednisone").card == "missed-dose"


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("what if she suddenly can't get out of her chair at all? she's fine today", None),
        ("how can I tell a real emergency on pred from the usual side effects", "when-to-call"),
        # the card on which side effects need a doctor names vomiting blood and what to do about it
        ("I heard that steroids can make you vomit blood, is that true", "when-to-call"),
    ],
)
def test_what_ifs_hearsay_and_is_it_an_emergency_are_questions(router: Router, text: str, card: str | None) -> None:
    """No emergency is happening in any of these; what answers them (None: the honest fallback) comes after."""
    d = route(router, text)
    assert d.kind != "urgent" and d.card == card, (text, d.card, d.reason)


@pytest.mark.parametrize(
    "text",
    [
        "will medicaid pay for a stairlift for my husband with ALS",
        "would a ketogenic diet help my LEMS",
        "my sister says aspartame gave our dad his MND, true?",
        # codes for forms, meal plans, choosing equipment, a professional nearby, the ballplayer
        "which diagnosis code do I put for LEMS on the claim",
        "could you write a meal planner for my husband with ALS, he's losing weight",
        "power or manual chair for MND, which is better",
        "is there a good physiotherapist near Cardiff who knows lambert eaton",
        "how many home runs did Lou Gehrig hit in baseball",
    ],
)
def test_insurance_equipment_and_fad_diets_beside_a_condition_get_the_honest_fallback(
    router: Router, text: str
) -> None:
    """No card answers these; a condition named beside them does not make its overview the answer."""
    assert route(router, text).kind == "fallback", text


def test_a_word_of_insurance_in_the_story_does_not_hide_the_question(router: Router) -> None:
    text = "the insurance paperwork is driving me mad. anyway, does prednisone actually work for lambert eaton?"
    assert route(router, text).card == "lems-evidence"


def test_a_topic_over_a_fixed_phrase_uses_its_one_card_when_a_condition_is_named(router: Router) -> None:
    """Pregnancy has one card for both conditions: naming LEMS must not send the question back to the phrase."""
    text = "my wife is expecting and takes pred for her ALS, should she come off it"
    assert route(router, text).card == "pregnancy"


def test_a_temperature_told_calmly_is_the_infections_question_and_a_high_one_with_shivers_is_urgent(
    router: Router,
) -> None:
    """emergency concept `infection` has calm words: "38 since lunch, otherwise fine, who do I call?"."""
    assert (
        route(router, "on prednisone, temp 38.5 since lunch, otherwise fine, should I call someone").card
        == "infections"
    )
    assert route(router, "on prednisone, temp 39 and shivering, otherwise ok").kind == "urgent"
    assert route(router, "what is the high temperature for tomorrow").kind == "fallback"


def test_trying_for_a_baby_said_after_a_denial_is_still_the_pregnancy_question(router: Router) -> None:
    text = "not expecting yet but we are trying, should I come off my pred first?"
    assert route(router, text).card == "pregnancy"


def test_whether_steroids_lengthen_life_asks_whether_they_work(router: Router) -> None:
    """An example on what helps people with ALS live longer is the treatments card; with steroids the subject,
    the question is whether they work."""
    assert route(router, "do steroids help people with ALS live longer").card == "als-evidence"
    assert route(router, "what helps people with ALS live longer").card == "als-alternatives"


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("How do I fill in this benefits form? The money section makes no sense", False),
        ("my dad with MND has lost his speech and uses an app to talk now. how long do people have", False),
        ("he suddenly lost his speech and his face is drooping", True),
        ("he makes no sense and is very drowsy", True),
    ],
)
def test_a_form_that_makes_no_sense_and_speech_lost_to_als_are_no_emergencies(
    router: Router, text: str, urgent: bool
) -> None:
    assert (route(router, text).kind == "urgent") is urgent, text


def test_aza_is_azathioprine(router: Router) -> None:
    """ "Should I stop the aza?" asks about azathioprine, never prednisone's stopping card."""
    d = route(router, "on pred and aza for LEMS, liver tests are up, should I stop the aza")
    assert d.card != "stopping" and d.drug == "azathioprine", (d.card, d.drug)


def test_whether_prednisone_helps_breathing_is_still_a_question(router: Router) -> None:
    assert route(router, "does prednisone help breathing in ALS").card == "als-evidence"


def test_why_a_thank_you_under_its_bar_fell_back_names_that_bar(router: Router) -> None:
    """The reason an admin reads gives the bar that was missed (75 for small talk), not the lower 50."""
    d = route(router, "mate, that is a help")
    assert d.kind == "fallback" and "under the 75 a greeting or a thank-you needs" in d.reason, d.reason


def test_a_thank_you_after_an_answer_is_weighed_as_if_said_first(router: Router) -> None:
    """The conversation's condition lifts its topics' examples; a message to the bot about the bot is not theirs."""
    d = route(router, "cheers mate, that is a help", "How does prednisone work in LEMS?")
    assert d.card == "thanks", d.reason


def test_a_condition_named_stays_with_the_conversation_when_the_learned_model_picks_a_general_card(
    router: Router,
) -> None:
    """ "my brother just got diagnosed with ALS" reads as the general 'What happens next?' card; ALS is still
    what the chat is about, so "would it help him?" next asks whether prednisone works in ALS."""
    assert route(router, "would it help him?", "my brother just got diagnosed with ALS").card == "als-evidence"


def test_whether_they_use_prednisone_for_it_asks_whether_it_works_and_why_asks_how(router: Router) -> None:
    assert route(router, "ok, and do doctors give steroids for this?", "what is lambert eaton").card == "lems-evidence"
    assert route(router, "why do doctors use steroids for LEMS?").card == "lems-mechanism"


# Kinds the first runs of blind-36 to blind-39 showed misread, in our own wordings (never the sets'): what must
# be urgent, beside what must not.
URGENT_AFTER_BLIND_36_TO_39 = [
    "dad took 12 of his steroid tablets an hour ago",
    "he is having a fit right now",
    "she has swallowed several pills",
    "dad took 3 days of his tablets at once and now he's drowsy",
    "the toddler chewed through a blister pack of my prednisolone",
    "I'm having thoughts of harming myself tonight",
    "her face went numb on one side ten minutes ago",
    "sat in the garage with the engine running, it'd be easier if I never woke up",
    "I gave all my stuff away and wrote goodbye notes for the family",
    "dad has a stomach bug, kept nothing down including his prednisolone since yesterday, now grey, can hardly sit up",
    "he went down in the kitchen, banged his head and is not really answering us",
    "Mia madre da stamattina non riesce a deglutire",
    "what does it mean if you cough up blood on steroids? it's happening right now",
    "please help, breathing is awful, can't finish my sentences",
    "Moja żona nie oddycha",
    "Mijn vader is bewusteloos",
    "पापा बेहोश हैं",
    "he OD'd on his pred",
    "Дедушка по ошибке выпил недельную дозу таблеток",
    "I can't hold my head up, much worse than usual",
    "Non riesco a deglutire, ho la SLA",
    "Je crois que je vais tomber dans les pommes",
    "I have taken an overdose of my prednisolone",
    "she is suddenly very muddled and drowsy tonight",
    "my son says he wants to kill himself, he seems ok otherwise",
    # blind-39a: "mins ago", speech that "went funny", legs "gone", can't get off the sofa
    "dad's left hand won't move and his speech went weird 5 mins ago",
    "her legs have gone completely since breakfast",
    "he can't get off the sofa today, far too weak",
    "her voice is fading to nothing since breakfast",
]
CALM_AFTER_BLIND_36_TO_39 = [
    # blind-39c: a denial after "but", hearsay ("mentioned"), "ever got", "paranoid about"
    "my husband coughs at meals but he's not choking, does prednisone affect swallowing",
    "a nurse mentioned adrenal crisis, should I carry a steroid card?",
    "if my dad ever got suddenly much weaker, is that a GP thing or an ambulance thing?",
    "I'm paranoid about running out of prednisone on holiday, what happens if I miss two days?",
    "we're getting one fitted next week, which stairlift is best?",
    "his legs have been getting weaker for a few weeks, he can't get out of the chair now, call or wait?",
    "hypothetically, if mum got short of breath on the steroids, would that be serious?",
    "my grandad had a small stroke some years back, fully recovered now, is pred safe for him?",
    "half my face went numb at the dentist this morning from the local anaesthetic. can prednisone slow healing?",
    "doubled up my pred this morning, the pill organiser was confusing. I feel totally fine, what now?",
    "my mood is low on steroids but I'm not having any thoughts of harming myself, is that common?",
    "her arms have got weaker over the months, nothing sudden, could prednisone help her LEMS?",
    "which problems on pred mean ring 999 straight away? a swollen face etc. I want a list for the kitchen",
    "what are the signs of a stroke I need to know on pred? nothing has happened",
    "could you overdose on prednisolone by accident?",
    "I've read pred can cause suicidal thoughts? my husband seems ok, what should I look for",
    "Dad seems a bit muddled since he started the steroids, nothing dramatic",
    "what should I do if her breathing ever suddenly gets worse? she's fine at the moment",
]


@pytest.mark.parametrize("text", URGENT_AFTER_BLIND_36_TO_39)
def test_emergencies_the_blind_36_to_38_first_runs_missed_are_urgent(router: Router, text: str) -> None:
    assert route(router, text).kind == "urgent", text


@pytest.mark.parametrize("text", CALM_AFTER_BLIND_36_TO_39)
def test_near_misses_the_blind_36_to_38_first_runs_raised_are_not_emergencies(router: Router, text: str) -> None:
    d = route(router, text)
    assert d.kind != "urgent", (text, d.reason)


URGENT_AFTER_BLIND_40 = [
    # blind-40a: a stroke told in another language (sight lost in one eye, a sudden terrible headache)
    "ma mère ne voit plus rien de l'œil gauche depuis une minute, d'un coup",
    "a mi hermano le dio de repente un dolor de cabeza horrible, el peor de su vida",
    "meine Frau sieht plötzlich auf dem rechten Auge nichts mehr",
    "mio marito ha un mal di testa atroce, è venuto di colpo",
    # ... and confusion with sleepiness inside a story about something else
    "his sugars have been high for days. this evening he has gone muddled and sleepy, isn't making any sense",
]
CALM_AFTER_BLIND_40 = [
    # a near choke that passed, a fear of choking, "can't face" (can't bear to), an outright denial of self-harm
    "almost choked on my prednisone this morning, spat it out, I'm ok. should I take a fresh one?",
    "choking is my biggest fear with MND. can prednisone help swallowing at all?",
    "sore throat today, can't face swallowing my prednisone, can I skip it?",
    "the steroids make me irritable and flat, but I'm not thinking of harming myself. is that normal?",
    # a what-if about someone else, one extra tablet told calmly
    "if someone on steroids collapsed at home, what should the ambulance crew be told?",
    "took two pred instead of one this morning by accident, am I in trouble?",
]


TOPICS_AFTER_BLIND_40 = [
    ("I have lost count of which days I took my pred this week, what should I do?", "missed-dose"),
    ("who writes the answers this bot gives?", "sources"),
    (
        "my brother has ALS and a friend said steroids might help. could they do him more harm than good?",
        "als-side-effects",
    ),
    ("why won't the specialist prescribe steroids for my ALS?", "als-evidence"),
    ("would IVIG be a safer option than prednisone for LEMS", "lems-alternatives"),
    ("why am I on both azathioprine and prednisone for LEMS?", "lems-alternatives"),
    ("I feel odd and not sure it's the tablets. who do I call, and how urgent is it?", "when-to-call"),
]


def test_another_drug_that_gives_the_symptom_is_the_one_asked_about(router: Router) -> None:
    """A drug that "gives her the runs" is the one asked about, even with prednisone named earlier: never a
    prednisone card, and no card on LEMS itself either."""
    text = "my wife takes pyridostigmine and prednisone for LEMS. the pyridostigmine gives her the runs, what helps"
    d = route(router, text)
    assert d.kind == "fallback", d.reason


def test_benefit_forms_beside_a_condition_get_the_honest_fallback(router: Router) -> None:
    assert route(router, "can my wife get PIP because of her ALS").kind == "fallback"
    assert route(router, "how do we apply for attendance allowance with LEMS?").kind == "fallback"


URGENT_AFTER_BLIND_41 = [
    # blind-41b: speech turned to nonsense
    "mum tried to speak a minute ago and only gibberish came out",
    "he keeps trying to talk but it is just garbled nonsense",
]
CALM_AFTER_BLIND_41 = [
    # a what-if about a named relative
    "if my husband ever fainted, should the ambulance crew know he takes steroids?",
    "if my daughter ever collapsed at school, would they need to know about her steroids?",
]


def test_a_trial_asked_about_beside_another_drug_is_the_trials_question(router: Router) -> None:
    d = route(router, "can my dad get into a study for new ALS drugs if he already takes riluzole?")
    assert d.card == "trials", d.reason


def test_support_groups_and_stem_cell_clinics_get_the_honest_fallback(router: Router) -> None:
    assert route(router, "are there any LEMS support groups near Leeds?").kind == "fallback"
    assert route(router, "stem cell treatment abroad for ALS, is it worth it?").kind == "fallback"


def test_days_gone_without_the_tablets_is_the_adrenal_question(router: Router) -> None:
    d = route(router, "our bags went missing on holiday and I have gone three days without my prednisone")
    assert d.card in ("adrenal", "missed-dose"), d.reason


@pytest.mark.parametrize("text", ["ok that is a help", "right, that makes sense now", "that clears it up, ta"])
def test_a_statement_of_thanks_after_an_answer_is_thanks_not_that_topic_again(router: Router, text: str) -> None:
    """No question in it: the conversation's condition must not turn "a help" into "does it help LEMS?"."""
    d = route(router, text, "How does prednisone work in LEMS?")
    assert d.card == "thanks", (text, d.card, d.reason)


def test_a_question_without_a_mark_after_an_answer_is_still_a_question(router: Router) -> None:
    d = route(router, "so what actually works then", "does prednisone help ALS")
    assert d.card == "als-alternatives", d.reason


URGENT_AFTER_BLIND_42 = [
    # blind-42b: no wish to live, a burden, in Russian; can't swallow or hold the head up, in French and others
    "Я больше не хочу просыпаться, я только обуза для всех",
    "ma femme n'arrive plus vraiment à avaler et sa tête tombe depuis midi",
    "mein Mann kann seit heute früh den Kopf nicht mehr halten",
    # confusion told plainly; a choke that began after someone "was fine a minute ago"
    "i feel really weird and can't think straight, keep forgetting what i'm saying",
    "he's choking, he was fine a minute ago",
]
CALM_AFTER_BLIND_42 = [
    # a choke that is over, told calmly; a faint (slight) rash; a mix-up with the tablets; unsure of a double dose
    "choked on my pred at breakfast and coughed it up, totally fine, do I take another one or not",
    "there's a faint rash on my arms since starting pred, no swelling, breathing fine. worth mentioning?",
    "got in a bit of a muddle this morning with my tablets, might have taken two. what should I do?",
    "can't remember if I've already swallowed today's tablet, should I take one?",
]


TOPICS_AFTER_BLIND_42 = [
    ("what's the most prednisone you can take in a day for LEMS?", "dosing"),
    ("so it's true steroids don't slow ALS down? has that been proven", "als-evidence"),
    ("I'm type 2, on metformin, readings around 13 since the prednisone. is it the steroid?", "blood-sugar"),
    (
        "on prednisone 6 months along with Firdapse for LEMS, put on weight. what side effects should I expect?",
        "lems-side-effects",
    ),
]


URGENT_AFTER_BLIND_43 = [
    # blind-43b: an arm and leg on one side gone numb, sight lost in one eye
    "since waking my left arm and leg are numb and I can't see out of one eye",
]
CALM_AFTER_BLIND_43 = [
    # breathing that will get worse one day; a symptom named as an example in a list question
    "as his breathing gets worse with the MND, what can help apart from steroids?",
    # the nurse says it is the disease; slurring over months; read about on forums before starting
    "her face droops a bit in photos but the nurse said it's the ALS, will steroids help?",
    "her speech has slowly got slurred over months with ALS, nothing sudden. could steroids help?",
    "can prednisone make people suicidal? I've been reading forums and I'm nervous to start it",
    # said to happen to people in general; an event years ago, said inside the match
    "I fainted years ago when my blood pressure dropped. can prednisone change blood pressure?",
]


TOPICS_AFTER_BLIND_43 = [
    ("wer do u get ur info from", "sources"),
    ("could you recommend a good neurologist for LEMS near Bristol?", "fallback"),
    ("any carer support group for MND near Cardiff?", "fallback"),
    ("honestly, what are we looking at in terms of time with his ALS?", "prognosis"),
    ("what will the next year look like for my husband?", "prognosis"),
]


URGENT_AFTER_BLIND_44 = [
    # blind-44a/b: asked as a side effect but told as happening, badly, right now; sudden weakness today
    "is chest tightness a side effect? it's really bad right now",
    "dad started steroids last month and today he's suddenly too weak to swallow anything",
]
CALM_AFTER_BLIND_44 = [
    # a fear of the symptom; the doctor said it is not a stroke; weeks of blurred sight; an event last year
    "her choking scares me, would a feeding tube help her ALS?",
    "one side of my face looked droopy but the GP said it's not a stroke, just moon face. will it settle?",
    "my husband collapsed last year after stopping his steroids suddenly. how do we avoid it this time?",
    "can prednisone cause suicidal thoughts? not having any myself, I just saw it mentioned",
]


URGENT_AFTER_BLIND_45_46 = [
    # a date that belongs to another event in its own clause; a risk asked about but said to be happening now
    "my dose was upped last week, throwing up blood",
    "could the steroid make him this breathless? he's gasping for air right now",
    "is a crushing chest a side effect of pred? it's like a weight pressing on me right now",
    # blind-46a/b: a child and "some of my steroids"; a wish to die asked as a side effect but felt now; the
    # elephant that "sat"; a what-if about someone who did it minutes ago
    "my little boy swallowed some of my steroids",
    "do steroids make you want to kill yourself? because I want to right now",
    "is tight chest a known pred side effect? it's like an elephant sat on me",
    "what if someone took 20 of their prednisone tablets? my brother did, 15 mins ago",
]
URGENT_AFTER_BLIND_48 = [
    # "is this a side effect?" asked in general, with an onset today told after it; a curtain over one eye
    "can steroids make you see things? grandad is talking to people who aren't there, started this morning",
    "is seeing things a side effect of steroids? my husband keeps pointing at spiders that aren't there, started "
    "this evening",
    "is a temperature of 39.4 ok when you take steroids? came on fast this evening, I feel awful",
    "quick one about cataracts on pred - but my left eye sight has just gone, like a curtain came down over it",
    "the steroids were fine until now. my legs have gone and swallowing water is a struggle, eyelids drooping",
    # ... and a first fit stays urgent, "never had one before" said of it
    "she's fitting on the floor right now and has never had one before, she takes pred",
    # a swollen face with its sign of a reaction far from it in a long sentence (the voice, the last hour)
    "so sorry to message this late, it might be nothing, but my husband's face and eyes have swollen up over the "
    "past half hour and his voice has gone hoarse",
]
URGENT_AFTER_BLIND_47 = [
    # a figure of speech never spans a comma; breathless while walking, but gasping and unable to finish a
    # sentence since this morning; weakness "not even able to" stand
    "I don't want to go on, the steroids are making my life hell",
    "gasping after walking to the kitchen and I can't finish a sentence, it started this morning",
    "is sudden weakness normal on pred? dad's not even able to stand this morning",
]
CALM_AFTER_BLIND_48 = [
    # "gasping for a cuppa" is thirst
    "I'm gasping for a cuppa all day on these steroids, is thirst a side effect?",
    # how a treatment fits in is no fit; "at the end, we've talked it all through" ends nothing
    "my wife already takes mestinon for her LEMS and the neuro wants to add pred, how does it fit in with what "
    "she's on?",
    "dad has made it clear he wants no tube feeding at the end, we've talked it all through with the hospice. what "
    "happens in late stage MND?",
    # a risk said as a fact, its drug word inside the match; thinking set off by a leaflet
    "apparently high doses of steroids can make some people paranoid, how common is that? dad starts them next month",
    "a stroke leaflet came through the door which made me think, does pred affect blood pressure",
    # a friend's story of someone else's fits; too much reading, not too many tablets
    "can MND cause fits? my neighbour said her uncle had seizures with it, dad's fine, just asking",
    "I've been overdosing on the internet about LEMS all week, does prednisone actually work?",
    "swallowing has always been a struggle with my LEMS, will pred help with that?",
]
CALM_AFTER_BLIND_47 = [
    # not wanting the medicine; the steroid card's sick day rules; black stools explained by iron; a story
    # dated by a clause of its own
    "I really don't want to go on steroids for my LEMS, what else is there?",
    "she was given a red steroid card and told about sick day rules, what does that mean?",
    "poo's been black since starting iron tablets, anything to watch for with pred?",
    "my cousin had a seizure when she stopped steroids too fast (years ago). can I taper myself?",
    # French words that English shares ("double dose") are no French emergency
    "should I take a double dose tomorrow to catch up on the one I forgot?",
]
CALM_AFTER_BLIND_45_46 = [
    # a risk asked about a named person; childhood; "if I got"; a death told; one extra dose yesterday
    "could the steroids make my wife's breathing worse? her chest muscles are weak from the ALS",
    "she has mild asthma; could prednisone for her LEMS make her breathing worse?",
    "had seizures as a little girl, could steroids bring them back?",
    "like if i got swelling in my lips and a rash, would that be an ambulance or the GP?",
    "if he got a rash and his tongue swelled, is that 999?",
    "my uncle died from sepsis, does prednisone raise the risk of that?",
    "took an extra pred tablet yesterday by mistake, should I take less today?",
    # an example in a list question; a tired body flopping down
    "which side effects need A&E? lip swelling obviously but what else",
    "I could collapse on the sofa the minute I get home, is that the pred?",
]
CALM_BY_DATE_OR_REST = [
    # ... while a clause that only names the disease as the cause is about the one before it
    "his speech is slurred, thats the als, could pred make it worse",
    # a year dates what it is said of, as "years ago" does; "never again" ends it; breathless only when active
    "I had a bleed from my stomach in 2016, will prednisone be risky?",
    "she fainted back in 2020 when her sugar dropped, is pred ok for her?",
    "he had one fit at 30 and never again, can he have prednisone for ALS?",
    "bit out of breath on the stairs since starting steroids but fine at rest, normal?",
    # a hospital stay told as a story; one time, long past; one day perhaps; a checked heart and worry
    "my cousin ended up in hospital with a bleeding ulcer on steroids, is that a common thing?",
    "gran had an adrenal crisis once when her tablets ran out on holiday, how do we stop that happening?",
    "if she gets a temperature while on prednisone, do we ring 111 or go in?",
    "would I know if I was having a reaction to the tablets? what are the signs",
    "my chest goes tight when I get anxious but they checked my heart and it's healthy, can pred make me jittery?",
    # a round face and swollen ankles over weeks; a time of day is no count of tablets; talk of harm denied
    "since the steroids his face has gone round and his ankles are swollen by teatime, GP or clinic?",
    "I took my pred at 8 and then again at 11 by mistake, I feel fine, what do I do tomorrow?",
    "dad is tearful and awake all night on pred, he hasn't said anything about harming himself, is it the tablets?",
]
URGENT_DESPITE_DATE_OR_REST = [
    # "rn" is "right now"; a date after "since" starts what is still going on; searching how to do it
    "is a tight chest a pred side effect? it feels like something heavy sitting on me rn",
    "ever since I was diagnosed last month I feel everyone would be better off without me, and I googled how to "
    "do it today",
    # the disease named as the cause of something else in a later clause says nothing of the emergency before it
    "she is choking on her water and can't breathe, her swallowing is poor due to the als",
    "he is gasping for air and turning blue, his breathing muscles are weak from the als",
    "diagnosed with LEMS in 2021, tonight I can't breathe properly",
    "I can't get my breath even at rest, on pred since 2020",
    "my heart was fine at the check-up last month but tonight the pain in my chest is spreading to my arm",
    "he ended up in hospital last year with sepsis and now he's shivering with a temperature of 39.8",
    "his face has gone round on pred and tonight his lips and tongue are swelling",
    "took my pred at 9 and then swallowed the rest of the box at 10, about 20 tablets",
]
QUOTED = [
    # words quoted from a leaflet or a card are nobody's symptom; quoted speech is someone's
    ('the nurse wrote "adrenal crisis" on my steroid card, what does that mean', False),
    ("the booklet says 'get help if you are sick with blood in it' - does that happen much on pred?", False),
    ("is \u201cshortness of breath\u201d on the leaflet the same as \u201ctrouble breathing\u201d?", False),
    ("my wife keeps saying 'I can't breathe properly' and she's on pred for ALS", True),
    ("dad just said \"my chest really hurts\" and he's sweating, he's on prednisone", True),
    ('mum is "struggling to breathe" tonight, on steroids for LEMS', True),
]
TOPICS_AFTER_BLIND_48 = [
    # which side effects may be ignored asks which need a doctor
    ("are there any side effects of pred i can safely ignore?", "when-to-call"),
    # the other treatments weighed against prednisone, or staying on it against switching; what is left when
    # steroids are ruled out; more time as what a drug would give; "I'm confused" as puzzlement
    ("how does IVIG stack up against the steroids for Lambert-Eaton?", "lems-alternatives"),
    ("should she keep taking the steroids or change to IVIG for her LEMS?", "lems-alternatives"),
    ("steroids have been ruled out for my dad's MND, so what then?", "als-alternatives"),
    ("would steroids give my mum extra years with her MND?", "als-evidence"),
    ("would prednisone give dad more time with ALS?", "als-evidence"),
    # "start" in a story that asks is no "/start": the greeting set aside, the other drug's card answers
    (
        "they're going to start her on azathioprine so she can get the steroids down. is that a normal approach "
        "for LEMS?",
        "lems-alternatives",
    ),
    # a pregnancy planned, past a denial
    ("I'm not pregnant yet, hoping for a baby next year. does pred for LEMS matter?", "pregnancy"),
    ("I'm confused. My LEMS gets pred but my friend with ALS was refused it, why the difference?", "compare"),
]
TOPICS_AFTER_BLIND_45 = [
    # prednisone beside another of the condition's treatments; slowing in other words; what the bot keeps
    ("IVIG alongside pred for LEMS, thoughts?", "lems-alternatives"),
    ("can steroids stall motor neurone disease", "als-evidence"),
    ("are my messages saved anywhere", "about-bot"),
    ("is MND life limiting", "prognosis"),
]


@pytest.mark.parametrize(
    "text",
    [
        *URGENT_AFTER_BLIND_40,
        *URGENT_AFTER_BLIND_41,
        *URGENT_AFTER_BLIND_42,
        *URGENT_AFTER_BLIND_43,
        *URGENT_AFTER_BLIND_44,
        *URGENT_AFTER_BLIND_45_46,
        *URGENT_AFTER_BLIND_47,
        *URGENT_AFTER_BLIND_48,
    ],
)
def test_emergencies_the_blind_40_to_48_first_runs_missed_are_urgent(router: Router, text: str) -> None:
    assert route(router, text).kind == "urgent", text


@pytest.mark.parametrize(
    "text",
    [
        *CALM_AFTER_BLIND_40,
        *CALM_AFTER_BLIND_41,
        *CALM_AFTER_BLIND_42,
        *CALM_AFTER_BLIND_43,
        *CALM_AFTER_BLIND_44,
        *CALM_AFTER_BLIND_45_46,
        *CALM_AFTER_BLIND_47,
        *CALM_AFTER_BLIND_48,
    ],
)
def test_near_misses_the_blind_40_to_48_first_runs_raised_are_not_emergencies(router: Router, text: str) -> None:
    d = route(router, text)
    assert d.kind != "urgent", (text, d.reason)


@pytest.mark.parametrize(
    ("text", "urgent"), [*((t, False) for t in CALM_BY_DATE_OR_REST), *((t, True) for t in URGENT_DESPITE_DATE_OR_REST)]
)
def test_symptoms_dated_told_as_a_story_one_day_or_checked_are_calm_and_red_flags_stay_urgent(
    router: Router, text: str, urgent: bool
) -> None:
    d = route(router, text)
    assert (d.kind == "urgent") is urgent, (text, d.reason)


@pytest.mark.parametrize(("text", "urgent"), QUOTED)
def test_quoted_words_are_mentioned_and_quoted_speech_is_told(router: Router, text: str, urgent: bool) -> None:
    d = route(router, text)
    assert (d.kind == "urgent") is urgent, (text, d.reason)


@pytest.mark.parametrize(
    ("text", "card"),
    [
        *TOPICS_AFTER_BLIND_40,
        *TOPICS_AFTER_BLIND_42,
        *TOPICS_AFTER_BLIND_43,
        *TOPICS_AFTER_BLIND_45,
        *TOPICS_AFTER_BLIND_48,
    ],
)
def test_topics_the_blind_40_to_48_first_runs_missed(router: Router, text: str, card: str) -> None:
    """Our own wordings of the kinds each first run misread; "fallback" stands for the honest fallback."""
    d = route(router, text)
    assert (d.card or d.kind) == card, (text, d.card, d.reason)


@pytest.mark.parametrize(
    ("text", "before", "card"),
    [
        ("what if he just forgets one now and then", "can I come off prednisone", "missed-dose"),
        ("what happens to her now", "my mum has ALS and has stopped the steroids", "prognosis"),
        ("what is LEMS exactly? my sister keeps mentioning it", "prednisone side effects in ALS", "lems"),
        ("and why don't they use it for ALS then?", "why is prednisone used for LEMS", "compare"),
        ("cheers, that helps loads", "does prednisone help ALS", "thanks"),
        ("remind me, what is prednisone anyway", "why did they try prednisone in ALS", "prednisone"),
        ("same for lems please", "what are prednisone's side effects in ALS", "lems-side-effects"),
        ("then why not give it for ALS?", "why do doctors use prednisone in LEMS", "compare"),
        ("and why not for LEMS?", "why isn't prednisone used in ALS", "compare"),
        ("so steroids are a no for ALS. what's left to try?", "", "als-alternatives"),
        # a pronoun for the last topic's subject (topics.referents)
        ("how often should they be checked", "can steroids harm your eyes?", "eyes"),
        ("will it go back to normal after", "does prednisone raise blood sugar", "blood-sugar"),
        # "is it the steroids?" right after a symptom's card asks about that symptom again (topics.again)
        ("could it be the steroids?", "she hardly sleeps and cries at nothing since starting prednisone", "sleep-mood"),
        ("is that because of the pred", "my sugar readings keep going up on prednisone", "blood-sugar"),
        # what happens if one stops, after any card
        ("ok but what would happen if I stopped it without telling anyone?", "does pred cause weight gain", "stopping"),
        # ... unless it names a topic of its own
        ("she's up all night now, is it the steroids?", "what side effects does prednisone have", "sleep-mood"),
        (
            "dad has MND since last week. what actually happens in it? want to understand before the next appointment",
            "",
            "als",
        ),
    ],
)
def test_messages_the_blind_40_to_45_first_runs_misread_after_an_earlier_one(
    router: Router, text: str, before: str, card: str
) -> None:
    """Follow-ups and first messages (an empty `before`) in our own wording."""
    d = route(router, text, *([before] if before else []))
    assert d.card == card, (text, d.card, d.reason)


def test_a_referent_is_the_admins_to_change_and_a_malformed_one_is_reported_at_its_line(catalog_copy: Path) -> None:
    """topics.referents: "they" after the eyes card are the eyes; without that line, the pronoun is nobody."""
    brain = Brain(load(catalog_copy).catalog)  # type: ignore[arg-type]

    def follow_up() -> str | None:
        key = f"k{len(brain.router.catalog.cards)}-{id(brain.router)}"  # a fresh conversation per catalog
        brain.turn("can steroids harm your eyes?", key, 0.0)
        return brain.turn("how often should they be checked", key, 1.0).decision.card

    assert follow_up() == "eyes"
    reread(brain, catalog_copy, "    eyes: {eyes: [them, they, those, these]}\n", "")
    assert follow_up() != "eyes"
    write_understanding(catalog_copy, "    infections: {infections:", "    eyes: them\n    infections: {infections:")
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 1
    assert "intents/understanding.yaml:" in out.getvalue() and "referents: 'eyes' must map" in out.getvalue()


@pytest.mark.parametrize(
    ("before", "text", "card"),
    [
        ("does prednisone do anything for ALS", "how come?", "als-mechanism"),
        ("is pred effective in lambert eaton", "why's that then", "lems-mechanism"),
        ("why do LEMS patients get steroids and ALS patients don't", "but why though", "compare"),
        ("my aunt has lambert-eaton", "sorry, what is that?", "lems"),
        ("my aunt has lambert-eaton", "what does that mean exactly? first time I've heard the name", "lems"),
    ],
)
def test_a_bare_why_or_what_follows_the_card_just_shown(router: Router, before: str, text: str, card: str) -> None:
    """topics.follow_on_alone: a sentence that is only "why?" or "what is it?" asks about what was just said."""
    d = route(router, text, before)
    assert d.card == card, (text, d.card, d.reason)


def test_a_bare_why_with_nothing_before_it_or_a_topic_of_its_own_is_not_a_follow_on(router: Router) -> None:
    assert route(router, "how come?").card is None
    assert route(router, "why does it make me sweat at night", "does prednisone do anything for ALS").card not in (
        "als-mechanism",
        "als-evidence",
    )


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("my grandmother has just been told it is lambert eaton", "lems"),
        ("I've got ALS", "als"),
        ("our son has motor neurone disease", "als"),
        ("my wife has LEMS, is there a cure", "lems-alternatives"),
    ],
)
def test_naming_a_condition_and_asking_nothing_gets_what_the_condition_is(router: Router, text: str, card: str) -> None:
    d = route(router, text)
    assert d.card == card, (text, d.card, d.reason)


@pytest.mark.parametrize(
    "text",
    [
        "dad's swallowing is already poor from his MND and a bit of tablet went down the wrong way, he's spluttering "
        "and going dusky",
        "my wife's breathing is already weak with ALS but now her lips look dusky and she can't get a breath",
        "been off my steroids since the weekend because of a prescription mix up and today I'm vomiting, really weak "
        "and the room is spinning",
    ],
)
def test_a_baseline_told_beside_a_new_emergency_does_not_calm_it(router: Router, text: str) -> None:
    assert route(router, text).card == "urgent", text


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("his breathing isn't great already with the MND, would steroids make that worse?", "als-side-effects"),
        (
            "I got muddled with the blister pack and gave dad his pred twice this morning, he is fine in himself",
            "missed-dose",
        ),
    ],
)
def test_a_baseline_or_a_muddled_pill_box_is_no_emergency(router: Router, text: str, card: str) -> None:
    d = route(router, text)
    assert d.card == card, (text, d.card, d.reason)
    assert route(router, "he got muddled today and doesn't know where he is").card == "urgent"
    assert route(router, "his breathing isn't great and he's gasping now").card == "urgent"


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("how mny tabs of pred r u meant to take", "dosing"),
        ("My sister has just found out she has lambert eaton. We don't understand what that is. Can you help?", "lems"),
        ("my dad has MND and none of us get what it means", "als"),
    ],
)
def test_a_dose_asked_in_tablets_and_a_condition_nobody_understands(router: Router, text: str, card: str) -> None:
    d = route(router, text)
    assert d.card == card, (text, d.card, d.reason)


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("been on pred since spring, moon face, cant fit in my jeans any more, can I just come off it", "stopping"),
        (
            "Since starting pred my reading has gone blurry, I thought it was just age (I'm 64) but the optician "
            "says my eye pressure is up. linked?",
            "eyes",
        ),
        (
            "my dad was started on pred for his lambert eaton last week. nobody told us why a steroid would help weak "
            "muscles, what is it actually doing in his body?",
            "lems-mechanism",
        ),
        (
            "my cousin has LEMS and my uncle has ALS and I don't understand why one gets prednisone and the other "
            "doesn't. Can you explain it simply?",
            "compare",
        ),
        ("why do the nurses keep saying never stop prednisone suddenly? what does it do to you", "adrenal"),
    ],
)
def test_round_49_story_and_paraphrase_misses_in_our_own_wording(router: Router, text: str, card: str) -> None:
    d = route(router, text)
    assert d.card == card, (text, d.card, d.reason)


def test_clothes_that_no_longer_fit_are_no_seizure_but_a_fit_still_is(router: Router) -> None:
    assert route(router, "he had a fit in his sleep last night and is still drowsy").card == "urgent"
    assert route(router, "mum suddenly thinks its 1975 and is asking for her mother").card == "urgent"


def test_when_to_take_it_follows_the_dose_card(router: Router) -> None:
    assert route(router, "do you take it in the morning or at night", "how much prednisone is usual for LEMS").card == (
        "dosing"
    )


def test_a_pill_box_that_confused_someone_or_a_slow_overdose_asked_about_is_no_emergency(router: Router) -> None:
    assert route(router, "can you sort of overdose on steroids slowly by being on them for years?").card != "urgent"
    assert (
        route(
            router,
            "I gave mum her prednisone twice this morning, the blister pack confused me. She's fine in "
            "herself, what should I do?",
        ).card
        == "missed-dose"
    )
    assert route(router, "dad confused me with his brother today and is talking nonsense").card == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "I have crushing chest pain right now, nothing happened before",
        "what if he goes blue, he is struggling to breathe right now",
        "what if she stops breathing, she is gasping now",
        "my mum keeps asking if I'm ok, my lips are swelling up and I can't breathe",
    ],
)
def test_a_report_said_to_be_now_beats_a_denial_or_a_what_if_in_another_clause(router: Router, text: str) -> None:
    d = route(router, text)
    assert d.card == "urgent", (text, d.card, d.reason)


@pytest.mark.parametrize(
    ("text", "card"),
    [
        (
            "writing a note for the fridge: which signs on pred mean call 999 and which mean ring the GP tomorrow? "
            "e.g. chest pain, high temperature. nothing happening now, just organised",
            "when-to-call",
        ),
        ("Is 40mg of prednisone an overdose? the neuro put my wife on it for LEMS and it sounds huge", "dosing"),
        (
            "whats the difference between an actual overdose and taking one extra tablet by accident? just wondering",
            "missed-dose",
        ),
        ("the leaflet for pred left me breathless, it's so long. which side effects are common?", "side-effects"),
    ],
)
def test_nothing_happening_a_prescribed_dose_and_a_figure_of_speech_are_no_emergency(
    router: Router, text: str, card: str
) -> None:
    d = route(router, text)
    assert d.card == card, (text, d.card, d.reason)
    assert route(router, "my son took a whole strip of my prednisone, is that an overdose?").card == "urgent"
    assert route(router, "what to do in case of an overdose of prednisone").card == "urgent"


def test_a_denial_reaches_every_item_of_a_list(router: Router) -> None:
    """negation: "never had any swelling or trouble breathing" denies both; a list is no report."""
    text = "Had an itchy rash after starting pred, gone now, never had any swelling or trouble breathing. Tell the GP?"
    assert route(router, text).card != "urgent"
    assert route(router, "he isn't eating or drinking and he's struggling to breathe").card == "urgent"
    assert route(router, "no fever or chills but she can't breathe").card == "urgent"


@pytest.mark.parametrize(
    ("text", "card"),
    [
        (
            "Gran choked on a bit of cake at her birthday (she's fine, it came up straight away). Do people with ALS "
            "end up needing a feeding tube?",
            "als-alternatives",
        ),
        (
            "should I take something to protect my stomach on prednisone? my mum had a bleeding ulcer years ago",
            "side-effects",
        ),
        ("I read online that steroids can mask sepsis, is that right? my wife takes pred for LEMS", "infections"),
        (
            "im bruising so easily since starting steroids, little purple marks on my arms. should someone look?",
            "when-to-call",
        ),
        ("how much would it cost to fit a ramp for his wheelchair", "fallback"),
    ],
)
def test_round_50_near_misses_in_our_own_wording(router: Router, text: str, card: str) -> None:
    d = route(router, text)
    assert (d.card or d.kind) == card, (text, d.card, d.reason)
    counted = "my little boy got hold of my tablets but none missing, I counted twice. how do you store them safely?"
    assert route(router, counted).card != "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "he's choking on his dinner and can't cough it up",
        "my toddler got into my prednisone and I think one is missing, she seems sleepy",
        "he had a fit a few minutes ago and is not waking up properly",
        "his lips are purple and he can't breathe",
        "eyelids drooping, seeing double and I can barely get words out, came on fast today",
    ],
)
def test_the_near_miss_words_do_not_calm_a_real_emergency(router: Router, text: str) -> None:
    assert route(router, text).card == "urgent", text


@pytest.mark.parametrize(
    "text",
    [
        "hang on, is a human typing these replies or is it a program?",
        "who gets to read the messages I send here? it's a bit personal",
        "are my messages on here kept private?",
        "am I texting with someone real or a machine",
    ],
)
def test_who_answers_and_who_sees_the_chat_gets_the_about_card(router: Router, text: str) -> None:
    """topics.signals about: the bot itself, with no drug or condition named; never a question that only uses
    the same words about prednisone."""
    d = route(router, text)
    assert d.card == "about-bot", (text, d.card, d.reason)
    assert route(router, "can a real doctor tell me if prednisone is safe for me").card != "about-bot"


def test_a_longer_same_thing_follow_up_and_pregnancy_beside_another_condition(router: Router) -> None:
    assert (
        route(
            router,
            "and I've been really short with my husband lately, is that the same thing?",
            "prednisone has me wide awake at 3am most nights",
        ).card
        == "sleep-mood"
    )
    text = "different question: my sister takes prednisone for her eczema and has just found out she's pregnant, ok?"
    assert route(router, text).card == "pregnancy"


def test_worse_than_ever_is_now_not_one_day(router: Router) -> None:
    """emergencies.begun: "worse than he ever has" says it is happening; "if she ever has" is one day."""
    text = (
        "probably just a cold but my husband is on pred and tonight his temperature is 39.8, he's shaking all "
        "over and says he feels worse than he ever has"
    )
    assert route(router, text).card == "urgent"
    assert route(router, "if she ever has a temperature of 39 on steroids, what should we do?").card != "urgent"


def test_two_drugs_taken_together_is_the_other_drugs_pharmacists_question(router: Router) -> None:
    """drugs.between: prednisone and one other drug with "clash", "interfere", "at the same time": never a
    prednisone card; where that drug fits, and the note saying who answers."""
    d = route(router, "is it alright to have pyridostigmine and prednisone at the same time or will they interfere?")
    assert d.card not in ("dosing", "side-effects", "stopping") and d.drug == "pyridostigmine (Mestinon)", d.reason
    d = route(router, "can firdapse and pred be taken at the same time of day or do they clash?")
    assert d.card == "lems-alternatives" and d.notice == "other_drug", (d.card, d.reason)


def test_a_time_of_day_is_no_heart_rate_and_a_delusion_is_an_emergency(router: Router) -> None:
    assert route(router, "cant sleep since starting pred, awake at 4am with my heart racing, is this normal").card != (
        "urgent"
    )
    assert route(router, "my heart is racing at 150 and I feel faint").card == "urgent"
    text = (
        "my sister is acting really strange tonight, standing on the table, says she can fly, she started pred monday"
    )
    assert route(router, text).card == "urgent"


def test_its_not_one_its_the_other_names_the_other(router: Router) -> None:
    """negation.breaks "its": the second clause of "it's not X it's Y" is said, not denied."""
    assert (
        route(router, "it's not ALS it's lambert eaton, so how would a steroid help with it").card == "lems-mechanism"
    )
    assert route(router, "he is not breathing its awful").card == "urgent"


def test_a_question_about_a_symptom_does_not_hide_it_told_again_in_other_words(catalog: Catalog) -> None:
    """Round 57: "is X a side effect?" asks; the story after it, in different words, is a report now."""
    rules = Router(dataclasses.replace(catalog, model=None))
    d = route(rules, "are dark stools a steroid thing? dad has been going every hour since lunch and it looks like tar")
    assert (d.kind, d.concept) == ("urgent", "gi-bleed")
    assert route(rules, "are dark stools a steroid thing? just curious, nothing going on here").kind != "urgent"


def test_an_unrelated_denial_does_not_deny_the_collapse_told_after_it(catalog: Catalog) -> None:
    """ "Didn't tell anyone" denies the telling, not the signs after stopping the tablets."""
    rules = Router(dataclasses.replace(catalog, model=None))
    d = route(rules, "fed up, she quit taking them friday, didnt tell us, now clammy and can barely sit up")
    assert (d.kind, d.concept) == ("urgent", "adrenal")
    assert route(rules, "I didn't tell my GP I'd stopped my prednisone last year, does it matter now?").kind != "urgent"


def test_seeing_things_beside_other_signs_of_sudden_change_is_urgent(catalog: Catalog) -> None:
    rules = Router(dataclasses.replace(catalog, model=None))
    d = route(rules, "my wife on high dose pred is screaming at the curtains and seeing things, not herself at all")
    assert (d.kind, d.concept) == ("urgent", "confusion")


def test_an_emergency_dated_by_a_season_long_gone_is_a_story(catalog: Catalog) -> None:
    rules = Router(dataclasses.replace(catalog, model=None))
    told = "dad fainted in the garden two summers ago. now he's on pred for his LEMS, can it make fainting likelier?"
    assert route(rules, told).kind != "urgent"
    assert route(rules, "he fainted two summers ago and now he's fainted again and won't come round").kind == "urgent"


def test_a_symptom_asked_about_but_begun_within_the_last_hours_is_a_report(catalog: Catalog) -> None:
    rules = Router(dataclasses.replace(catalog, model=None))
    told = "been sick 3 times in the past hour and there are dark bits like coffee grounds in it??"
    assert (route(rules, told).kind, route(rules, told).concept) == ("urgent", "gi-bleed")


def test_why_one_must_not_stop_suddenly_is_the_adrenal_question_even_with_nothing_named(router: Router) -> None:
    told = "they all say you shouldn't stop suddenly - why though, what actually happens?"
    assert route(router, told).card == "adrenal"


def test_a_question_that_opens_with_a_negation_asks_about_the_conditions_it_names(router: Router) -> None:
    """ "Aren't ...?", "doesn't ...?" ask; they deny nothing. Said as a statement, the denial stands."""
    assert route(router, "aren't ALS and LEMS pretty much the same disease?").card == "compare"
    assert route(router, "I don't have ALS. what does prednisone do in LEMS?").condition == "lems"


def test_a_prescribed_daily_dose_that_seems_an_overdose_is_a_dose_question(router: Router) -> None:
    assert route(router, "is 50mg a day practically an overdose? it's what my neuro has me on").kind != "urgent"
    assert route(router, "he swallowed 15 tablets just now, is that basically an overdose?").kind == "urgent"


def test_tablets_swallowed_told_without_the_i_are_urgent_even_with_question_marks(catalog: Catalog) -> None:
    """Round 59: "took 20 tablets??" drops its "I"; asked in general ("what if someone ...") it gets the card
    that says whom to call."""
    rules = Router(dataclasses.replace(catalog, model=None))
    told = "swallowed maybe 15 pills by accident?? mixed up two boxes. feel shaky and odd"
    assert route(rules, told).kind == "urgent"
    assert route(rules, "took 12 tablets?").kind == "urgent"
    assert route(rules, "what would happen if a person swallowed 12 tablets?").card == "missed-dose"
    assert route(rules, "could taking a whole packet of pred at once kill you?").card == "missed-dose"
    # a mishap long past, beside another question: that question's card answers
    told = "My cousin once swallowed too many of her pills as a teenager and was fine. Anyway, what is prednisone for?"
    assert route(rules, told).card == "prednisone"


def test_a_serious_symptom_asked_about_is_no_dose_brought_back_up(router: Router) -> None:
    """ "Throw up ... steroid" is the missed-dose card's words; with blood between them it asks about a side effect."""
    assert route(router, "is vomiting blood a side effect of prednisone?").card in (
        "side-effects",
        "when-to-call",
    )
    assert route(router, "I was sick straight after my steroid tablet, do I take another one?").card == "missed-dose"


def test_vetted_is_checked_not_a_vet(router: Router) -> None:
    assert route(router, "has a doctor vetted what you tell people?").card == "sources"
    assert route(router, "the vet put my dog on prednisone, how much should he get?").kind == "fallback"


def test_whether_to_call_about_it_is_the_when_to_call_question(router: Router) -> None:
    """ "One for the doctor?", "ring the surgery or wait?", "do I need to tell anyone?": asking how soon."""
    assert route(router, "my legs look a bit puffy this week on pred, is that one for the GP?").card == "when-to-call"
    assert (
        route(router, "mum's knees ache on her steroids, do we call the practice or sit tight?").card == "when-to-call"
    )
    assert (
        route(router, "bit of heartburn since starting prednisone. do I need to tell somebody?").card == "when-to-call"
    )
    # "keep an eye" is no question about eyes
    assert route(router, "sore back since the pred went up, should I ring the doctor or keep an eye?").card != "eyes"
    assert route(router, "rough week at clinic, I just needed to tell somebody. thanks for listening").kind != "answer"


def test_a_fear_of_choking_on_the_tablets_and_a_well_now_are_no_emergency(catalog: Catalog) -> None:
    rules = Router(dataclasses.replace(catalog, model=None))
    assert (
        route(rules, "these pred tablets are massive and I'm paranoid about choking on them, any tips?").kind
        != "urgent"
    )
    assert (
        route(rules, "I'm paranoid about choking on them but right now he is choking and can't breathe").kind
        == "urgent"
    )
    told = (
        "could steroids make an elderly man hallucinate? grandad begins them friday, he's bright as a button right now"
    )
    assert route(rules, told).kind != "urgent"
    assert route(rules, "could steroids make you hallucinate? grandad is hallucinating right now").kind == "urgent"


def test_when_in_the_day_to_take_it_is_a_dosing_question(router: Router) -> None:
    assert route(router, "forget the amount, what part of the day is best for taking my prednisone?").card == "dosing"


def test_insects_nobody_else_sees_and_a_sudden_muddle_in_spanish_are_emergencies(catalog: Catalog) -> None:
    rules = Router(dataclasses.replace(catalog, model=None))
    told = "can steroids do this? my husband keeps brushing off bugs that are not there and shouting at us"
    assert route(rules, told).kind == "urgent"
    assert route(rules, "mi padre está confundido de repente desde anoche, toma prednisona").kind == "urgent"
    assert route(rules, "mi abuela toma prednisona y ve gente que no está en la casa").kind == "urgent"


def test_a_risk_asked_about_with_no_symptom_is_a_question_not_an_emergency(catalog: Catalog) -> None:
    rules = Router(dataclasses.replace(catalog, model=None))
    assert route(rules, "are people on steroids more prone to sepsis? my aunt had it last year").kind != "urgent"
    prepared = "which signs would mean im having a heart attack on pred? asking to be prepared"
    assert route(rules, prepared).kind != "urgent"
    asked = "do steroids cause suicidal thoughts? not me, I was just reading the leaflet"
    assert route(rules, asked).card == "sleep-mood"
    # ... and a risk asked about beside a report stays urgent
    assert route(rules, "am I more prone to sepsis? I'm shivering with a fever of 40 right now").kind == "urgent"


def test_whether_to_see_or_tell_the_doctor_is_the_when_to_call_question(router: Router) -> None:
    told = (
        "I've got LEMS and I'm on prednisone and I keep getting puffed out on the hills. "
        "is it something to tell my doctor about?"
    )
    assert route(router, told).card == "when-to-call"
    told = (
        "I have LEMS and take pred, my ankles swell by evening. "
        "Does he need to see the GP this week or is it just the tablets?"
    )
    assert route(router, told).card == "when-to-call"


def test_common_misspellings_of_lambert_eaton_and_come_off(router: Router) -> None:
    assert route(router, "is prednisone any good for lambert eatin").card == "lems-evidence"
    assert route(router, "how do i com off my pred safely").card == "stopping"


def test_hospital_parking_charges_are_out_of_scope(router: Router) -> None:
    assert route(router, "is hospital parking free when you have a long-term illness?").kind == "fallback"


def test_the_steroids_or_the_condition_asks_which_causes_a_symptom(router: Router) -> None:
    """Not "what is this condition?": a symptom put down to the drug or to the disease."""
    told = "with my lems I get lightheaded when standing up, have for ages. the prednisone or the condition?"
    assert route(router, told).card == "lems-side-effects"


def test_whether_a_side_effect_wears_off_is_asked_of_that_side_effect(router: Router) -> None:
    """ "Will it go away when she comes off?" after a story of a side effect: "it" is the side effect."""
    told = "mum has been up all night every night since the pred. will it go away when she comes off prednisone?"
    assert route(router, told).card == "sleep-mood"
    # ... and with no side effect told, coming off is still the stopping question
    assert route(router, "will I feel better if I come off prednisone for good?").card == "stopping"


def test_a_general_question_beside_a_story_of_it_happening_can_still_be_an_emergency(router: Router) -> None:
    """The rules read "is it normal to suddenly hear things?" as a question in general; the learned model reads
    the story beside it (at `urgent_asked`) as happening now. Asked with nobody's story, it stays a question."""
    told = (
        "is it normal on steroids to suddenly hear things? "
        "my dad keeps yelling at people in the empty hallway and won't calm down"
    )
    assert route(router, told).kind == "urgent"
    assert route(router, "is it normal on steroids to suddenly hear things? just reading the leaflet").kind != "urgent"
    moths = (
        "can prednisone make you see stuff suddenly? my mum is flapping at moths on the ceiling, there's nothing there"
    )
    assert route(router, moths).kind == "urgent"


def test_a_first_message_asking_if_it_works_asks_which_condition(router: Router) -> None:
    """ "Will it help my husband?" names no condition: which one decides the answer, so the bot asks."""
    asked = route(router, "is it going to work for him")
    assert asked.kind == "clarify"
    assert set(asked.options) == {"lems-evidence", "als-evidence"}
    assert route(router, "is it worth taking the bus into town or will it rain?").kind == "fallback"


def test_why_it_is_not_used_in_als_set_against_lems_is_the_comparison(router: Router) -> None:
    assert route(router, "how come it isn't given for MND then", "how does prednisone help lambert eaton?").card == (
        "compare"
    )
    told = "why not though? it helps loads of other muscle conditions"
    assert route(router, told, "my mum's neurologist says steroids are pointless for her ALS").card == "compare"


def test_asking_whether_prednisone_is_another_kind_of_medicine_asks_what_it_is(router: Router) -> None:
    assert route(router, "is prednisone basically an antibiotic then?").card == "prednisone"
    assert route(router, "they gave dad prednisone. is it like paracetamol?").card == "prednisone"
    # ... a question about taking the other medicine is still not ours
    assert route(router, "is it a problem to take paracetamol with prednisone?").kind == "fallback"


def test_a_risk_asked_after_the_symptom_is_a_question(catalog: Catalog) -> None:
    """ "Is X something to worry about?" asks about the risk; said to be happening, it is urgent."""
    rules = Router(dataclasses.replace(catalog, model=None))
    assert route(rules, "is an adrenal crisis something I should worry about on a low dose?").kind != "urgent"
    assert route(rules, "which signs would mean that a stomach ulcer is bleeding?").kind != "urgent"
    assert route(rules, "is chest pain something to worry about on pred? I've got it right now").kind == "urgent"


def test_the_other_condition_set_against_the_last_one_is_the_comparison(router: Router) -> None:
    assert route(router, "so how come people with LEMS get it then?", "does pred do anything for MND").card == "compare"
    assert route(router, "is ALS a similar thing? or the same as that?", "what is lambert eaton").card == "compare"
    # ... but not "why was it tried in ALS?" (the ALS card says why), nor a question that starts afresh
    assert route(router, "why was it tried in ALS?", "how does prednisone work in LEMS?").card == "als-mechanism"
    assert route(router, "same question for ALS", "side effects of prednisone in LEMS").card == "als-side-effects"


def test_more_things_outside_what_the_bot_covers(router: Router) -> None:
    for text in (
        "can I take emflaza instead of prednisone for duchenne?",
        "how do we set up the eye gaze device for mum's MND",
    ):
        assert route(router, text).kind == "fallback", text


def test_a_medicine_of_one_of_our_topics_beside_prednisone_read_as_that_topic(router: Router) -> None:
    """Insulin belongs to the blood-sugar topic: asked about beside prednisone, the learned model may give that
    card (the diabetes team decides the insulin); whether the two mix stays the pharmacist's."""
    assert route(router, "dad is on insulin and just started pred, will his insulin have to go up?").card == (
        "blood-sugar"
    )
    assert route(router, "is it safe to take metformin and prednisone at the same time?").kind == "fallback"


def test_another_steroid_asked_for_als_gets_the_als_evidence_card(router: Router) -> None:
    """The ALS article covers steroids as a class; the LEMS one covers prednisone only."""
    assert route(router, "could IV dexamethasone slow my dad's MND at all?").card == "als-evidence"
    assert route(router, "could IV dexamethasone help my dad's lambert eaton?").kind == "fallback"
    assert route(router, "how much dexamethasone do they give for ALS?").kind == "fallback"


def test_what_a_plan_is_meant_to_prevent_is_no_report_of_it(router: Router) -> None:
    """A taper planned "so I don't collapse" asks how to stop it; the same words told as done stay urgent."""
    planned = "how slowly should mum taper so she doesn't get dizzy and end up collapsing?"
    assert route(router, planned).card in ("stopping", "adrenal")
    assert route(router, "what's the way to cut down the steroids to avoid ending up collapsed on the floor").kind != (
        "urgent"
    )
    assert route(router, "I swallowed 30 pills so I don't have to feel anything").kind == "urgent"
    assert route(router, "so I don't know what to do, he collapsed in the kitchen").kind == "urgent"


def test_a_walking_limit_lived_with_since_the_diagnosis_is_no_sudden_weakness(router: Router) -> None:
    calm = "my husband can't walk far since the ALS, what mobility aids are there?"
    assert route(router, calm).kind != "urgent"
    assert route(router, "my husband can't walk since lunch, his legs just went").kind == "urgent"
    assert route(router, "since the diagnosis he is weaker but today he suddenly can't stand").kind == "urgent"


def test_a_disabled_parking_badge_is_out_of_scope(router: Router) -> None:
    assert route(router, "is dad eligible for a disabled parking badge with lambert eaton").kind == "fallback"


def test_whether_the_information_can_be_believed_asks_for_its_sources(router: Router) -> None:
    for text in ("is this info legit or did someone just make it up", "who rote all this, r ur answers accurate"):
        assert route(router, text).card == "sources", text


def test_someone_new_on_here_is_welcomed_but_new_on_prednisone_is_not(router: Router) -> None:
    assert route(router, "hiii jus joined on here").card == "welcome"
    assert route(router, "first time on here, be gentle").card == "welcome"
    assert route(router, "just starting out on prednisone for LEMS, what side effects should I expect?").card == (
        "lems-side-effects"
    )


def test_a_dose_stepped_down_week_by_week_is_a_taper(router: Router) -> None:
    told = "the letter from the hospital says dad's prednisone is being cut by 5mg each week, is that usual?"
    assert route(router, told).card == "stopping"


def test_whether_prednisone_will_help_with_no_condition_named_asks_which(router: Router) -> None:
    told = "my neurologist has put me on prednisone for a muscle weakness thing. is it going to help me?"
    assert route(router, told).kind == "clarify"
    assert route(router, "my neurologist has put me on prednisone for LEMS. is it going to help me?").card == (
        "lems-evidence"
    )


def test_planning_for_an_illness_that_keeps_the_tablets_from_staying_down_is_the_sick_day_question(
    router: Router,
) -> None:
    """The adrenal card holds the sick day rules; a dose brought up this morning stays the missed-dose card."""
    for planned in (
        "if I ever got a sickness bug and couldn't keep my tablets down what then",
        "just wondering, if I got gastro and couldn't hold down my prednisone, what's the rule",
    ):
        assert route(router, planned).card == "adrenal", planned
    assert route(router, "threw up my pred twenty minutes after taking it, do I take another one?").card == (
        "missed-dose"
    )


def test_whether_a_symptom_is_worth_a_call_is_the_when_to_call_question(router: Router) -> None:
    assert route(router, "got some acid reflux. worth a ring to someone?").card == "when-to-call"


def test_whether_a_real_doctor_checked_the_information_asks_for_its_sources(router: Router) -> None:
    """'a real doctor' here checks the answers; it does not ask whether the bot is one."""
    told = "where does all of this come from? has an actual doctor gone over it or did you get it off the web?"
    assert route(router, told).card == "sources"
    assert route(router, "is it a real doctor answering me?").card == "about-bot"


def test_what_the_illness_may_bring_one_day_is_no_emergency_now(router: Router) -> None:
    assert route(router, "will dad end up not able to breathe by himself with the ALS?").card == "prognosis"
    assert route(router, "Will mum end up on a ventilator? she's struggling to breathe right now").kind == "urgent"


def test_a_change_put_down_to_the_illness_moving_on_asks_what_comes_next(router: Router) -> None:
    assert route(router, "her voice is quieter lately, is that just her MND progressing?").card == "prognosis"


@pytest.mark.parametrize(
    "text",
    [
        "a minha mãe está a vomitar sangue",  # European Portuguese: "está a vomitar"
        "mi abuelo acaba de vomitar sangre",
        "mia nonna ha vomitato sangue",
        "mein Opa spuckt Blut",
        "mi padre se cayó y no reacciona",
        "se le hinchó la lengua después de la pastilla",
        "meine Mutter atmet kaum und hat blaue Lippen",
        "o meu pai tomou o dobro da dose sem querer",
    ],
)
def test_more_emergencies_in_other_languages_get_the_urgent_card(router: Router, text: str) -> None:
    assert route(router, text).kind == "urgent"


def test_an_allergy_to_prednisone_told_calmly_gets_the_side_effects_card_which_covers_it(router: Router) -> None:
    decision = route(router, "pretty sure my husband is allergic to the steroids, he came out in a rash")
    assert decision.card == "side-effects"
    card = router.catalog.cards["side-effects"]
    assert "allergy to prednisone" in card.body and "emergency" in card.body
    assert route(router, "allergic to pred I think, my tongue is swelling up").kind == "urgent"


def test_a_medicine_no_card_covers_is_named_in_the_honest_reply(router: Router) -> None:
    """'Sorry, I can't answer that one' says less than the truth: the bot knows the name, not the medicine."""
    reply = render(router.catalog, route(router, "what does mestinon do?"))
    assert reply.kind == "fallback"
    text = " ".join(block.text for block in reply.blocks)
    assert "information about pyridostigmine (Mestinon)" in text
    assert "pharmacist" in text


def test_whether_another_medicine_named_outright_is_a_steroid_is_about_that_medicine(router: Router) -> None:
    decision = route(router, "is mestinon a steroid too?")
    assert decision.kind == "fallback" and decision.drug == "pyridostigmine (Mestinon)"
    assert route(router, "is prednisone a steroid?").card == "prednisone"


def test_a_steroid_sparing_drug_that_lets_the_dose_come_down_is_where_it_fits(router: Router) -> None:
    """Where azathioprine fits beside prednisone (the LEMS treatments card), not a dose or stopping card."""
    for text in (
        "will adding azathioprine allow my wife to cut her steroids down? she has lambert eaton",
        "my neuro calls imuran a steroid sparing drug, does it help you reduce the prednisone in LEMS?",
    ):
        assert route(router, text).card == "lems-alternatives", text


def test_eye_drops_beside_a_question_about_the_tablets_and_the_eyes_is_the_eyes_question(router: Router) -> None:
    """Eye drops belong to the eyes topic (topics.home_of): the learned model may read such a message as it."""
    assert route(router, "Can steroid tablets damage my eyesight, or is that only the steroid eye drops?").card == (
        "eyes"
    )
    assert route(router, "can I use eye drops while on prednisone").kind == "fallback"


def test_wrk_is_work_and_a_short_english_question_is_not_taken_for_french(router: Router) -> None:
    assert route(router, "does it wrk or not?").kind == "clarify"
    decision = route(router, "dose pred realy work 4 lambert eaton or not")
    assert decision.language is None and decision.card == "lems-evidence"


def test_an_allergy_to_prednisone_beside_allergies_as_a_condition_is_its_side_effect(router: Router) -> None:
    told = "they give steroids FOR allergies, so how can anyone be allergic to prednisone itself?"
    assert route(router, told).card == "side-effects"
    assert route(router, "my allergies are awful this spring, any tips?").kind == "fallback"


def test_whether_to_see_someone_about_a_symptom_outside_the_cards_on_prednisone_is_when_to_call(router: Router) -> None:
    """'Back pain' alone is outside; asked whether it needs a doctor, on prednisone, the triage card answers."""
    told = "sudden back pain after a minor fall and I've been on pred for years. should I be seen today?"
    assert route(router, told).card == "when-to-call"
    assert route(router, "what's the best mattress for back pain?").kind == "fallback"


def test_someone_else_calling_a_high_dose_an_overdose_is_a_dose_question_but_i_think_im_overdosing_is_urgent(
    router: Router,
) -> None:
    assert route(router, "my mum thinks I'm overdosing because I'm on 60mg. Is starting that high normal?").kind != (
        "urgent"
    )
    for text in (
        "i think im overdosing",
        "I keep saying I'm overdosing and nobody listens",
        "he thinks im overdosing, i took 12 pills",
    ):
        assert route(router, text).kind == "urgent", text


def test_blood_vomited_that_has_stopped_gets_a_card_that_says_to_be_checked_today(router: Router) -> None:
    """NHS advice: vomiting blood that has stopped, with no other symptoms, still needs an urgent GP visit
    (NHS 111); with feeling faint or black poo it is an emergency. The card this reaches must say both."""
    decision = route(router, "I brought up some dark blood earlier on but I'm ok now, I take prednisone")
    assert decision.kind == "answer" and decision.card == "when-to-call", decision.reason
    card = router.catalog.cards["when-to-call"]
    assert "coffee grounds" in card.body and "checking today" in card.body
    assert route(router, "I'm vomiting blood right now and feel faint, on pred").kind == "urgent"


def test_a_drug_name_with_a_comma_between_digits_is_one_name(router: Router) -> None:
    """The name 3,4-DAP is amifampridine: the comma inside it ends no clause, so the name is read whole."""
    assert route(router, "is 3,4-DAP a kind of steroid?").card == "lems-alternatives"
    assert "amifampridine" in router.scan("does 3,4-DAP help, or pred?").drugs


def test_the_two_after_the_comparison_card_are_lems_and_als(router: Router) -> None:
    assert route(router, "so how do the two differ", "why does prednisone help LEMS but not ALS").card == "compare"


def test_one_of_ours_set_beside_another_illness_gets_what_ours_is(router: Router) -> None:
    """No prednisone in it: not the card that sets LEMS beside ALS, nor one about the medicine."""
    assert route(router, "how is parkinson's different from ALS").card == "als"
    assert route(router, "MS versus motor neurone disease, what's the difference?").card == "als"


def test_blood_brought_up_and_over_is_never_the_card_about_a_tablet_brought_up(router: Router) -> None:
    """Vomiting is a missed-dose word; vomiting blood that has stopped is a bleed to be checked today."""
    assert route(router, "threw up a little blood after breakfast, I'm alright now, I'm on pred").card == "when-to-call"
    assert route(router, "threw up my pred tablet after breakfast, do I take another?").card == "missed-dose"


def test_two_medicines_for_one_condition_compared_get_its_treatments_card(router: Router) -> None:
    text = "dad has LEMS and the neuro mentioned azathioprine on top of his prednisone. how do the two compare?"
    assert route(router, text).card == "lems-alternatives"


def test_check_names_an_unknown_topic_a_concept_replaces_with_file_and_line(catalog_copy: Path) -> None:
    write_understanding(catalog_copy, "asked_over: [missed-dose]", "asked_over: [missed-doze]")
    out = io.StringIO()
    assert cmd_check(catalog_copy, out) == 1
    assert "intents/understanding.yaml:" in out.getvalue() and "missed-doze" in out.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        # a day's total in mg ("my usual 25") is no count of tablets
        "accidentally had 30mg of pred instead of my usual 25 this morning, feel fine, anything to do?",
        # "oh no" is dismay, not a denial of the calm "I think I took"
        "oh no i think i took two doses of pred today",
    ],
)
def test_a_dose_slip_told_calmly_is_the_missed_dose_question(router: Router, text: str) -> None:
    assert route(router, text).card == "missed-dose"


def test_what_the_condition_is_asked_mid_chat_is_its_overview(router: Router) -> None:
    """Short, naming the condition of the last answer, yet a question of its own: not that topic again."""
    assert route(router, "sorry, what is MND actually? never got it", "is pred any use for MND").card == "als"
    assert route(router, "and for ALS?", "does pred help LEMS").card == "als-evidence"


def test_prednisone_as_the_yardstick_leaves_the_other_drug_the_subject(router: Router) -> None:
    """ "like steroids do", "than pred": prednisone is what the other drug is measured against."""
    d = route(router, "can rilutek make your cheeks go round and puffy like steroids do? my brother has ALS")
    assert d.card == "als-alternatives" and d.notice == "other_drug"
    d = route(router, "for lambert eaton does immunoglobulin start helping sooner than pred?")
    assert d.kind == "fallback" and d.drug is not None and d.options[0] == "lems-alternatives"


def test_a_drug_that_spares_the_steroid_is_asked_where_it_fits(router: Router) -> None:
    text = "once I'm on azathioprine will I be able to get my pred dose down? LEMS"
    assert route(router, text).card == "lems-alternatives"
    assert route(router, "how do I lower my pred dose for LEMS").card != "lems-alternatives"


def test_what_is_it_after_a_story_naming_one_condition_is_its_overview(router: Router) -> None:
    assert (
        route(router, "My sister's husband has LEMS and I want to be there for her. What actually is it?").card
        == "lems"
    )
    assert route(router, "a lady in my choir has LEMS and I'd like to support her properly. what is it?").card == "lems"


@pytest.mark.parametrize(
    "text",
    [
        "where do my details go once I type them in here",
        "gran is asking whether she is talking to a real human, and if her details are kept",
    ],
)
def test_who_sees_the_chat_is_the_about_card(router: Router, text: str) -> None:
    assert route(router, text).card == "about-bot"


def test_overdosing_on_reading_online_is_no_overdose(router: Router) -> None:
    d = route(router, "Bit of an overdose on Doctor Google this week. Is pred any good for LEMS, honestly?")
    assert d.kind != "urgent" and d.card == "lems-evidence"


def test_the_way_prednisone_does_is_a_yardstick_too(router: Router) -> None:
    d = route(router, "will firdapse knock my immune system down the same way steroids do?")
    assert d.card == "lems-alternatives" and d.notice == "other_drug"


@pytest.mark.parametrize(
    ("text", "card"),
    [
        # astonishment, not breathing; and pages are no count of tablets
        (
            "the list of pred side effects honestly took my breath away, 3 pages. which are the serious ones?",
            "when-to-call",
        ),
        # a fear of overdosing before any is taken
        ("I'm afraid of overdosing on these stronger pred tablets, how much do people usually take?", "dosing"),
        # suicidal thoughts asked about as a side effect, before starting
        ("does pred give you suicidal thoughts? asking before I start it", "sleep-mood"),
        # one extra dose owned up to lightly
        ("whoops, took this morning's pred twice", "missed-dose"),
    ],
)
def test_emergency_words_that_report_nothing_happening(router: Router, text: str, card: str) -> None:
    d = route(router, text)
    assert d.kind != "urgent" and d.card == card


def test_confusion_timed_in_hours_up_to_now_is_happening(catalog: Catalog) -> None:
    """A story that calls it "probably the pred", with "years ago" said of something else, but the muddle has
    lasted the last few hours: happening, for the rules alone."""
    rules = Router(dataclasses.replace(catalog, model=None))
    text = (
        "Probably just the steroids making him a bit odd, but my dad has been completely disoriented for the last "
        "couple of hours, keeps trying to catch a train to work (he retired 10 years ago) and he's seeing ants on "
        "the walls"
    )
    assert route(rules, text).kind == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "roughly how much does a walk-in shower cost to get fitted",  # fitted: no seizure
        "grandpa passed out cold in his armchair this evening after his pills, just asleep, woke up fine for dinner "
        "haha. does pred make people drowsy?",
        "temp of 38.2 three days ago with a cold, back to normal today and I feel ok. should I have changed my pred?",
        "so paranoid I'll pass out on the flight if I miss a pred dose, what do I do?",
        "could ALS ever make him just collapse without warning? he's never fallen so far",
        "my dose keeps going up, am I basically overdosing on my pred long term?",
        "I OD'd on biscuits all weekend lol. can prednisone push my sugar up?",
        "my son on pred is so irritable lately, nothing like self harm, just grumpy. is that the steroid?",
    ],
)
def test_emergency_words_in_calm_stories_are_no_emergency(router: Router, text: str) -> None:
    assert route(router, text).kind != "urgent"


def test_recovering_from_an_operation_is_not_the_illness_outlook(router: Router) -> None:
    assert route(router, "how long does it take to recover from a hip replacement").card != "prognosis"
    assert route(router, "can you ever recover from it? my mum has ALS").card == "prognosis"


def test_a_delusion_that_began_today_is_an_emergency(router: Router) -> None:
    text = (
        "can steroids make you believe the radio is sending you messages? my wife has been like it since this morning"
    )
    assert route(router, text).kind == "urgent"


def test_a_workplace_drug_test_is_not_ours(router: Router) -> None:
    assert route(router, "will my prednisone make me fail a drugs test at work?").kind == "fallback"


@pytest.mark.parametrize(
    "text",
    [
        "who is the most famous person to have had ALS?",
        "fundraising ideas for ALS research",
        "what is the best hospital in Scotland for LEMS?",
    ],
)
def test_services_and_people_beside_a_condition_are_not_ours(router: Router, text: str) -> None:
    """No card answers them: the honest fallback, though LEMS or ALS is named."""
    assert route(router, text).kind == "fallback"


def test_a_wheelchair_one_day_is_still_the_outlook(router: Router) -> None:
    assert route(router, "is my wife likely to need a wheelchair in the end with her ALS?").card == "prognosis"


@pytest.mark.parametrize(
    "text",
    [
        "my friend told me about adrenal crisis and now I'm nervous, can it happen to me if I take my pred properly?",
        "what counts as an overdose with prednisone, how many mg is too much?",
    ],
)
def test_an_emergency_read_about_or_defined_is_a_question(router: Router, text: str) -> None:
    assert route(router, text).kind != "urgent"


def test_an_adrenal_crisis_read_about_but_happening_stays_urgent(router: Router) -> None:
    text = "he came off his steroids and has collapsed, I read about adrenal crisis online, is that it?"
    assert route(router, text).kind == "urgent"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # the drug named only before "stop it", and signs of collapse today
        (
            "Mum's had LEMS for years on pred. She stopped it on her own last week because she was sick of the "
            "puffy face. Today she's grey, sweating, her belly aches, she's been sick twice and can barely stand. "
            "Can she sleep it off?",
            "adrenal",
        ),
        # leaving for good, with the tablets on him
        (
            "my brother with MND has been down for weeks and tonight he says he'll walk off and never come back, "
            "he took all his tablets with him",
            "self-harm",
        ),
        # swallowing lost today, asked as "is it normal"
        ("is it normal to suddenly not be able to swallow my own spit? began this morning, I have ALS", "weakness"),
    ],
)
def test_emergencies_told_in_new_words(router: Router, text: str, kind: str) -> None:
    d = route(router, text)
    assert (d.kind, d.concept) == ("urgent", kind)


@pytest.mark.parametrize(
    "text",
    [
        "felt faint getting up this morning, it went within a minute, been fine all day since. worth telling my GP? "
        "on pred",
        "missed yesterday's pred, should I take two today or would that count as overdosing?",
        "is a decade of prednisone basically an overdose for your body?",
        "read that steroids can bring on suicidal thoughts now and again. my mood is fine, what should we watch for?",
        "dropped my tablet on the floor and lost it, so I took a fresh one, then spotted the old one under the bed. "
        "only swallowed the one I think",
    ],
)
def test_calm_questions_with_emergency_words_after_round_75(router: Router, text: str) -> None:
    assert route(router, text).kind != "urgent"


def test_a_drug_that_may_end_the_steroid_is_asked_where_it_fits(router: Router) -> None:
    text = "could imuran eventually get me off pred altogether? lambert eaton for 3 years"
    assert route(router, text).card == "lems-alternatives"


def test_stroke_signs_in_the_last_half_hour_beat_a_calm_word_about_the_pred(router: Router) -> None:
    text = (
        "maybe I'm just worn out, but my left arm has gone dead in the last half hour and my smile looks lopsided. "
        "on pred for a while now"
    )
    assert route(router, text).kind == "urgent"


def test_breathing_fine_before_and_not_now_is_urgent(router: Router) -> None:
    """The calm words are about before; the clause after says what is happening now."""
    assert route(router, "she was breathing fine a moment ago but now she cant breathe").kind == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "a few itchy red spots since starting pred, no swelling, breathing totally fine. "
        "is a rash worth phoning the GP?",
        "my husband fainted at his first infusion about 3 yrs ago, fine since. is IVIG or pred better for LEMS?",
        "how many pills counts as an overdose of prednisone? mum may have had one extra, she seems ok",
        "I know pred can cause suicidal thoughts in a few people. I'm fine in myself, what should my wife watch for?",
        "is 30mg of pyridostigmine four times a day too high a dose for my wife?",
        "had one extra 5mg pred by mistake, mixed up my packs, just one extra. anything to watch for?",
    ],
)
def test_calm_questions_with_emergency_words_after_round_76(router: Router, text: str) -> None:
    assert route(router, text).kind != "urgent"


def test_the_other_one_named_is_the_other_condition(router: Router) -> None:
    d = route(router, "what about the other one then, the motor neurone one", "does pred work for lambert eaton")
    assert d.card == "als-evidence"


def test_german_compound_tablet_word_swallowed_is_an_overdose(router: Router) -> None:
    text = "Meine Tochter hat eben ein paar Prednisolontabletten aus meiner Tasche geschluckt, was tun?"
    assert route(router, text).kind == "urgent"


def test_a_symptom_happening_now_is_not_dated_by_the_start_of_the_drug(router: Router) -> None:
    """ "Last week" dates starting the steroid; "since this morning" dates the swallowing."""
    text = "my wife with ALS began the pred last week and since this morning she can't swallow even water"
    assert route(router, text).kind == "urgent"


@pytest.mark.parametrize(
    ("before", "text"),
    [
        ("what is Firdapse", "how does it stack up, compared with prednisone?"),
        ("is riluzole any good", "could she take it alongside her prednisone?"),
    ],
)
def test_after_another_drug_set_beside_prednisone_stays_its_treatments_card(
    router: Router, before: str, text: str
) -> None:
    d = route(router, text, before)
    assert d.topic == "alternatives"


@pytest.mark.parametrize(
    "text",
    [
        "drowning, no, choking on all the medical words they used. what is LEMS in normal language?",
        "if I was ever knocked out in a crash, how would paramedics know I take steroids?",
        "had an information overdose this week lol, where does your prednisone info come from?",
        "is pred risky in ALS? dad's breathing is already not great, though he's fine right now",
    ],
)
def test_calm_questions_with_emergency_words_after_round_77(router: Router, text: str) -> None:
    assert route(router, text).kind != "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "does it matter if a four year old swallowed three 5mg pred tablets? he seems ok right now",
        "what happens if a small child swallowed several of my pred? she looks fine right now",
    ],
)
def test_a_child_who_swallowed_tablets_asked_about_and_watched_now_is_urgent(router: Router, text: str) -> None:
    assert route(router, text).kind == "urgent"


def test_whether_anyone_ever_overdosed_is_a_question(router: Router) -> None:
    assert route(router, "has anyone ever overdosed on firdapse? mum forgets whether she took it").kind != "urgent"
