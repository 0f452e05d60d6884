"""Agent flags, each with a firing and a non-firing case."""

import pytest

from tests.coaching.conftest import flag_kinds, run

ANGRY = ("customer", "This is ridiculous, I'm furious — you charged me twice for order 48213!")


def test_stock_apology_to_an_angry_customer_is_robotic(engine):
    agent = run(engine, ANGRY, ("agent", "We apologize for the inconvenience."))[1].agent
    assert "robotic" in {f.kind for f in agent.flags}
    assert agent.sentences[0].templated.flag and agent.sentences[0].templated.score >= 0.5


def test_personal_apology_is_not_robotic(engine):
    agent = run(
        engine,
        ANGRY,
        (
            "agent",
            "I'm sorry we charged you twice for order 48213 — that's our mistake, and I've refunded the second charge.",
        ),
    )[1].agent
    assert "robotic" not in {f.kind for f in agent.flags}
    assert not any(s.templated.flag for s in agent.sentences)


def test_a_long_concrete_sentence_is_not_robotic_for_its_length(engine):
    """Long sentences score as possibly pasted ("form"), and every sentence has *some* nearest
    stock line: neither makes a concrete action robotic."""
    fed_up = ("customer", "This is the third time I'm writing about the export crash, I'm really fed up.")
    for concrete in (
        "I've logged this bug with clear steps to reproduce and I'll follow up within 48 hours.",
        "I've refunded the duplicate charge and you'll see it back on your card in 3-5 days.",
    ):
        assert "robotic" not in flag_kinds(run(engine, fed_up, ("agent", concrete))[1]), concrete
    assert "robotic" in flag_kinds(run(engine, fed_up, ("agent", "Thank you for your patience."))[1])
    assert "robotic" not in flag_kinds(run(engine, fed_up, ("agent", "Hi Ann!"))[1])  # a greeting is routine


def test_a_stock_sign_off_beside_their_case_dealt_with_is_not_robotic_but_beside_a_vague_line_it_is(engine):
    """A turn relies on a stock line only when nothing in it deals with this customer's case: an action
    naming its particulars (an amount, a reference) makes the sign-off routine; a vague promise does not."""
    dealt_with = "I've refunded the £64.50 for booking KX-55210 today. Thank you for your patience."
    assert "robotic" not in flag_kinds(run(engine, ANGRY, ("agent", dealt_with))[1])
    vague = "We apologize for any inconvenience. Someone will look into it shortly."
    assert "robotic" in flag_kinds(run(engine, ANGRY, ("agent", vague))[1])


def test_a_process_described_for_anyone_does_not_make_a_stock_line_personal(engine):
    """ "The certificate is generated once ..." shares the customer's words, not their case: the stock
    acknowledgement beside it is what the turn relies on. The agent acting on their case is not."""
    stuck = (
        "customer",
        "I finished all 12 modules on Sunday and my certificate still says in progress. Deadline Friday!",
    )
    generic = (
        "I understand your frustration. The certificate is generated once each module is marked complete, "
        "which can take up to 72 hours."
    )
    assert "robotic" in flag_kinds(run(engine, stuck, ("agent", generic))[1])
    acted = "I understand your frustration. I've marked module 9 complete and requested your certificate now."
    assert "robotic" not in flag_kinds(run(engine, stuck, ("agent", acted))[1])


def test_greeting_and_pasted_steps_as_the_whole_answer_to_an_upset_customer_are_robotic(engine):
    pasted = "Hello, thank you for contacting FiberNest, my name is Kev. Please power off your router, wait 30 seconds."
    assert "robotic" in flag_kinds(run(engine, ANGRY, ("agent", pasted))[1])
    acknowledged = (
        "Being charged twice for order 48213 is maddening, I'm sorry. "
        "Please check your banking app for the second pending charge."
    )
    assert "robotic" not in flag_kinds(run(engine, ANGRY, ("agent", acknowledged))[1])
    calm = ("customer", "Hi, my router light is blinking orange, what should I do?")
    assert "robotic" not in flag_kinds(run(engine, calm, ("agent", pasted))[1])


