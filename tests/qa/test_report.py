"""The QA report's HTML: the numbers a QA lead reads, worked out by hand from four scored
conversations; escaping; and that the page is self-contained (inline SVG, nothing fetched)."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

from app.coaching.analysis import Span
from app.qa.models import ConversationScore, CriterionResult, Evidence, Sentiment
from app.qa.report import normalise_phrase, render_report
from app.qa.themes import Theme

SCRIPT = "<script>alert('owned')</script>"
CRITERIA = {
    "empathy": ("Empathy before solution", "weighted"),
    "robotic": ("Not robotic or templated", "weighted"),
    "transfer": ("Warm transfer with a summary", "weighted"),
    "abuse": ("No abusive language", "auto_fail"),
    "bonus": ("Remembered the customer", "bonus"),
}


def result(cid: str, outcome: str, evidence: list[Evidence] | None = None) -> CriterionResult:
    name, kind = CRITERIA[cid]
    return CriterionResult(
        id=cid,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        outcome=outcome,  # type: ignore[arg-type]
        weight=10.0,
        earned=10.0 if outcome == "pass" else 0.0,
        reason=f"{name}: {outcome}",
        evidence=evidence or [],
    )


def conversation(cid: str, score: float, outcomes: dict[str, str], **fields: object) -> ConversationScore:
    evidence: dict[str, list[Evidence]] = fields.pop("evidence", {})  # type: ignore[assignment]
    criteria = [result(c, outcomes.get(c, "na"), evidence.get(c)) for c in CRITERIA]
    return ConversationScore(conversation_id=cid, score=score, criteria=criteria, turns=8, **fields)  # type: ignore[arg-type]


def hand_scores() -> list[ConversationScore]:
    """Four conversations whose report figures are worked out in the test below."""
    return [
        conversation(
            "c-1",
            90,
            {"empathy": "pass", "robotic": "pass", "abuse": "pass"},
            agent_ids=["ana"],
            sentiment=Sentiment(start=-0.5, end=0.5, trend="improving", points=[-0.5, 0.0, 0.5]),
            robotic_phrases=["We apologize for any inconvenience."],
            problem_statement="My refund never arrived.",
        ),
        conversation(
            "c-2",
            40,
            {"empathy": "fail", "robotic": "fail", "transfer": "fail", "abuse": "pass"},
            agent_ids=["ben"],
            escalated=True,
            escalation_signals=["frustration", "escalation_request", "frustration"],
            repeat_contact=True,
            robotic_phrases=["we apologize  for any inconvenience", "Thank you for your patience."],
            policy_lines=["It is against our policy to refund."],
            problem_statement=f"I typed {SCRIPT} and your page broke",
            evidence={
                "empathy": [
                    Evidence(turn=3, role="agent", span=Span(start=0, end=11, text="Please hold"), note="fix first"),
                    Evidence(turn=2, role="customer", span=None, note=f"customer wrote {SCRIPT}"),
                ]
            },
        ),
        conversation(
            "c-3",
            0,
            {"empathy": "pass", "robotic": "fail", "abuse": "fail"},
            agent_ids=["ana", "ben"],
            auto_failed=True,
            escalated=True,
            escalation_signals=["frustration"],
            sentiment=Sentiment(start=0.2, end=-0.8, trend="worsening", points=[0.2, -0.3, -0.8]),
            evidence={"abuse": [Evidence(turn=5, role="agent", note="agent swore at the customer")]},
        ),
        conversation(
            "c-4",
            76,
            {"robotic": "pass", "abuse": "pass"},
            sentiment=Sentiment(start=0.1, end=0.1, trend="steady", points=[0.1, 0.1]),
        ),
    ]


class Tables(HTMLParser):
    """Each table's rows (cell texts) by the table's class, and every tag's attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.attributes: list[tuple[str, dict[str, str | None]]] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes.append((tag, dict(attrs)))
        if tag == "table":
            self._table = dict(attrs).get("class") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parsed(page: str) -> Tables:
    tables = Tables()
    tables.feed(page)
    return tables


def stat(page: str, name: str) -> str:
    found = re.search(rf'data-stat="{name}">([^<]+)<', page)
    assert found, name
    return found.group(1).strip()


def render(scores: list[ConversationScore], themes: list[Theme] | None = None) -> str:
    return render_report(scores, themes or [], title="QA week 14", generated="2025-04-07 09:00", source="chats.jsonl")


