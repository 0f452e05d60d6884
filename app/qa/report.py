"""The QA report of `coach score`: one self-contained HTML page for a QA lead.

Everything is inside the file: matplotlib charts inlined as SVG (text kept as text), CSS in a
<style> element, no scripts, fonts, links or URLs, so it opens offline and can be mailed as is.
The page is a Jinja2 template with autoescaping on, so every customer's and agent's words are
escaped; only our own SVG is marked safe.
"""

from __future__ import annotations

import io
import re
import statistics
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from matplotlib.figure import Figure

from app.qa.models import ConversationScore, CriterionResult, Evidence

if TYPE_CHECKING:  # only annotated here: rendering never needs scikit-learn
    from app.qa.themes import Theme

TEMPLATES = Path(__file__).parent / "templates"
TOP_PHRASES = 10
WORST_CONVERSATIONS = 10
TRAJECTORY_POSITIONS = 11
# Pass-rate bands of the agent table's cells (the legend on the page says the same).
GOOD_PASS_RATE = 0.8
FAIR_PASS_RATE = 0.6

INK = "#1f2933"
MUTED = "#52606d"
BAR = "#2f6690"
BAND = "#9cc3e4"
WARN = "#b3261e"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
# rc_context changes matplotlib's process-wide settings while it is open (and figures read them
# when drawn and when saved): one report's charts at a time.
_charts_lock = threading.Lock()
_SVG_SETTINGS = {
    "svg.fonttype": "none",  # text stays text: selectable, searchable, read by screen readers
    "svg.hashsalt": "coachline-qa",  # the same ids on every run: the same input gives the same file
    "font.size": 10,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": MUTED,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# Inside a tag only ("<" never appears unescaped in text), so a label reading 'id="x"' stays as written.
_SVG_ID = re.compile(r'(<[^<>]*?\bid=")([^"]+)"')
_SVG_REFERENCE = re.compile(r'(<[^<>]*?(?:href="#|url\(#))([^")]+)')


@dataclass(frozen=True)
class Rate:
    """`count` of `total`: the page shows both numbers, so a reader sees the N behind a rate."""

    count: int
    total: int

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None


@dataclass
class CriterionTally:
    id: str
    name: str
    kind: str
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0

    @property
    def applied(self) -> int:
        return self.passed + self.failed

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.applied if self.applied else None

    def add(self, result: CriterionResult) -> None:
        if result.outcome == "pass":
            self.passed += 1
        elif result.outcome == "fail":
            self.failed += 1
        else:
            self.not_applicable += 1


@dataclass
class AgentRow:
    agent: str
    conversations: int
    mean_score: float
    cells: list[CriterionTally]


@dataclass(frozen=True)
class PhraseCount:
    text: str
    times: int
    conversations: int


@dataclass(frozen=True)
class FailedCriterion:
    name: str
    kind: str
    reason: str
    evidence: list[Evidence]


@dataclass(frozen=True)
class WorstConversation:
    score: ConversationScore
    failed: list[FailedCriterion]


@dataclass
class SentimentSummary:
    trends: dict[str, int]
    with_start_and_end: int
    mean_start: float | None
    mean_end: float | None
    chart: Markup | None = None


@dataclass
class EscalationSummary:
    escalated: int
    signals: list[tuple[str, int]]
    without_signal: int
    chart: Markup | None = None


@dataclass
class ReportData:
    conversations: int
    mean_score: float
    median_score: float
    auto_failed: Rate
    escalated: Rate
    repeat_contact: Rate
    criteria: list[CriterionTally]
    never_applied: list[CriterionTally]
    agents: list[AgentRow]
    agent_total: AgentRow
    without_agent: int
    sentiment: SentimentSummary
    robotic: list[PhraseCount]
    robotic_total: int
    policy: list[PhraseCount]
    policy_total: int
    statements: int
    escalation: EscalationSummary
    worst: list[WorstConversation]
    score_chart: Markup | None = None
    criteria_chart: Markup | None = None


# -- numbers ---------------------------------------------------------------------------------


def _criteria_tallies(scores: Sequence[ConversationScore]) -> dict[str, CriterionTally]:
    """Per criterion id, in the order criteria first appear (the rubric's order)."""
    tallies: dict[str, CriterionTally] = {}
    for score in scores:
        for result in score.criteria:
            tally = tallies.setdefault(result.id, CriterionTally(result.id, result.name, result.kind))
            tally.add(result)
    return tallies


def _agent_rows(scores: Sequence[ConversationScore], columns: list[CriterionTally]) -> list[AgentRow]:
    """One row per agent, most conversations first; a conversation several agents spoke in counts
    for each of them."""
    by_agent: dict[str, list[ConversationScore]] = {}
    for score in scores:
        for agent in dict.fromkeys(score.agent_ids):
            by_agent.setdefault(agent, []).append(score)
    rows = [_row(agent, own, columns) for agent, own in by_agent.items()]
    rows.sort(key=lambda row: (-row.conversations, row.agent))
    return rows


def _row(agent: str, scores: Sequence[ConversationScore], columns: list[CriterionTally]) -> AgentRow:
    """`agent`'s tallies of the `columns` criteria (empty, so N/A, where none of its conversations had one)."""
    tallies = _criteria_tallies(scores)
    cells = [tallies.get(column.id) or CriterionTally(column.id, column.name, column.kind) for column in columns]
    return AgentRow(agent, len(scores), statistics.fmean(s.score for s in scores) if scores else 0.0, cells)


def normalise_phrase(text: str) -> str:
    """The counting key of a flagged sentence: case, spacing and closing punctuation ignored."""
    return " ".join(text.split()).casefold().rstrip(" .!?…")


def _phrase_counts(lists: Sequence[list[str]]) -> tuple[list[PhraseCount], int]:
    """The most frequent sentences (top TOP_PHRASES) and the number of flags in all."""
    times: Counter[str] = Counter()
    conversations: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for sentences in lists:
        flagged = [" ".join(sentence.split()) for sentence in sentences if sentence.strip()]
        keys = [normalise_phrase(sentence) for sentence in flagged]
        times.update(keys)
        conversations.update(set(keys))
        for sentence, key in zip(flagged, keys, strict=True):
            spellings.setdefault(key, Counter())[sentence] += 1
    ranked = sorted(times, key=lambda key: (-times[key], -conversations[key], key))[:TOP_PHRASES]
    # Shown as agents wrote it most often (ties: first seen), not in the folded counting form.
    top = [PhraseCount(spellings[key].most_common(1)[0][0], times[key], conversations[key]) for key in ranked]
    return top, times.total()


def _sentiment(scores: Sequence[ConversationScore]) -> SentimentSummary:
    trends = Counter(score.sentiment.trend for score in scores)
    both = [s.sentiment for s in scores if s.sentiment.start is not None and s.sentiment.end is not None]
    return SentimentSummary(
        trends={trend: trends.get(trend, 0) for trend in ("improving", "steady", "worsening", "unknown")},
        with_start_and_end=len(both),
        mean_start=statistics.fmean(s.start for s in both if s.start is not None) if both else None,
        mean_end=statistics.fmean(s.end for s in both if s.end is not None) if both else None,
    )


def _escalation(scores: Sequence[ConversationScore]) -> EscalationSummary:
    escalated = [score for score in scores if score.escalated]
    signals: Counter[str] = Counter()
    for score in escalated:
        signals.update(set(score.escalation_signals))  # conversations showing the kind, not cues
    ranked = sorted(signals.items(), key=lambda item: (-item[1], item[0]))
    return EscalationSummary(len(escalated), ranked, sum(1 for s in escalated if not s.escalation_signals))


def _worst(scores: Sequence[ConversationScore]) -> list[WorstConversation]:
    lowest = sorted(scores, key=lambda score: (score.score, score.conversation_id))[:WORST_CONVERSATIONS]
    return [
        WorstConversation(
            score,
            # The auto-fail that zeroed the score first, then the rest in rubric order.
            sorted(
                (FailedCriterion(r.name, r.kind, r.reason, r.evidence) for r in score.criteria if r.outcome == "fail"),
                key=lambda failed: failed.kind != "auto_fail",
            ),
        )
        for score in lowest
    ]


def summarise(scores: Sequence[ConversationScore]) -> ReportData:
    """Every number the report shows, from the scores alone (no charts yet)."""
    count = len(scores)
    tallies = _criteria_tallies(scores)
    # The agent table leaves out criteria N/A everywhere: a column of N/A says nothing per agent.
    applied = [tally for tally in tallies.values() if tally.applied]
    robotic, robotic_total = _phrase_counts([s.robotic_phrases for s in scores])
    policy, policy_total = _phrase_counts([s.policy_lines for s in scores])
    return ReportData(
        conversations=count,
        mean_score=statistics.fmean(s.score for s in scores) if scores else 0.0,
        median_score=statistics.median(s.score for s in scores) if scores else 0.0,
        auto_failed=Rate(sum(s.auto_failed for s in scores), count),
        escalated=Rate(sum(s.escalated for s in scores), count),
        repeat_contact=Rate(sum(s.repeat_contact for s in scores), count),
        criteria=applied,
        never_applied=[tally for tally in tallies.values() if not tally.applied],
        agents=_agent_rows(scores, applied),
        agent_total=_row("All conversations", scores, applied),
        without_agent=sum(1 for s in scores if not s.agent_ids),
        sentiment=_sentiment(scores),
        robotic=robotic,
        robotic_total=robotic_total,
        policy=policy,
        policy_total=policy_total,
        statements=sum(1 for s in scores if s.problem_statement and s.problem_statement.strip()),
        escalation=_escalation(scores),
        worst=_worst(scores),
    )


# -- charts ----------------------------------------------------------------------------------


def _inline_svg(figure: Figure, key: str, title: str) -> Markup:
    """The figure as an <svg> element for the page: no XML prolog, ids unique to this chart,
    a <title> for screen readers, and sized by the page's CSS rather than in points."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # Several charts share one document: matplotlib's ids (figure_1, clip paths) would collide.
    svg = _SVG_ID.sub(lambda m: f'{m.group(1)}{key}-{m.group(2)}"', svg)
    svg = _SVG_REFERENCE.sub(lambda m: f"{m.group(1)}{key}-{m.group(2)}", svg)
    # Its "* {stroke-linejoin}" rule would apply to the whole page; the page's CSS scopes it instead.
    svg = re.sub(r"<defs>\s*<style[^>]*>.*?</style>\s*</defs>", "", svg, count=1, flags=re.S)
    # Namespace declarations are implied inside HTML, and leave the file without a single URL.
    svg = re.sub(r'\s(?:xmlns(?::xlink)?|version)="[^"]*"', "", svg)
    svg = re.sub(r'\s(width|height)="[\d.]+pt"', "", svg, count=2)
    opening_end = svg.index(">") + 1
    title_id = f"{key}-title"
    svg = (
        svg[: opening_end - 1]
        + f' role="img" aria-labelledby="{title_id}" focusable="false">'
        + f'<title id="{title_id}">{Markup.escape(title)}</title>'
        + svg[opening_end:]
    )
    return Markup(svg)


def _new_figure(width: float, height: float) -> Figure:
    # A bare Figure, never pyplot: no global figure manager, so reports can render on any thread.
    return Figure(figsize=(width, height), layout="constrained")


def _score_histogram(scores: Sequence[ConversationScore]) -> Markup:
    values = [s.score for s in scores]
    figure = _new_figure(7.5, 2.8)
    axes = figure.add_subplot()
    counts, _, bars = axes.hist(values, bins=np.arange(0, 101, 10), color=BAR, edgecolor="white")
    axes.bar_label(bars, labels=[str(int(c)) if c else "" for c in counts], padding=2, fontsize=9)
    median = statistics.median(values)
    axes.axvline(median, color=WARN, linestyle="--", linewidth=1.2)
    axes.annotate(
        f"median {median:.1f}",
        (median, 1),
        xycoords=("data", "axes fraction"),
        xytext=(4, -2),
        textcoords="offset points",
        va="top",
        color=WARN,
        fontsize=9,
    )
    axes.set_xlim(0, 100)
    axes.set_xticks(range(0, 101, 10))
    axes.set_xlabel("QA score (0-100)")
    axes.set_ylabel("Conversations")
    axes.margins(y=0.15)
    title = f"Histogram of QA scores of {len(values)} conversations in bands of 10 points; median {median:.1f}"
    return _inline_svg(figure, "scores", title)


def _criteria_chart(criteria: list[CriterionTally]) -> Markup:
    ordered = sorted(criteria, key=lambda t: (t.pass_rate or 0.0, t.name))  # weakest first
    figure = _new_figure(7.5, 0.8 + 0.38 * len(ordered))
    axes = figure.add_subplot()
    positions = np.arange(len(ordered))
    rates = [100 * (t.pass_rate or 0.0) for t in ordered]
    bars = axes.barh(positions, rates, color=BAR, height=0.65)
    axes.set_yticks(positions, [t.name for t in ordered], parse_math=False)
    axes.invert_yaxis()
    labels = [f"{rate:.0f}% (N={tally.applied})" for tally, rate in zip(ordered, rates, strict=True)]
    axes.bar_label(bars, labels=labels, padding=4, fontsize=9)
    axes.set_xlim(0, 122)
    axes.set_xticks(range(0, 101, 20))
    axes.set_xlabel("Pass rate, % of conversations where the criterion applied")
    title = "Pass rate per criterion, weakest first: " + "; ".join(
        f"{t.name} {100 * (t.pass_rate or 0.0):.0f}% of {t.applied}" for t in ordered
    )
    return _inline_svg(figure, "criteria", title)


def _trajectories(scores: Sequence[ConversationScore]) -> np.ndarray:
    """Each conversation's customer sentiment resampled to the same TRAJECTORY_POSITIONS
    points (start to end), so conversations of any length can be averaged."""
    grid = np.linspace(0.0, 1.0, TRAJECTORY_POSITIONS)
    rows = []
    for score in scores:
        points = score.sentiment.points
        if len(points) < 2 and score.sentiment.start is not None and score.sentiment.end is not None:
            points = [score.sentiment.start, score.sentiment.end]
        if len(points) >= 2:
            rows.append(np.interp(grid, np.linspace(0.0, 1.0, len(points)), points))
    return np.array(rows).reshape(-1, TRAJECTORY_POSITIONS)


def _sentiment_chart(trajectories: np.ndarray) -> Markup:
    grid = np.linspace(0, 100, TRAJECTORY_POSITIONS)
    mean = trajectories.mean(axis=0)
    lower, upper = np.percentile(trajectories, [25, 75], axis=0)
    figure = _new_figure(7.5, 2.8)
    axes = figure.add_subplot()
    axes.fill_between(grid, lower, upper, color=BAND, alpha=0.6, linewidth=0, label="middle half of conversations")
    axes.plot(grid, mean, color=BAR, linewidth=2.2, marker="o", markersize=3.5, label="mean")
    axes.axhline(0, color=MUTED, linewidth=0.8, linestyle=":")
    axes.set_ylim(-1.05, 1.05)
    axes.set_xlim(0, 100)
    axes.set_xticks([0, 25, 50, 75, 100], ["start", "25%", "50%", "75%", "end"])
    axes.set_xlabel("Position in the conversation (share of the customer's turns)")
    axes.set_ylabel("Customer sentiment\n(-1 negative, +1 positive)")
    axes.legend(loc="lower right", frameon=False, fontsize=9)
    title = (
        f"Mean customer sentiment across {len(trajectories)} conversations from start to end: "
        f"{mean[0]:+.2f} at the start, {mean[-1]:+.2f} at the end"
    )
    return _inline_svg(figure, "sentiment", title)


def _escalation_chart(summary: EscalationSummary) -> Markup:
    kinds = [kind.replace("_", " ") for kind, _ in summary.signals]
    counts = [count for _, count in summary.signals]
    figure = _new_figure(7.5, 0.8 + 0.38 * len(kinds))
    axes = figure.add_subplot()
    positions = np.arange(len(kinds))
    bars = axes.barh(positions, counts, color=BAR, height=0.65)
    axes.set_yticks(positions, kinds, parse_math=False)
    axes.invert_yaxis()
    labels = [f"{count} ({count / summary.escalated:.0%})" for count in counts]
    axes.bar_label(bars, labels=labels, padding=4, fontsize=9)
    axes.set_xlim(0, max(counts) * 1.3)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_xlabel(f"Escalated conversations showing the signal (of {summary.escalated})")
    title = f"What customers showed before {summary.escalated} escalations: " + "; ".join(
        f"{kind} {count}" for kind, count in zip(kinds, counts, strict=True)
    )
    return _inline_svg(figure, "escalation", title)


# -- page ------------------------------------------------------------------------------------


def _band(tally: CriterionTally) -> str:
    rate = tally.pass_rate
    if rate is None:
        return "na"
    return "good" if rate >= GOOD_PASS_RATE else "fair" if rate >= FAIR_PASS_RATE else "poor"


def _evidence_text(evidence: Evidence) -> str:
    return evidence.span.text if evidence.span else ""


def render_report(
    scores: Sequence[ConversationScore],
    themes: Sequence[Theme],
    *,
    title: str,
    generated: str,
    source: str,
) -> str:
    """The whole report as one HTML document (UTF-8 text): headline numbers, score distribution,
    criteria overall and per agent, sentiment, robotic and policy lines, themes, escalations and
    the lowest-scoring conversations with their evidence.  `generated` and `source` are shown as
    given (e.g. a timestamp and the input file's name)."""
    data = summarise(scores)
    with _charts_lock, matplotlib.rc_context(_SVG_SETTINGS):
        if scores:
            data.score_chart = _score_histogram(scores)
        if data.criteria:
            data.criteria_chart = _criteria_chart(data.criteria)
        trajectories = _trajectories(scores)
        if len(trajectories):
            data.sentiment.chart = _sentiment_chart(trajectories)
        if data.escalation.signals:
            data.escalation.chart = _escalation_chart(data.escalation)
    template = _environment.get_template("report.html.j2")
    return template.render(
        title=title,
        generated=generated,
        source=source,
        data=data,
        themes=list(themes),
        band=_band,
        evidence_text=_evidence_text,
        good=f"{GOOD_PASS_RATE:.0%}",
        fair=f"{FAIR_PASS_RATE:.0%}",
    )