def test_stock_phrase_to_a_calm_customer_is_templated_but_not_robotic(engine):
    agent = run(engine, ("customer", "Hi, what are your opening hours?"), ("agent", "Thank you for contacting us."))[1]
    assert agent.agent.sentences[0].templated.flag
    assert "robotic" not in flag_kinds(agent)


def test_policy_over_people_by_pattern_and_by_meaning(engine):
    by_pattern = run(engine, ANGRY, ("agent", "Sorry, it's against our policy to refund that."))[1]
    assert "policy_over_people" in flag_kinds(by_pattern)
    by_meaning = run(engine, ANGRY, ("agent", "Honestly there is nothing more I'm able to do here."))[1]
    assert "policy_over_people" in flag_kinds(by_meaning)
    helpful = run(engine, ANGRY, ("agent", "I can make an exception and refund the second charge today."))[1]
    assert "policy_over_people" not in flag_kinds(helpful)
    # Near "There's nothing I can do" for the encoder, but the opposite: a counter-example.
    willing = run(engine, ANGRY, ("agent", "Let me see what I can do for you."))[1]
    assert "policy_over_people" not in flag_kinds(willing)


def test_a_rule_stated_as_a_fact_is_policy_over_people(engine):
    """frameworks/phrases/policy.yaml: no "can't" needed for a wall ("are final", "per section 4.2 of our terms")."""
    for wall in (
        "All refund decisions are final.",
        "Claims must be made within 7 days, per section 4.2 of our Terms and Conditions.",
        "Any balance not covered remains the patient's responsibility.",
    ):
        assert "policy_over_people" in flag_kinds(run(engine, ANGRY, ("agent", wall))[1]), wall
    for plain in ("The final invoice is attached.", "I've checked our terms and you're entitled to a full refund."):
        assert "policy_over_people" not in flag_kinds(run(engine, ANGRY, ("agent", plain))[1]), plain


def test_a_rule_beside_what_the_agent_can_do_is_not_policy_over_people(engine):
    """A rule stated beside an offer in the agent's own voice says what can be done (by meaning and by
    the policy phrases, whose library says `unless_offered`)."""
    leaving = ("customer", "I'm moving away next week and want to cancel my gym membership, this is so annoying.")
    wall = "As per our membership terms, cancellations require 30 days' written notice."
    assert "policy_over_people" in flag_kinds(run(engine, leaving, ("agent", wall))[1])
    offered = wall + " I can log your notice today, so your last payment is on the 28th."
    assert "policy_over_people" not in flag_kinds(run(engine, leaving, ("agent", offered))[1])
    acted = "Substitutions are made when an item is out of stock. For this order I've set the milk to no substitutes."
    assert "policy_over_people" not in flag_kinds(run(engine, leaving, ("agent", acted))[1])
    but = "We can't refund bookings made with other companies, but I've emailed you a letter for your insurer."
    assert "policy_over_people" not in flag_kinds(run(engine, leaving, ("agent", but))[1])


def test_asking_again_for_what_the_customer_gave(engine):
    asked_again = run(engine, ANGRY, ("agent", "Could you please give me your order number?"))[1]
    flag = next(f for f in asked_again.agent.flags if f.kind == "repeat_ask")
    assert "48213" in flag.reason
    first_ask = run(
        engine, ("customer", "I was charged twice."), ("agent", "Could you please give me your order number?")
    )
    assert "repeat_ask" not in flag_kinds(first_ask[1])


@pytest.mark.parametrize(
    ("given", "asked_again"),
    [
        ("no hot water for 9 days at flat 2, 14 Mill Lane, please help", "Can you confirm the property address?"),
        ("the bill is wrong, account 55120-B, i cant pay this", "Could you give me your account number please?"),
        ("my Bosch WAW28750GB is leaking again and nobody came", "Can you confirm the make and model please?"),
        ("the sofa arrived torn, i emailed the photos yesterday", "Could you please send photos of the damage?"),
        ("ride ZW-88213 never ended and you charged me 41 euro!!", "Can you send me the ride ID please?"),
        ("i ended it at 18:09 and it kept charging me, ridiculous", "Could you tell me what time you ended the ride?"),
    ],
)
def test_asking_again_for_an_address_a_reference_a_model_or_photos(engine, given: str, asked_again: str):
    assert "repeat_ask" in flag_kinds(run(engine, ("customer", given), ("agent", asked_again))[1])