def test_headline_numbers_are_the_ones_worked_out_by_hand():
    page = render(hand_scores())
    assert stat(page, "conversations") == "4"
    assert stat(page, "mean") == "51.5"  # (90 + 40 + 0 + 76) / 4
    assert stat(page, "median") == "58.0"  # (40 + 76) / 2
    assert stat(page, "auto-fail") == "25.0%"
    assert "1 of 4 scored 0" in page
    assert stat(page, "escalation") == "50.0%"
    assert stat(page, "repeat-contact") == "25.0%"


def test_criteria_pass_rates_leave_out_na_and_show_their_n():
    page = render(hand_scores())
    # Empathy: pass, fail, pass, N/A -> 2 of 3; robotic 2 of 4; transfer 0 of 1; abuse 3 of 4.
    assert ">67% (N=3)<" in page
    assert ">50% (N=4)<" in page
    assert ">0% (N=1)<" in page
    assert ">75% (N=4)<" in page
    assert "Never applied" in page and "Remembered the customer" in page


def test_the_agent_table_counts_shared_conversations_for_each_agent():
    rows = parsed(render(hand_scores())).tables["agents"]
    header, *body = rows
    assert header[:3] == ["Agent", "Conversations", "Mean score"]
    # Every criterion that applied somewhere; the bonus, N/A everywhere, has no column.
    assert header[3:] == [name for cid, (name, _) in CRITERIA.items() if cid != "bonus"]
    by_agent = {row[0]: row for row in body}
    assert list(by_agent) == ["All conversations", "ana", "ben"]
    # ana: c-1 and c-3 (90, 0); ben: c-2 and c-3 (40, 0).
    assert by_agent["ana"][1:4] == ["2", "45.0", "100% n=2"]
    assert by_agent["ana"][4] == "50% n=2"
    assert by_agent["ben"][1:5] == ["2", "20.0", "50% n=2", "0% n=2"]
    assert by_agent["ben"][5] == "0% n=1"
    assert by_agent["ana"][5] == "N/A"
    assert by_agent["All conversations"][1:4] == ["4", "51.5", "67% n=3"]
    assert "1 of 4 conversations name no agent" in " ".join(render(hand_scores()).split())


def test_phrases_are_counted_with_case_and_spacing_folded():
    assert normalise_phrase("  We  APOLOGIZE for any inconvenience. ") == "we apologize for any inconvenience"
    tables = parsed(render(hand_scores())).tables
    assert tables["phrases robotic"][1:] == [
        ["We apologize for any inconvenience.", "2", "2"],
        ["Thank you for your patience.", "1", "1"],
    ]
    assert tables["phrases policy"][1:] == [["It is against our policy to refund.", "1", "1"]]


def test_sentiment_escalation_and_worst_conversations():
    page = render(hand_scores())
    for trend, count in {"improving": 1, "steady": 1, "worsening": 1, "unknown": 1}.items():
        assert f'data-trend="{trend}">{count}<' in page
    assert "Mean start -0.07, mean end -0.07" in page  # (-0.5 + 0.2 + 0.1) / 3, (0.5 - 0.8 + 0.1) / 3
    # Escalations: frustration in both escalated conversations (once each), the request in one.
    assert "frustration 2; escalation request 1" in page
    assert "2 (100%)" in page and "1 (50%)" in page
    assert "0 of 2 escalated" in " ".join(page.split())
    worst = re.findall(r'<span class="chat-id">([^<]+)</span>', page)
    assert worst == ["c-3", "c-2", "c-4", "c-1"]
    assert "agent swore at the customer" in page
    assert "<q>Please hold</q>" in page


def test_user_text_is_escaped():
    theme = Theme(name="page / broke", terms=["page", "broke"], size=2, share=0.5, examples=[SCRIPT, "x"])
    page = render(hand_scores(), [theme])
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    weird = conversation("<b>id</b>", 10, {"robotic": "fail"}, agent_ids=["<i>eve</i>"])
    page = render([weird])
    assert "<b>id</b>" not in page and "<i>eve</i>" not in page
    assert "&lt;b&gt;id&lt;/b&gt;" in page


def test_the_page_is_self_contained_with_inline_svg_charts():
    page = render(hand_scores())
    tags = parsed(page).attributes
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert ("html", {"lang": "en"}) in tags
    assert "<title>QA week 14</title>" in page
    # No script, stylesheet link, iframe, image or font: nothing the browser would fetch.
    assert not [tag for tag, _ in tags if tag in ("script", "link", "img", "iframe", "object", "embed")]
    assert "@import" not in page and "url(http" not in page and "@font-face" not in page
    assert not re.search(r"https?://", page)  # not even the SVG namespace URIs
    for tag, attributes in tags:
        for name in ("href", "src", "xlink:href"):
            value = attributes.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
    svgs = [attributes for tag, attributes in tags if tag == "svg"]
    assert len(svgs) == 4  # scores, criteria, sentiment, escalation signals
    assert all(a.get("role") == "img" and a.get("aria-labelledby") for a in svgs)
    ids = [a["id"] for _, a in tags if "id" in a]
    assert len(ids) == len(set(ids)), "ids repeated across the inlined charts"
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert "font-family" in page and "<text" in page  # svg.fonttype none: labels are text, not paths


