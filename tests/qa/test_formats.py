"""The readers and writers of `coach score` (app/qa/formats.py) on small hand-written fixtures."""

from __future__ import annotations

import base64
import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.coaching.conversation import Conversation, Turn
from app.qa.formats import (
    ANALYSIS_SCHEMA,
    AgentTable,
    FormatError,
    ReadResult,
    detect_format,
    read_conversations,
    vcon_uuid,
    vcon_with_analysis,
)
from app.qa.models import ConversationScore, CriterionResult

QA_FIXTURES = Path(__file__).parent.parent / "fixtures" / "qa"


def _read(name: str) -> list[ReadResult]:
    return list(read_conversations(QA_FIXTURES / name))


def _turns(result: ReadResult) -> list[tuple[str, str | None, str]]:
    assert result.conversation is not None, result.describe()
    return [(turn.role, turn.agent_id, turn.text) for turn in result.conversation.turns]


def _criterion(criterion_id: str, outcome: str) -> CriterionResult:
    return CriterionResult(
        id=criterion_id,
        name=criterion_id.title(),
        kind="weighted",
        outcome=outcome,
        weight=1.0,
        earned=1.0 if outcome == "pass" else 0.0,
        reason="test",
    )


def _score(
    conversation_id: str, agents: list[str], score: float, outcomes: dict[str, str], auto_failed: bool = False
) -> ConversationScore:
    criteria = [_criterion(criterion_id, outcome) for criterion_id, outcome in outcomes.items()]
    return ConversationScore(
        conversation_id=conversation_id,
        agent_ids=agents,
        score=score,
        criteria=criteria,
        turns=2,
        auto_failed=auto_failed,
    )


# --- format detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("transcripts.jsonl", "jsonl"),
        ("turns.csv", "csv"),
        ("support_chat.vcon.json", "vcon"),
        ("vcons.jsonl", "vcon"),  # .jsonl, but its lines are vCons
        ("vcon_array.json", "vcon"),
    ],
)
def test_detect_format_of_the_fixtures(name: str, expected: str) -> None:
    assert detect_format(QA_FIXTURES / name) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('\n\n[{"uuid": "u"}]', "vcon"),
        ('{"conversation_id": "c", "turns": []}\n', "jsonl"),
        ('  {"uuid": "u", "parties": [], "dialog": []}\n', "vcon"),
        ('{\n  "uuid": "u",\n  "parties": []\n}\n', "vcon"),  # pretty-printed: not one object per line
        ("Conversation_ID,role,text\nc,agent,hi\n", "csv"),
    ],
)
def test_detect_format_without_an_extension_sniffs_the_first_character(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "export.txt"
    path.write_text(content, encoding="utf-8")
    assert detect_format(path) == expected


@pytest.mark.parametrize("content", ["", "\n  \n", "just some prose\n"])
def test_detect_format_refuses_what_it_cannot_tell(tmp_path: Path, content: str) -> None:
    path = tmp_path / "mystery"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match="mystery"):
        detect_format(path)


def test_read_conversations_checks_the_format_and_file_at_the_call(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="xml"):
        read_conversations(QA_FIXTURES / "turns.csv", "xml")
    with pytest.raises(FileNotFoundError):
        read_conversations(tmp_path / "absent.csv")


# --- transcript JSONL -------------------------------------------------------------------------------


def test_jsonl_reader_skips_blank_lines_and_reports_bad_ones_by_line() -> None:
    results = _read("transcripts.jsonl")

    assert [(r.where, r.ok) for r in results] == [
        ("line 1", True),
        ("line 3", True),  # line 2 is blank: skipped, and the numbering keeps counting it
        ("line 4", False),
        ("line 5", False),
        ("line 7", True),  # line 6 holds only spaces
    ]
    missing_role, cut_off = results[2], results[3]
    assert "role" in (missing_role.error or "")
    assert "invalid JSON" in (cut_off.error or "")
    assert cut_off.describe().startswith(f"{QA_FIXTURES / 'transcripts.jsonl'}:line 5: ")

    first = results[0]
    assert first.conversation is not None and first.conversation.conversation_id == "c-100"
    assert [turn.agent_id for turn in first.conversation.turns] == [None, "ana", "ben", None]
    assert first.conversation.turns[1].ts == datetime(2024, 5, 2, 18, 1, 10, tzinfo=UTC)
    assert first.raw is not None and first.raw["conversation_id"] == "c-100"
    assert _turns(results[4])[1] == ("system", None, "Chat transferred to the store team.")


