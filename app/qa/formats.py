"""What `coach score` reads and writes: transcript JSONL, per-turn CSV and vCon in; vCons carrying
the QA score as an analysis entry, and a per-agent CSV table, out.

Readers stream: each yields one `ReadResult` per record (a conversation, or an error saying where
and what to fix), so a batch of thousands goes on past a bad record and the caller counts them.

vCon is the IETF JSON container for conversations (draft-ietf-vcon-vcon-core; syntax "0.4.0").
It is read and written as plain dicts rather than through the `vcon` package: the few fields used
here are plain JSON, every field we do not understand must survive untouched, and the errors must
name the dialog to fix; the package would add a dependency for about fifty lines.
"""

from __future__ import annotations

import base64
import binascii
import copy
import csv
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean
from typing import Any, Literal, get_args

from pydantic import ValidationError

from app.annotate import parse_transcripts
from app.coaching.conversation import Conversation, Role, Turn
from app.qa.models import ConversationScore

InputFormat = Literal["jsonl", "csv", "vcon"]
FORMATS: tuple[str, ...] = get_args(InputFormat)

CSV_REQUIRED = ("conversation_id", "role", "text")
CSV_OPTIONAL = ("ts", "agent_id")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
VCON_SUFFIXES = (".vcon", ".json")

VCON_SYNTAX = "0.4.0"  # the syntax version of draft-ietf-vcon-vcon-core (deprecated there, still widely read)
# The draft's analysis types (summary, transcript, translation, sentiment, tts) are a SHOULD list it
# calls insufficient; none fits a QA score, so a token of our own, with vendor + schema naming the format.
ANALYSIS_TYPE = "qa-score"
ANALYSIS_VENDOR = "coachline"
ANALYSIS_PRODUCT = "coachline"
ANALYSIS_SCHEMA = "coachline-qa/1"
# Deterministic vCon uuids: the same conversation id always gives the same vCon, so re-runs are identical.
VCON_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:coachline:vcon")
# created_at is required; a transcript without any time gets this fixed, obviously-unknown value.
UNKNOWN_TIME = "1970-01-01T00:00:00+00:00"

# A vCon party's role (the "role" field of the contact-centre drafts, or meta.role) mapped to ours.
PARTY_ROLES: dict[str, Role] = {
    "customer": "customer",
    "caller": "customer",
    "client": "customer",
    "agent": "agent",
    "supervisor": "agent",  # company side: they speak for the business
    "sme": "agent",
    "system": "system",
    "bot": "system",
    "ivr": "system",
}

NO_AGENT = "(none)"  # the AgentTable row of conversations no agent spoke in


class FormatError(ValueError):
    """The file as a whole cannot be read: its format cannot be told, or it is empty."""


@dataclass(frozen=True)
class ReadResult:
    """One record read from an input: a conversation, or an error saying where and what to fix."""

    path: Path
    where: str  # "line 7", "item 3 of the JSON array": where in the file, for people
    conversation: Conversation | None = None
    error: str | None = None
    # The record as read: the vCon object (pass it to `vcon_with_analysis` to keep its fields) or the
    # transcript JSON object; None for CSV rows and for errors.
    raw: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.conversation is not None

    def describe(self) -> str:
        """`file:where: message`, the way compilers report, for the error log."""
        return f"{self.path}:{self.where}: {self.error if self.error else 'ok'}"


class _RecordError(ValueError):
    """A record is unusable; the message says what to fix."""


# ---------------------------------------------------------------------------------------------------
# Format detection


def _first_nonblank_line(path: Path) -> str | None:
    with path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            if line.strip():
                return line
    return None


def _looks_like_vcon(record: object) -> bool:
    if not isinstance(record, dict) or "turns" in record:
        return False
    # "signatures"/"ciphertext": the signed (JWS) and encrypted (JWE) forms; the reader explains them.
    return any(key in record for key in ("vcon", "parties", "dialog", "signatures", "ciphertext"))