def test_asking_for_another_reference_or_someone_elses_details_is_no_repeat_ask(engine):
    order_given = ("customer", "the parcel for order 88213 never came, this is ridiculous")
    assert "repeat_ask" not in flag_kinds(run(engine, order_given, ("agent", "Can I take your account number?"))[1])
    address_given = ("customer", "no water at 3 Quarry Bank since monday, my neighbour is 86 and cant get out")
    neighbour = ("agent", "I'll add her to our priority list. What's her name and address?")
    assert "repeat_ask" not in flag_kinds(run(engine, address_given, neighbour)[1])


def test_asking_for_their_story_again_once_they_have_told_it(engine):
    told = (
        "customer",
        "My internet has been down since Sunday, I work from home and had to sit in a cafe for three days.",
    )
    for ask in ("Can I take your account number and a description of the issue?", "How can I help today?"):
        assert "repeat_ask" in flag_kinds(run(engine, told, ("agent", ask))[1]), ask
    first = run(engine, ("customer", "hi"), ("agent", "How can I help today?"))[1]
    assert "repeat_ask" not in flag_kinds(first)


def test_asking_again_leaves_listening_owed_even_to_a_calm_customer(engine):
    calm = ("customer", "hi, i see two charges of 21.90 on my card for order QX-88120?")
    asked_again = run(engine, calm, ("agent", "Could you please provide your order number?"))[1]
    assert "listen" in {card.step for card in asked_again.suggestions}
    first_ask = run(
        engine,
        ("customer", "hi, i see two charges of 21.90 on my card"),
        ("agent", "Could you please provide your order number?"),
    )[1]
    assert "listen" not in {card.step for card in first_ask.suggestions}


def test_solution_before_empathy(engine):
    upset = ("customer", "I'm so frustrated, the app has crashed all day and I've lost my work.")
    cold = run(engine, upset, ("agent", "Please try to log out and reinstall the app."))[1]
    assert "solution_before_empathy" in flag_kinds(cold)
    warm = run(
        engine,
        upset,
        (
            "agent",
            "Losing a day's work is awful, I can see why you're frustrated. "
            "Please try to log out and reinstall the app.",
        ),
    )[1]
    assert "solution_before_empathy" not in flag_kinds(warm)


def test_a_stock_apology_does_not_count_as_acknowledgement_before_the_steps(engine):
    upset = ("customer", "third time the engineer hasnt turned up, i took the day off AGAIN, this is a joke")
    pasted = "We apologize for any inconvenience. Please see the FAQ on our website for more information."
    assert "solution_before_empathy" in flag_kinds(run(engine, upset, ("agent", pasted))[1])


def test_sending_an_unacknowledged_customer_elsewhere_is_a_solution_before_empathy(engine):
    worried = ("customer", "my insulin still hasnt been delivered and i only have one pen left, im scared")
    elsewhere = "Please contact your GP surgery to confirm they sent the prescription."
    sent_away = run(engine, worried, ("agent", elsewhere))[1]
    assert "solution_before_empathy" in flag_kinds(sent_away)
    answered = run(engine, worried, ("agent", "Your prescription was sent to us on Monday."))[1]
    assert "solution_before_empathy" not in flag_kinds(answered)


def test_jargon_unless_the_customer_used_it(engine):
    jargon = run(engine, ("customer", "Why is my bill higher?"), ("agent", "That's the proration from your upgrade."))
    flag = next(f for f in jargon[1].agent.flags if f.kind == "jargon")
    assert flag.span.text.lower() == "proration"
    theirs = run(engine, ("customer", "Is the proration why my bill is higher?"), ("agent", "Yes, it's the proration."))
    assert "jargon" not in flag_kinds(theirs[1])
    telecom = run(engine, ("customer", "My router keeps dropping."), ("agent", "Please power-cycle the ONT."))[1]
    assert {f.span.text for f in telecom.agent.flags if f.kind == "jargon"} == {"power-cycle", "ONT"}