# --- CSV --------------------------------------------------------------------------------------------


def test_csv_reader_groups_rows_by_conversation_even_when_interleaved() -> None:
    results = _read("turns.csv")
    by_id = {r.conversation.conversation_id: r for r in results if r.conversation is not None}

    assert list(by_id) == ["c-200", "c-201", "c-203"]  # in order of each one's first row
    # c-200's third row comes after c-201 started: it is merged back, in row order.
    assert _turns(by_id["c-200"]) == [
        ("customer", None, "My parcel never arrived, and the tracking page is stuck."),
        ("agent", "ana", "Sorry about that - let me check the courier's record."),
        ("customer", None, "Thanks. Any idea when it will come?"),
    ]
    assert [turn.ts for turn in by_id["c-200"].conversation.turns] == [
        datetime(2024, 3, 4, 9, minute, tzinfo=UTC) for minute in (0, 1, 3)
    ]
    assert _turns(by_id["c-201"]) == [
        ("customer", None, "Can I change my delivery address?"),
        ("agent", "ben", "Yes - I've updated it for you."),
    ]
    assert by_id["c-200"].conversation.turns[0].model_extra == {"channel": "web"}  # extra columns ride along
    c203 = by_id["c-203"].conversation.turns
    assert (c203[0].role, c203[0].agent_id) == ("agent", "cy")  # "Agent " is read as agent
    assert c203[1].text.splitlines() == ["First line", "second line of the same message"]


def test_csv_reader_reports_bad_rows_and_leaves_their_conversation_out() -> None:
    errors = [r for r in _read("turns.csv") if not r.ok]

    assert [r.where for r in errors] == ["line 8", "line 10", "line 14"]
    missing_role, no_id, bad_time = (r.error or "" for r in errors)
    assert "role is empty" in missing_role and "c-202" in missing_role
    assert "conversation_id is empty" in no_id
    assert "ts" in bad_time and "c-204" in bad_time


def test_csv_reader_names_missing_header_columns(tmp_path: Path) -> None:
    path = tmp_path / "turns.csv"
    path.write_text("conversation_id,speaker,text\nc-1,agent,hello\n", encoding="utf-8")

    [result] = read_conversations(path)

    assert result.where == "line 1" and not result.ok
    assert "lacks role" in (result.error or "")


def test_csv_reader_flags_a_row_with_more_cells_than_the_header(tmp_path: Path) -> None:
    path = tmp_path / "turns.csv"
    path.write_text("conversation_id,role,text\nc-1,customer,hi, there\nc-2,agent,fine\n", encoding="utf-8")

    results = list(read_conversations(path))

    assert [(r.where, r.ok) for r in results] == [("line 2", False), ("line 3", True)]
    assert "quote" in (results[0].error or "")


# --- vCon -------------------------------------------------------------------------------------------


def test_vcon_reader_maps_roles_from_the_role_field_and_reads_text_dialogs_in_time_order() -> None:
    [result] = _read("support_chat.vcon.json")

    assert result.conversation is not None
    assert result.conversation.conversation_id == "0190b3c2-7a10-8c3e-9f00-4d1e2a5b6c01"
    # Party 0 is the agent here (its role says so); the recording and the bodiless (redacted) text are
    # skipped; dialog 4 (base64url, 10:04) comes before dialog 3 (10:05), and dialog 3's originator
    # overrides its parties list.
    assert _turns(result) == [
        ("agent", "Dana Reyes", "Hello, you're through to Dana. How can I help?"),
        ("customer", None, "My order 5521 was due Monday and hasn't come."),
        ("customer", None, "Still nothing here, and I need it by Friday."),
        ("agent", "Dana Reyes", "I'm sorry it's late. I've asked the courier to redeliver tomorrow."),
    ]
    assert result.raw is not None and result.raw["x_crm_case"] == "CASE-5521"