def detect_format(path: Path) -> InputFormat:
    """The input format of `path`: by extension, else by the first non-blank character.

    .csv is CSV; .json and .vcon are vCon. .jsonl/.ndjson hold transcripts, unless the first line is
    a vCon (vCons come as JSON Lines too). Anything else is sniffed: "[" is a JSON array of vCons,
    "{" a transcript or vCon line (or a pretty-printed vCon, when the first line is not a whole
    object), and a first line naming conversation_id a CSV header.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in VCON_SUFFIXES:
        return "vcon"
    first_line = _first_nonblank_line(path)
    if suffix in JSONL_SUFFIXES:
        return "vcon" if first_line is not None and _looks_like_vcon(_json_or_none(first_line)) else "jsonl"
    if first_line is None:
        raise FormatError(f"{path}: the file is empty; nothing to score")
    head = first_line.lstrip()
    if head.startswith("["):
        return "vcon"
    if head.startswith("{"):
        first_object = _json_or_none(first_line)
        # Transcript JSONL is one object per line: an object spread over lines is a pretty-printed vCon.
        return "vcon" if first_object is None or _looks_like_vcon(first_object) else "jsonl"
    header = [name.strip().lower() for name in next(csv.reader([first_line]))]
    if "conversation_id" in header:
        return "csv"
    raise FormatError(
        f"{path}: cannot tell the format (not JSON, and no CSV header with conversation_id): "
        f"name it .jsonl, .csv or .json, or pass the format ({', '.join(FORMATS)})"
    )


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


# ---------------------------------------------------------------------------------------------------
# Readers


def read_conversations(path: Path, fmt: str | None = None) -> Iterator[ReadResult]:
    """Every record of `path`, in file order (CSV: in order of each conversation's first row).

    `fmt` is one of "jsonl", "csv", "vcon"; None detects it (`detect_format`). Bad records become
    error results and reading goes on; only an unreadable file as a whole raises (FormatError,
    OSError).
    """
    path = Path(path)
    # Checked here, not on the first next(): a wrong format or a missing file fails at the call.
    if fmt is None:
        fmt = detect_format(path)
    if fmt not in FORMATS:
        raise FormatError(f"unknown input format {fmt!r}: use one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    readers = {"jsonl": _read_jsonl, "csv": _read_csv, "vcon": _read_vcon}
    return _decoded(path, readers[fmt](path))


def _decoded(path: Path, results: Iterator[ReadResult]) -> Iterator[ReadResult]:
    try:
        yield from results
    except UnicodeDecodeError as exc:
        yield ReadResult(path, "file", error=f"not UTF-8 text ({exc.reason}): save the file as UTF-8 and rerun")


def _read_jsonl(path: Path) -> Iterator[ReadResult]:
    with path.open(encoding="utf-8-sig") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue  # blank lines (a trailing one, or spacing) carry no record
            # The engine's own line parser, so `coach annotate` and `coach score` judge a line alike.
            parsed = next(parse_transcripts([line]))
            where = f"line {line_no}"
            if parsed.conversation is None:
                yield ReadResult(path, where, error=parsed.error)
            else:
                yield ReadResult(path, where, conversation=parsed.conversation, raw=parsed.raw)


@dataclass
class _CsvConversation:
    conversation_id: str
    first_line: int
    turns: list[Turn] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _read_csv(path: Path) -> Iterator[ReadResult]:
    """Rows are turns, grouped by conversation_id; the rows of a conversation need not be adjacent.

    A CSV fits in memory, so rows go into a dict by conversation id and each conversation is yielded
    whole at the end, in order of its first row, its turns in row order: a conversation whose rows
    were interleaved with another's (exports merged by time) is still one conversation. A conversation
    with a bad row is left out (scoring it without that turn would give a wrong score) and each bad
    row is reported.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            return  # an empty file: no rows
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
        missing = [name for name in CSV_REQUIRED if name not in reader.fieldnames]
        if missing:
            yield ReadResult(
                path,
                "line 1",
                error=f"the CSV header lacks {', '.join(missing)}: it needs columns "
                f"{', '.join(CSV_REQUIRED)} (optional: {', '.join(CSV_OPTIONAL)})",
            )
            return
        entries: list[_CsvConversation | ReadResult] = []
        conversations: dict[str, _CsvConversation] = {}
        for row in reader:
            line_no = reader.line_num  # the row's last physical line (quoted text may span lines)
            if not any((value or "").strip() for key, value in row.items() if key is not None):
                continue  # a row of empty cells, as spreadsheets leave at the end
            conversation_id = (row.get("conversation_id") or "").strip()
            if not conversation_id:
                entries.append(ReadResult(path, f"line {line_no}", error="conversation_id is empty: fill it in"))
                continue
            conversation = conversations.get(conversation_id)
            if conversation is None:
                conversation = conversations[conversation_id] = _CsvConversation(conversation_id, line_no)
                entries.append(conversation)
            try:
                conversation.turns.append(_csv_turn(row))
            except _RecordError as exc:
                conversation.errors.append((line_no, str(exc)))
    for entry in entries:
        if isinstance(entry, ReadResult):
            yield entry
        elif entry.errors:
            for line_no, message in entry.errors:
                yield ReadResult(
                    path,
                    f"line {line_no}",
                    error=f"{message} (conversation {entry.conversation_id} is left out until this row is fixed)",
                )
        else:
            yield ReadResult(
                path,
                f"line {entry.first_line}",
                conversation=Conversation(conversation_id=entry.conversation_id, turns=entry.turns),
            )


def _csv_turn(row: dict[str | None, Any]) -> Turn:
    if row.get(None):
        raise _RecordError("the row has more cells than the header has columns: quote text that holds commas")
    role = (row.get("role") or "").strip().lower()
    if not role:
        raise _RecordError("role is empty: set it to customer, agent or system")
    if role not in get_args(Role):
        raise _RecordError(f"role {row.get('role')!r} is not customer, agent or system")
    if not (row.get("text") or "").strip():
        raise _RecordError("text is empty: every turn needs what was said")
    # Extra columns (channel, queue...) ride along on the turn; empty cells are absent values.
    fields: dict[str, Any] = {
        name: value for name, value in row.items() if name not in (None, "conversation_id") and (value or "").strip()
    }
    fields["role"] = role
    for optional in CSV_OPTIONAL:
        if optional in fields:
            fields[optional] = fields[optional].strip()
    try:
        return Turn.model_validate(fields)
    except ValidationError as exc:
        raise _RecordError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _read_vcon(path: Path) -> Iterator[ReadResult]:
    """One vCon object, a JSON array of them, or JSON Lines of them (streamed, one per line)."""
    first_line = _first_nonblank_line(path)
    if first_line is None:
        return
    if first_line.lstrip().startswith("{") and isinstance(_json_or_none(first_line), dict):
        yield from _read_vcon_lines(path)
        return
    # A whole JSON document (one pretty-printed vCon, or an array): it has to be parsed whole.
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        yield ReadResult(
            path,
            f"line {exc.lineno}, column {exc.colno}",
            error=f"invalid JSON ({exc.msg}): a vCon file holds one vCon object, a JSON array of them, "
            "or one vCon per line",
        )
        return
    if isinstance(document, list):
        for item_no, item in enumerate(document, 1):
            yield _vcon_result(path, f"item {item_no} of the JSON array", item)
    else:
        yield _vcon_result(path, "line 1", document)


def _read_vcon_lines(path: Path) -> Iterator[ReadResult]:
    with path.open(encoding="utf-8-sig") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"line {line_no}"
            try:
                record = json.loads(line.strip())  # stripped: a cut-off line errs at its end, not "line 2"
            except json.JSONDecodeError as exc:
                yield ReadResult(path, where, error=f"invalid JSON ({exc.msg} at column {exc.colno})")
                continue
            yield _vcon_result(path, where, record)


def _vcon_result(path: Path, where: str, record: object) -> ReadResult:
    try:
        conversation = vcon_conversation(record)
    except _RecordError as exc:
        return ReadResult(path, where, error=str(exc))
    assert isinstance(record, dict)  # vcon_conversation accepted it
    return ReadResult(path, where, conversation=conversation, raw=record)


def vcon_conversation(vcon: object) -> Conversation:
    """The conversation in a vCon: its text dialogs as turns; the vCon's uuid is the conversation id.

    Raises ValueError (a message saying what to fix) when the vCon cannot be scored.
    """
    _check_vcon(vcon)
    assert isinstance(vcon, dict)
    return Conversation(conversation_id=vcon["uuid"], turns=[turn for _, turn in _vcon_turns(vcon)])


def _check_vcon(vcon: object) -> None:
    if not isinstance(vcon, dict):
        raise _RecordError(f"a vCon is a JSON object, not {type(vcon).__name__}")
    if "signatures" in vcon and "payload" in vcon:
        raise _RecordError("a signed vCon (JWS): verify it and score its payload, the unsigned vCon")
    if "ciphertext" in vcon:
        raise _RecordError("an encrypted vCon (JWE): decrypt it first")
    if not isinstance(vcon.get("uuid"), str) or not vcon["uuid"].strip():
        raise _RecordError('no "uuid": every vCon needs one (it becomes the conversation id)')
    if not isinstance(vcon.get("parties", []), list) or not isinstance(vcon.get("dialog", []), list):
        raise _RecordError('"parties" and "dialog" must be JSON arrays')


def _vcon_turns(vcon: dict[str, Any]) -> list[tuple[int, Turn]]:
    """(dialog index, turn) for each text dialog with inline text, in time order.

    Recordings, transfers, incomplete dialogs and redacted (bodiless) texts are skipped. The draft
    lets dialogs come out of time order, so they are sorted by "start" when every one has a
    comparable time (else kept in file order).
    """
    parties: list[Any] = vcon.get("parties") or []
    spoken: list[tuple[int, int, str, Any]] = []  # dialog index, speaker party, text, start
    for index, dialog in enumerate(vcon.get("dialog") or []):
        if not isinstance(dialog, dict):
            raise _RecordError(f"dialog {index} is not a JSON object")
        if dialog.get("type") != "text":
            continue
        text = _dialog_text(index, dialog)
        if text is None or not text.strip():
            continue
        speaker = _dialog_speaker(index, dialog)
        if speaker >= len(parties) or not isinstance(parties[speaker], dict):
            raise _RecordError(f"dialog {index} names party {speaker}, but parties has no object at that index")
        spoken.append((index, speaker, text, dialog.get("start")))
    if not spoken:
        raise _RecordError("no text dialog with an inline body: nothing to score (transcribe recordings first)")
    turns: list[tuple[int, Turn]] = []
    roles = _party_roles(parties, [speaker for _, speaker, _, _ in spoken])
    for index, speaker, text, start in spoken:
        role = roles[speaker]
        fields = {"role": role, "text": text, "ts": start, "agent_id": _agent_id(parties[speaker], role)}
        try:
            turns.append((index, Turn.model_validate(fields)))
        except ValidationError as exc:
            raise _RecordError(f"dialog {index}: {_describe(exc)}") from None
    try:
        if all(turn.ts is not None for _, turn in turns):
            turns.sort(key=lambda pair: pair[1].ts)
    except TypeError:
        pass  # times with and without a zone do not compare: keep the file's order
    return turns


def _dialog_text(index: int, dialog: dict[str, Any]) -> str | None:
    body = dialog.get("body")
    if body is None:
        if dialog.get("url"):
            raise _RecordError(f"dialog {index} refers to its text by url: inline it as body (no fetching here)")
        return None  # redacted: the draft lets a redacted dialog drop its body
    mediatype = dialog.get("mediatype") or dialog.get("mimetype")  # "mimetype" in drafts before core-00
    if mediatype and not str(mediatype).lower().startswith("text/"):
        raise _RecordError(f"dialog {index} is {mediatype}, not text: convert it to text/plain")
    encoding = (dialog.get("encoding") or "none").lower()
    if encoding == "base64url":
        try:
            return base64.urlsafe_b64decode(str(body) + "=" * (-len(str(body)) % 4)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise _RecordError(f"dialog {index}: body is not base64url-encoded UTF-8 text") from None
    if encoding != "none" or not isinstance(body, str):
        raise _RecordError(f'dialog {index}: a text body must be a string with encoding "none" or "base64url"')
    return body


def _dialog_speaker(index: int, dialog: dict[str, Any]) -> int:
    """The party who wrote a text dialog: "originator" when given, else the first of "parties"."""
    speaker: Any = dialog.get("originator")
    if speaker is None:
        speaker = dialog.get("parties")
        while isinstance(speaker, list) and speaker:
            speaker = speaker[0]  # the draft: the first party listed originates the dialog
    if isinstance(speaker, bool) or not isinstance(speaker, int) or speaker < 0:
        raise _RecordError(f'dialog {index} names no party: give it "parties" (the writer first) or "originator"')
    return speaker


def _declared_role(party: dict[str, Any]) -> Role | None:
    meta = party.get("meta")
    for value in (party.get("role"), meta.get("role") if isinstance(meta, dict) else None):
        if isinstance(value, str) and value.strip().lower() in PARTY_ROLES:
            return PARTY_ROLES[value.strip().lower()]
    return None


def _party_roles(parties: list[Any], speakers_in_order: Iterable[int]) -> dict[int, Role]:
    """Each speaking party's role: its "role" field, else its meta.role, else by order of speaking.

    Party 0 is not assumed to be the customer (exports put the agent first as often as not). Among
    the parties nothing labels, the first to speak is the customer (unless another party is labelled
    customer) and the rest are agents.
    """
    roles: dict[int, Role] = {}
    for index in dict.fromkeys(speakers_in_order):
        declared = _declared_role(parties[index])
        if declared is not None:
            roles[index] = declared
    customer_labelled = "customer" in roles.values()
    for index in dict.fromkeys(speakers_in_order):
        if index not in roles:
            roles[index] = "agent" if customer_labelled else "customer"
            customer_labelled = True
    return roles


def _agent_id(party: dict[str, Any], role: Role) -> str | None:
    if role != "agent":
        return None
    for key in ("name", "mailto"):
        value = party.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().removeprefix("mailto:")
    return None


# ---------------------------------------------------------------------------------------------------
# Writers


def vcon_with_analysis(
    conversation: Conversation, score: ConversationScore, source: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A vCon carrying `score` as an analysis entry.

    With `source` (the vCon the conversation was read from), a copy of it with every field kept;
    otherwise a new vCon built from the conversation, its uuid derived from the conversation id.
    The entry's "dialog" lists the dialog behind each turn in turn order, so dialog[Evidence.turn]
    finds a criterion's evidence. A QA entry from an earlier run is replaced, not stacked.
    """
    if source is not None:
        vcon = copy.deepcopy(source)
        try:
            dialog_indices = [index for index, _ in _vcon_turns(vcon)]
        except _RecordError as exc:
            raise ValueError(f"source vCon {source.get('uuid')!r}: {exc}") from None
        if len(dialog_indices) != len(conversation.turns):
            raise ValueError(
                f"source vCon {source.get('uuid')!r} has {len(dialog_indices)} text dialogs but the "
                f"conversation has {len(conversation.turns)} turns: pass the vCon it was read from"
            )
    else:
        vcon = _new_vcon(conversation)
        dialog_indices = list(range(len(conversation.turns)))
    entry = {
        "type": ANALYSIS_TYPE,
        "dialog": dialog_indices,
        "vendor": ANALYSIS_VENDOR,
        "product": ANALYSIS_PRODUCT,
        "schema": ANALYSIS_SCHEMA,
        "mediatype": "application/json",
        "encoding": "json",
        "body": score.model_dump_json(),  # the draft's body is a string; "json" says it holds a JSON object
    }
    analysis = vcon.get("analysis")
    if not isinstance(analysis, list):
        analysis = vcon["analysis"] = []
    for position, existing in enumerate(analysis):
        if _is_ours(existing):
            analysis[position] = entry
            break
    else:
        analysis.append(entry)
    return vcon


def _is_ours(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and entry.get("vendor") == ANALYSIS_VENDOR
        and entry.get("schema") == ANALYSIS_SCHEMA
        and entry.get("type") == ANALYSIS_TYPE
    )


def vcon_uuid(conversation_id: str) -> str:
    """The uuid of the vCon built for a conversation: always the same for the same id."""
    return str(uuid.uuid5(VCON_UUID_NAMESPACE, conversation_id))


def _new_vcon(conversation: Conversation) -> dict[str, Any]:
    """A vCon of the conversation: one party per customer/system/agent (one per agent id), one
    text dialog per turn. A turn without a time gets no "start" rather than an invented one."""
    parties: list[dict[str, Any]] = []
    party_of: dict[tuple[str, str | None], int] = {}
    dialog: list[dict[str, Any]] = []
    for turn in conversation.turns:
        key = (turn.role, turn.agent_id if turn.role == "agent" else None)
        if key not in party_of:
            party_of[key] = len(parties)
            party: dict[str, Any] = {"role": turn.role}
            if key[1] is not None:
                party["name"] = key[1]
            parties.append(party)
        entry: dict[str, Any] = {"type": "text", "parties": [party_of[key]]}
        if turn.ts is not None:
            entry["start"] = turn.ts.isoformat()
        entry.update({"mediatype": "text/plain", "encoding": "none", "body": turn.text})
        dialog.append(entry)
    times = [turn.ts for turn in conversation.turns if turn.ts is not None]
    try:
        created_at = min(times).isoformat() if times else UNKNOWN_TIME
    except TypeError:
        created_at = times[0].isoformat()  # zoned and naive times mixed: the first known one
    return {
        "vcon": VCON_SYNTAX,
        "uuid": vcon_uuid(conversation.conversation_id),
        "created_at": created_at,
        "parties": parties,
        "dialog": dialog,
        "analysis": [],
    }


@dataclass
class _AgentTally:
    conversations: int = 0
    scores: list[float] = field(default_factory=list)
    auto_fails: int = 0
    passes: dict[str, int] = field(default_factory=dict)
    judged: dict[str, int] = field(default_factory=dict)  # pass + fail; N/A is not judged


class AgentTable:
    """Per-agent QA figures over a batch, one CSV row per agent.

    Columns: agent_id, conversations, mean_score, auto_fails, then `pass_rate:<criterion id>` for each
    criterion (passes / (passes + fails); N/A outcomes do not count; empty when never judged). A
    conversation with several agents counts fully for each; one with none counts under "(none)".
    """

    def __init__(self) -> None:
        self._agents: dict[str, _AgentTally] = {}
        self._criteria: dict[str, None] = {}  # criterion ids in first-seen (rubric) order

    def add(self, score: ConversationScore) -> None:
        for agent_id in dict.fromkeys(score.agent_ids or [NO_AGENT]):
            tally = self._agents.setdefault(agent_id, _AgentTally())
            tally.conversations += 1
            tally.scores.append(score.score)
            tally.auto_fails += score.auto_failed
            for criterion in score.criteria:
                self._criteria.setdefault(criterion.id)
                if criterion.outcome == "na":
                    continue
                tally.judged[criterion.id] = tally.judged.get(criterion.id, 0) + 1
                tally.passes[criterion.id] = tally.passes.get(criterion.id, 0) + (criterion.outcome == "pass")

    @property
    def columns(self) -> list[str]:
        return ["agent_id", "conversations", "mean_score", "auto_fails"] + [
            f"pass_rate:{criterion_id}" for criterion_id in self._criteria
        ]

    def rows(self) -> list[dict[str, str | int | float]]:
        """One row per agent, by agent id, with figures rounded for people (score 2 places, rates 3)."""
        table: list[dict[str, str | int | float]] = []
        for agent_id in sorted(self._agents):
            tally = self._agents[agent_id]
            row: dict[str, str | int | float] = {
                "agent_id": agent_id,
                "conversations": tally.conversations,
                "mean_score": round(fmean(tally.scores), 2),
                "auto_fails": tally.auto_fails,
            }
            for criterion_id in self._criteria:
                judged = tally.judged.get(criterion_id, 0)
                rate = round(tally.passes[criterion_id] / judged, 3) if judged else ""
                row[f"pass_rate:{criterion_id}"] = rate
            table.append(row)
        return table

    def write(self, path: Path) -> None:
        with Path(path).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns)
            writer.writeheader()
            writer.writerows(self.rows())