def test_compliance_wording_is_never_flagged(engine):
    analysis = run(engine, ANGRY, ("agent", "This chat may be recorded for quality and training purposes."))[1]
    sentence = analysis.agent.sentences[0]
    assert sentence.compliance and not sentence.templated.flag
    assert analysis.agent.flags == []


def test_single_sentence_agent_turn_has_its_own_score(engine):
    agent = run(engine, ("agent", "Hello!"))[0].agent
    assert len(agent.sentences) == 1 and 0.0 <= agent.sentences[0].templated.score <= 1.0


def test_a_company_voiced_stock_apology_before_steps_acknowledges_nothing(engine):
    """'We're sorry your order wasn't quite right' speaks for the company about any order: steps after it
    still come before empathy. An apology in the agent's own voice, about their case, is one."""
    wrong = ("customer", "Called Monday already!! you sent the chicken kibble again and my dog is allergic to chicken")
    stock = "We're sorry your order wasn't quite right. You can track your order anytime under My Account > Orders."
    assert "solution_before_empathy" in flag_kinds(run(engine, wrong, ("agent", stock))[1])
    sincere = (
        "I'm so sorry we sent chicken kibble again when your dog is allergic, that's worrying. "
        "You can track the replacement under My Account > Orders."
    )
    assert "solution_before_empathy" not in flag_kinds(run(engine, wrong, ("agent", sincere))[1])


@pytest.mark.parametrize(
    "helpless",
    [
        "Unfortunately I'm unable to provide a timeframe as the review is handled by a separate team.",
        "The inspection step is required for all remakes and it isn't something I'm able to skip.",
        "I don't have an ETA at this time.",
        "Managers are not available over chat.",
    ],
)
def test_helplessness_in_so_many_words_is_policy_over_people(engine, helpless: str):
    assert "policy_over_people" in flag_kinds(run(engine, ANGRY, ("agent", helpless))[1])


def test_sorry_you_feel_that_way_is_no_acknowledgement_of_their_case(engine):
    non_apology = "I'm sorry to hear you feel that way. Is there anything else I can help you with today?"
    assert "robotic" in flag_kinds(run(engine, ANGRY, ("agent", non_apology))[1])


def test_asking_why_they_want_to_cancel_once_they_said_why_is_a_repeat_ask(engine):
    told = ("customer", "I want to cancel, the panels were meant to go in in March and it's now July. I'm done.")
    asked = run(
        engine, told, ("agent", "Hi, this is Lena in accounts. Can you tell me why you'd like to cancel today?")
    )
    assert "repeat_ask" in flag_kinds(asked[1])
    first = run(engine, ("customer", "hi"), ("agent", "Can you tell me why you'd like to cancel today?"))
    assert "repeat_ask" not in flag_kinds(first[1])


@pytest.mark.parametrize(
    "apology",
    ["Sorry about that.", "I'm sorry to hear that.", "I'm sorry to hear you are still experiencing issues."],
)
def test_a_formula_apology_before_asking_for_details_is_robotic_and_settles_no_empathy(engine, apology):
    """The head may read "I'm sorry to hear that." as a half apology; it names nothing of theirs."""
    turns = run(engine, ANGRY, ("agent", f"{apology} Can you please provide your card number?"))
    assert "robotic" in flag_kinds(turns[1])
    assert "empathize" in {s.step for s in turns[1].suggestions}  # their feeling is still owed


def test_an_apology_that_names_what_went_wrong_is_not_a_formula(engine):
    turns = run(
        engine,
        ANGRY,
        (
            "agent",
            "I'm sorry we took the money twice for order 48213. Can you confirm the last four digits of the card?",
        ),
    )
    assert "robotic" not in flag_kinds(turns[1])


@pytest.mark.parametrize(
    "disclaimer",
    [
        "Our company is not responsible for the contents of lockers.",
        "Collection slots are estimates only.",
        "Accidental damage is not covered under the standard warranty.",
        "We do not provide legal advice.",
        "Address changes can't be processed over chat.",
    ],
)
def test_a_disclaimer_instead_of_help_is_policy_over_people_but_not_beside_an_offer(engine, disclaimer):
    assert "policy_over_people" in flag_kinds(run(engine, ANGRY, ("agent", disclaimer))[1])
    offered = f"{disclaimer} What I can do is refund the second charge on order 48213 today."
    assert "policy_over_people" not in flag_kinds(run(engine, ANGRY, ("agent", offered))[1])