def test_vcon_lines_map_meta_roles_fall_back_to_first_speaker_and_report_bad_records() -> None:
    results = _read("vcons.jsonl")

    assert [(r.where, r.ok) for r in results] == [
        ("line 1", True),
        ("line 3", True),
        ("line 4", False),
        ("line 5", False),
        ("line 6", False),
    ]
    assert _turns(results[0]) == [
        ("customer", None, "Hi, my card was charged twice."),
        ("agent", "Priya", "I can see both charges; I'll refund the second one."),
    ]
    # Nothing labels the parties: party 1 speaks first, so it is the customer, not party 0; the agent
    # has no name, so its mailto (without the scheme) is its id.
    assert _turns(results[1]) == [
        ("customer", None, "The app crashes when I open settings."),
        ("agent", "lee@support.example", "Which version are you on?"),
        ("customer", None, "4.2.1 on Android."),
    ]
    out_of_range, recording_only, cut_off = (r.error or "" for r in results[2:])
    assert "party 3" in out_of_range
    assert "no text dialog" in recording_only
    assert "invalid JSON" in cut_off


def test_vcon_array_reads_each_item_and_explains_a_signed_one() -> None:
    results = _read("vcon_array.json")

    assert [(r.where, r.ok) for r in results] == [
        ("item 1 of the JSON array", True),
        ("item 2 of the JSON array", False),
    ]
    assert "signed" in (results[1].error or "")


def test_vcon_reader_reports_a_broken_document_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "uuid": "u",\n  "parties": [,]\n}\n', encoding="utf-8")

    [result] = read_conversations(path)

    assert result.where == "line 3, column 15" and "invalid JSON" in (result.error or "")


def test_vcon_reader_turns_a_role_field_into_the_customer_even_when_listed_second(tmp_path: Path) -> None:
    vcon = {
        "uuid": "u-1",
        "parties": [{"name": "Agent Smith"}, {"name": "Pat", "role": "customer"}],
        "dialog": [
            {"type": "text", "parties": [0], "body": "Welcome to support.", "encoding": "none"},
            {"type": "text", "parties": [1], "body": "Hi, my order is late.", "encoding": "none"},
        ],
    }
    path = tmp_path / "one.vcon"
    path.write_text(json.dumps(vcon), encoding="utf-8")

    [result] = read_conversations(path)

    # Pat is labelled the customer, so the unlabelled first speaker is an agent.
    assert _turns(result) == [
        ("agent", "Agent Smith", "Welcome to support."),
        ("customer", None, "Hi, my order is late."),
    ]


# --- writers ----------------------------------------------------------------------------------------


def test_new_vcon_round_trips_to_the_same_turns_and_is_deterministic(tmp_path: Path) -> None:
    [timed] = [r for r in _read("transcripts.jsonl") if r.ok and r.conversation.conversation_id == "c-100"]
    untimed = Conversation(
        conversation_id="c-untimed",
        turns=[
            Turn(role="customer", text="Where is my refund?"),
            Turn(role="system", text="Transferred to billing."),
            Turn(role="agent", text="It went out this morning."),
        ],
    )
    originals = [timed.conversation, untimed]
    vcons = []
    for conversation in originals:
        assert conversation is not None
        score = _score(conversation.conversation_id, ["ana"], 72.5, {"empathy": "pass"})
        vcon = vcon_with_analysis(conversation, score, None)
        assert vcon == vcon_with_analysis(conversation, score, None)  # re-runs give the same vCon
        assert vcon["uuid"] == vcon_uuid(conversation.conversation_id)
        [entry] = vcon["analysis"]
        assert entry["dialog"] == list(range(len(conversation.turns)))
        assert (entry["vendor"], entry["schema"], entry["encoding"]) == ("coachline", ANALYSIS_SCHEMA, "json")
        assert ConversationScore.model_validate_json(entry["body"]) == score
        vcons.append(vcon)
    assert vcons[0]["created_at"] == "2024-05-02T18:00:00+00:00"  # the earliest turn
    assert all("start" not in dialog for dialog in vcons[1]["dialog"])  # no time invented

    path = tmp_path / "scored.jsonl"
    path.write_text("".join(json.dumps(vcon) + "\n" for vcon in vcons), encoding="utf-8")
    read_back = list(read_conversations(path))

    assert all(r.ok for r in read_back)
    for original, result in zip(originals, read_back, strict=True):
        assert original is not None and result.conversation is not None
        assert result.conversation.conversation_id == vcon_uuid(original.conversation_id)
        assert [(t.role, t.text, t.ts, t.agent_id) for t in result.conversation.turns] == [
            (t.role, t.text, t.ts, t.agent_id) for t in original.turns
        ]


