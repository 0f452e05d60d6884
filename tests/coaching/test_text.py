from app.coaching.text import CustomerDetails, content_words, split_sentences


def test_split_sentences_keeps_offsets():
    text = "Hi there. I was charged twice! Why?\nthanks"
    spans = split_sentences(text)
    assert [s.text for s in spans] == ["Hi there.", "I was charged twice!", "Why?", "thanks"]
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_customer_details_are_extracted_and_the_first_complaint_is_the_issue():
    details = CustomerDetails()
    details.update("Hi, I was charged twice for order #58213 on March 3rd. My email is ann@example.com.")
    details.update("I want to speak to a manager or I will cancel.")
    assert details.orders == ["58213"]
    assert details.dates == ["March 3rd"]
    assert details.emails == ["ann@example.com"]
    assert details.issue is not None and details.issue.startswith("you were charged twice")
    assert "manager" not in details.issue


def test_placeholders_are_not_words():
    assert "name" not in content_words("Hi #NAME#, thanks for waiting")


def test_an_issue_is_a_clause_in_the_agents_voice_never_a_question():
    details = CustomerDetails()
    assert details.update("why is my bill so high???") is False or details.issue is None
    details.update("you charged me twice for order 4471!!")
    assert details.issue == "we charged you twice for order 4471"
    assert details.explained


def test_personal_means_their_specifics_not_any_shared_word():
    details = CustomerDetails()
    details.update("My parcel for order 99812 never arrived and it was a birthday present.")
    assert details.personal("I'm sorry order 99812 didn't reach you in time.")
    assert details.personal("I'm so sorry the birthday present didn't make it.")
    assert not details.personal("Your order is important to us.")  # "order" is every chat's word


def test_details_leave_placeholders_out_of_the_customers_words():
    details = CustomerDetails()
    details.update("#NAME# A wrong charge has been made to my account.")
    assert "#NAME#" not in (details.issue or "") and "#NAME#" not in (details.quote or "")
    assert "wrong charge" in (details.issue or "")


def test_an_issue_written_in_capitals_is_quoted_in_plain_case():
    details = CustomerDetails()
    details.update("WHERE IS MY ORDER?? IT WAS SUPPOSED TO ARRIVE ON MONDAY!!")
    assert details.issue and details.issue == details.issue.lower() and "supposed to arrive" in details.issue


def test_a_reference_holds_a_digit_or_is_a_code_in_capitals():
    """'order didn't', 'my order arrived' name no order; 'order #A77120', 'account number is 55120-B',
    'ORDER ABCDEF' do (a case-blind pattern once read 'didn' and 'arrived' as order numbers)."""
    from app.coaching.text import CustomerDetails, names_specifics

    details = CustomerDetails()
    details.update("my order arrived broken and the order didn't have the receipt")
    assert details.orders == [] and not names_specifics("We're sorry your order didn't meet expectations.")
    details.update("order #A77120, and my account number is 55120-B, voucher ORDER ABCDEF")
    assert details.orders == ["A77120", "55120-B", "ABCDEF"]
    assert details.ids_by_kind["account"] == "55120-B"


def test_a_reference_code_or_a_clock_time_is_a_particular_of_the_case():
    from app.coaching.text import names_specifics

    assert names_specifics("Give them this chat reference, KR-88214, at the desk.")
    assert names_specifics("Your car was full at 21:52 and unplugged later.")
    assert not names_specifics("Refunds are reviewed within 3-5 business days.")