def test_the_same_scores_give_the_same_file():
    assert render(hand_scores()) == render(hand_scores())


def test_nothing_scored_is_a_clear_page():
    page = render([])
    assert "Nothing scored" in page and "<svg" not in page and "chats.jsonl" in page


def test_no_agents_no_themes_and_all_not_applicable():
    scores = [conversation(f"n-{i}", 50 + i, {}) for i in range(3)]
    page = render(scores)
    assert "No agent ids" in page
    assert "No criterion applied to any of the 3 conversations (all N/A)" in page
    assert "No recurring theme" in page
    assert "No conversation was escalated" in page
    assert "No customer sentiment was measured" in page
    assert page.count("<svg") == 1  # only the score histogram has anything to draw


def many_scores(count: int, seed: int = 7) -> list[ConversationScore]:
    """A plausible week of scored conversations (deterministic), for layout and the browser test."""
    rng = random.Random(seed)
    agents = ["amira.k", "ben.o", "chen.l", "dana.r", "eli.m", "farah.s"]
    robotic = [
        "We apologize for any inconvenience.",
        "Thank you for your patience.",
        "Your satisfaction is our top priority.",
        "Is there anything else I can help you with today?",
    ]
    policy = ["Per our policy, refunds take 10 business days.", "I'm afraid that is against our policy."]
    statements = ["My refund hasn't arrived.", "The app crashes when I log in.", "My parcel is late.", SCRIPT]
    signals = ["frustration", "escalation_request", "churn_threat", "repeated_question", "abuse"]
    scores = []
    for i in range(count):
        auto_fail = rng.random() < 0.06
        outcomes = {c: rng.choices(["pass", "fail", "na"], weights=[6, 2, 1])[0] for c in CRITERIA if c != "bonus"}
        if auto_fail:
            outcomes["abuse"] = "fail"
        start = rng.uniform(-0.9, 0.3)
        points = [max(-1.0, min(1.0, start + rng.gauss(0.08 * step, 0.25))) for step in range(rng.randint(2, 7))]
        change = points[-1] - points[0]
        trend = "improving" if change > 0.2 else "worsening" if change < -0.2 else "steady"
        escalated = rng.random() < 0.2
        evidence = {
            c: [
                Evidence(
                    turn=rng.randint(1, 9),
                    role="agent",
                    span=Span(start=0, end=5, text=rng.choice(robotic)),
                    note=f"{CRITERIA[c][0].lower()}: missed",
                )
            ]
            for c, outcome in outcomes.items()
            if outcome == "fail"
        }
        scores.append(
            conversation(
                f"chat-{i:04d}",
                0.0 if auto_fail else round(rng.triangular(20, 100, 82), 1),
                outcomes,
                agent_ids=rng.sample(agents, k=rng.choice([1, 1, 1, 2])),
                auto_failed=auto_fail,
                sentiment=Sentiment(start=points[0], end=points[-1], trend=trend, points=points),
                escalated=escalated,
                escalation_signals=rng.sample(signals, k=rng.randint(0, 3)) if escalated else [],
                repeat_contact=rng.random() < 0.15,
                problem_statement=rng.choice(statements),
                robotic_phrases=rng.sample(robotic, k=rng.randint(0, 2)),
                policy_lines=rng.sample(policy, k=rng.choice([0, 0, 1])),
                evidence=evidence,
            )
        )
    return scores


def test_a_large_week_renders_quickly_and_stays_small():
    import time

    scores = many_scores(2000)
    started = time.perf_counter()
    page = render(scores)
    assert time.perf_counter() - started < 10
    assert len(page) < 600_000  # charts summarise: the page does not grow with every conversation
    assert stat(page, "conversations") == "2000"


def test_reports_rendered_on_several_threads_are_the_same_as_one_alone():
    from concurrent.futures import ThreadPoolExecutor

    alone = render(hand_scores())
    with ThreadPoolExecutor(4) as pool:
        pages = list(pool.map(lambda _: render(hand_scores()), range(4)))
    assert all(page == alone for page in pages)
