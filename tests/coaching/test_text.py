from app.coaching.text import CustomerDetails, content_words, second_person, split_sentences


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


def test_second_person_and_placeholders():
    assert second_person("I was charged for my order") == "you were charged for your order"
    assert second_person("the third time I'm asking, I’ve waited") == "the third time you're asking, you've waited"
    assert "name" not in content_words("Hi #NAME#, thanks for waiting")


def test_details_leave_placeholders_out_of_the_customers_words():
    details = CustomerDetails()
    details.update("#NAME# A wrong charge has been made to my account.")
    assert "#NAME#" not in (details.issue or "") and "#NAME#" not in (details.quote or "")
    assert "wrong charge" in (details.issue or "")


def test_an_issue_written_in_capitals_is_quoted_in_plain_case():
    details = CustomerDetails()
    details.update("WHERE IS MY ORDER?? IT WAS SUPPOSED TO ARRIVE ON MONDAY!!")
    assert details.issue and details.issue == details.issue.lower() and "supposed to arrive" in details.issue