def test_an_acronym_explained_in_the_same_breath_or_a_file_type_is_not_jargon(engine):
    asked = ("customer", "Why is the repair taking so long?")
    explained = run(engine, asked, ("agent", "The BB is the bottom bracket, the part the pedals turn on."))[1]
    assert "jargon" not in flag_kinds(explained)
    files = run(engine, asked, ("agent", "Please upload it as a PDF, DOC or DOCX under 5MB."))[1]
    assert "jargon" not in flag_kinds(files)
    bare = run(engine, asked, ("agent", "The BB needs replacing before we can ship it."))[1]
    assert "jargon" in flag_kinds(bare)


@pytest.mark.parametrize(
    ("customer", "ask"),
    [
        (
            "£20 came out of my account yesterday and my card still shows £0.40!",
            "Can you please provide your card number and the amount of the top-up?",
        ),
        (
            "my camera (serial HC2-88213) stopped recording after your update, furious",
            "Can you provide the serial number?",
        ),
        ("card 6330 5521 9048 was charged twice, this is a joke", "Can you please provide your card number?"),
    ],
)
def test_asking_again_for_an_amount_a_serial_or_a_card_they_gave_is_a_repeat_ask(engine, customer, ask):
    assert "repeat_ask" in flag_kinds(run(engine, ("customer", customer), ("agent", ask))[1])


def test_asking_for_an_amount_they_never_gave_is_no_repeat_ask(engine):
    turns = run(engine, ("customer", "my top-up never arrived on the card"), ("agent", "Can you confirm the amount?"))
    assert "repeat_ask" not in flag_kinds(turns[1])


def test_a_rule_beside_what_the_agent_found_in_their_case_is_not_recited_at_them(engine):
    recited = run(
        engine, ANGRY, ("agent", "Payments cannot be resent on the same day once the daily cut-off has passed.")
    )
    assert "robotic" in flag_kinds(recited[1])
    explained = run(
        engine,
        ANGRY,
        (
            "agent",
            "I can see the payment file we sent on your behalf was rejected, so nothing left your account. "
            "Payments cannot be resent on the same day once the daily cut-off has passed.",
        ),
    )
    assert "robotic" not in flag_kinds(explained[1])


@pytest.mark.parametrize(
    "own_doing",
    [
        "Can you please provide the card number so I can check the balance?",
        "This needs to go to our billing team, I will transfer you now.",
        "I will call the courier again first thing tomorrow.",
    ],
)
def test_the_agent_saying_what_they_will_do_is_no_solution_before_empathy(engine, own_doing):
    assert "solution_before_empathy" not in flag_kinds(run(engine, ANGRY, ("agent", own_doing))[1])


def test_steps_for_the_customer_before_any_acknowledgement_are_solution_before_empathy(engine):
    steps = run(engine, ANGRY, ("agent", "Please log out, clear the cache and try the payment again."))[1]
    assert "solution_before_empathy" in flag_kinds(steps)


def test_pasted_steps_as_the_whole_answer_settle_nothing(engine):
    turns = run(
        engine,
        ("customer", "my CV wont upload and the job closes at midnight, ive been out of work 4 months, please"),
        (
            "agent",
            "Please ensure your CV is in PDF format and under 5MB. Clear your browser cache and try again. "
            "If the issue persists, try a different browser.",
        ),
    )
    pasted = next(f for f in turns[1].agent.flags if f.kind == "robotic")
    assert pasted.span.text.endswith("try a different browser.")  # the whole pasted answer is the evidence
    assert "empathize" in {s.step for s in turns[1].suggestions}


def test_the_scripts_opener_to_a_customer_who_has_told_their_story_is_robotic(engine):
    opener = ("agent", "Hi, you're through to Finance. How can I help you today?")
    assert "robotic" in flag_kinds(run(engine, ANGRY, opener)[1])
    first = run(engine, ("agent", "Hi, you're through to Finance. How can I help you today?"))[0]
    assert "robotic" not in flag_kinds(first)  # the same words opening a chat are just a greeting