def test_vcon_with_analysis_keeps_the_source_and_points_at_its_text_dialogs() -> None:
    [result] = _read("support_chat.vcon.json")
    assert result.conversation is not None and result.raw is not None
    source_before = json.dumps(result.raw, sort_keys=True)
    score = _score(result.conversation.conversation_id, ["Dana Reyes"], 88.0, {"empathy": "pass"})

    scored = vcon_with_analysis(result.conversation, score, result.raw)

    assert json.dumps(result.raw, sort_keys=True) == source_before  # the source is not modified
    assert {key: value for key, value in scored.items() if key != "analysis"} == {
        key: value for key, value in result.raw.items() if key != "analysis"
    }
    theirs, ours = scored["analysis"]
    assert theirs == result.raw["analysis"][0]
    # Turn i came from dialog ours["dialog"][i]: the recording (2) and redacted text (5) are not there,
    # and dialog 4 precedes dialog 3 in time.
    assert ours["dialog"] == [0, 1, 4, 3]
    assert json.loads(ours["body"])["score"] == 88.0

    rescored = vcon_with_analysis(result.conversation, score.model_copy(update={"score": 40.0}), scored)
    assert len(rescored["analysis"]) == 2  # our earlier entry is replaced, not stacked
    assert json.loads(rescored["analysis"][1]["body"])["score"] == 40.0

    shorter = result.conversation.model_copy(update={"turns": result.conversation.turns[:2]})
    with pytest.raises(ValueError, match="4 text dialogs"):
        vcon_with_analysis(shorter, score, result.raw)


def test_vcon_reader_decodes_base64url_bodies_without_padding(tmp_path: Path) -> None:
    text = "Ça marche, merci !"  # non-ASCII: decoded as UTF-8
    body = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    vcon = {
        "uuid": "u-b64",
        "parties": [{"role": "customer"}],
        "dialog": [{"type": "text", "parties": 0, "encoding": "base64url", "body": body}],
    }
    path = tmp_path / "b64.json"
    path.write_text(json.dumps(vcon), encoding="utf-8")

    [result] = read_conversations(path)

    assert _turns(result) == [("customer", None, text)]


def test_agent_table_figures_match_a_hand_count(tmp_path: Path) -> None:
    table = AgentTable()
    table.add(_score("c1", ["ana"], 80.0, {"empathy": "pass", "resolution": "fail", "hold": "na"}))
    table.add(_score("c2", ["ana", "ben"], 65.5, {"empathy": "fail", "resolution": "pass", "hold": "pass"}))
    table.add(_score("c3", [], 0.0, {"empathy": "pass", "resolution": "na", "hold": "fail"}, auto_failed=True))
    table.add(_score("c4", ["ana"], 90.0, {"empathy": "pass", "resolution": "pass", "hold": "na"}))
    path = tmp_path / "agents.csv"

    table.write(path)

    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        rows = {row["agent_id"]: row for row in reader}
    assert header == [
        "agent_id",
        "conversations",
        "mean_score",
        "auto_fails",
        "pass_rate:empathy",
        "pass_rate:resolution",
        "pass_rate:hold",
    ]
    # By hand: ana is in c1, c2, c4: mean (80 + 65.5 + 90) / 3 = 78.5; empathy pass/fail/pass = 2/3;
    # resolution fail/pass/pass = 2/3; hold na/pass/na = 1/1.
    assert rows["ana"] == {
        "agent_id": "ana",
        "conversations": "3",
        "mean_score": "78.5",
        "auto_fails": "0",
        "pass_rate:empathy": "0.667",
        "pass_rate:resolution": "0.667",
        "pass_rate:hold": "1.0",
    }
    # ben is in c2 only (shared with ana, counted fully for both).
    assert rows["ben"] == {
        "agent_id": "ben",
        "conversations": "1",
        "mean_score": "65.5",
        "auto_fails": "0",
        "pass_rate:empathy": "0.0",
        "pass_rate:resolution": "1.0",
        "pass_rate:hold": "1.0",
    }
    # c3 had no agent: it counts under "(none)"; its resolution was never judged (N/A), so no rate.
    assert rows["(none)"] == {
        "agent_id": "(none)",
        "conversations": "1",
        "mean_score": "0.0",
        "auto_fails": "1",
        "pass_rate:empathy": "1.0",
        "pass_rate:resolution": "",
        "pass_rate:hold": "0.0",
    }
    assert list(rows) == ["(none)", "ana", "ben"]
