"""The digests' charts: what they draw (plain data taken from the digest's own figures, with
alt text that says the same in words) and drawing them as PNG with matplotlib's Agg backend.

Team figures only, under the rules the text follows: energy is drawn only for the weeks whose
distribution the digest may show (at least `min_group_size` answers, not all alike), and a
chart with nothing to draw is not made. Rendering uses `matplotlib.figure.Figure` directly,
never pyplot, so no global state is shared between threads.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as Canvas

import prompts
from bot.digest.momentum import Momentum, labels_back
from bot.digest.summary import Figure, TeamDigest

ALT_LIMIT = 1000  # Slack's limit on a file's alt text (files.getUploadURLExternal)
HEATMAP_TEAMS = 20  # the largest teams drawn one row each; the rest as one "others" row
LEVELS = (1, 2, 3, 4, 5)
ENERGY_COLOURS = ("#c0392b", "#e67e22", "#f1c40f", "#7fb77e", "#2e8b57")
DPI = 100


@dataclass(frozen=True)
class Chart:
    """One chart as data: the series drawn, week by week, and their words."""

    name: str  # its file name
    kind: str  # participation | energy | momentum | heatmap
    title: str
    weeks: tuple[str, ...]
    rows: tuple[tuple[str, tuple[float | None, ...]], ...]  # a series' label, its values
    alt: str


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "team"


def _alt(head: str, parts: Sequence[str]) -> str:
    """`head` and as many of `parts` as fit Slack's limit, then how many were left out."""
    text = head
    for index, part in enumerate(parts):
        rest = len(parts) - index
        more = prompts.text("digest.charts.alt_more", count=rest)
        if len(text) + len(part) + 2 + len(more) + 2 > ALT_LIMIT:
            return f"{text}; {more}"
        text = f"{text}; {part}" if text != head else f"{text}: {part}"
    return text


def manager_charts(digests: list[TeamDigest]) -> list[Chart]:
    """For each team: its participation over the digest's weeks, and its energy per week
    (only the weeks whose distribution the digest may show; none when there is no such week)."""
    charts: list[Chart] = []
    for digest in digests:
        team = digest.week.team_name
        charts.append(participation(team, digest.figures))
        shown = {label: counts for label, counts in digest.energy_weeks.items() if counts}
        if shown:
            charts.append(energy(team, shown))
    return charts


def participation(team: str, figures: list[Figure]) -> Chart:
    p = "digest.charts."
    return Chart(
        name=f"{_slug(team)}-participation.png",
        kind="participation",
        title=prompts.text(p + "participation", team=team, weeks=len(figures)),
        weeks=tuple(f.period for f in figures),
        rows=(
            (prompts.text(p + "answered"), tuple(float(f.answered) for f in figures)),
            (prompts.text(p + "expected"), tuple(float(f.expected) for f in figures)),
        ),
        alt=_alt(
            prompts.text(p + "participation", team=team, weeks=len(figures)),
            [
                prompts.text(
                    p + "participation_week",
                    period=f.period,
                    answered=f.answered,
                    expected=f.expected,
                )
                for f in figures
            ],
        ),
    )


def energy(team: str, weeks: dict[str, dict[int, int]]) -> Chart:
    p = "digest.charts."
    labels = sorted(weeks)
    title = prompts.text(p + "energy", team=team)
    return Chart(
        name=f"{_slug(team)}-energy.png",
        kind="energy",
        title=title,
        weeks=tuple(labels),
        rows=tuple(
            (prompts.text(f"checkin.energy.{level}"), tuple(float(weeks[w][level]) for w in labels))
            for level in LEVELS
        ),
        alt=_alt(
            title,
            [
                prompts.text(
                    p + "energy_week",
                    period=label,
                    counts=", ".join(str(weeks[label][level]) for level in LEVELS),
                )
                for label in labels
            ],
        ),
    )


def leadership_charts(
    period: str, execution: list[Momentum], teams: list[tuple[str, list[Figure]]]
) -> list[Chart]:
    """Momentum per objective over its weeks, and participation per team as a heatmap (the
    HEATMAP_TEAMS largest teams by this week's expected check-ins, the rest as "others")."""
    charts = []
    if execution:
        charts.append(momentum(period, execution))
    if teams and teams[0][1]:
        charts.append(heatmap(teams))
    return charts


def momentum(period: str, execution: list[Momentum]) -> Chart:
    p = "digest.charts."
    weeks = labels_back(period, len(execution[0].weekly))
    title = prompts.text(p + "momentum", weeks=len(weeks))
    return Chart(
        name="momentum.png",
        kind="momentum",
        title=title,
        weeks=tuple(weeks),
        rows=tuple((m.title, tuple(float(v) for v in m.weekly)) for m in execution),
        alt=_alt(
            title,
            [
                prompts.text(
                    p + "momentum_line", title=m.title, counts=", ".join(map(str, m.weekly))
                )
                for m in execution
            ],
        ),
    )


def heatmap(teams: list[tuple[str, list[Figure]]]) -> Chart:
    """Each team's share of check-ins answered, week by week (None when nobody was asked)."""
    p = "digest.charts."
    ranked = sorted(teams, key=lambda team: -team[1][-1].expected)  # stable: org order on ties
    shown, rest = ranked[:HEATMAP_TEAMS], ranked[HEATMAP_TEAMS:]
    rows = [(name, figures) for name, figures in shown]
    if rest:
        weeks = len(rest[0][1])
        merged = [
            Figure(
                rest[0][1][i].period,
                sum(figures[i].answered for _, figures in rest),
                sum(figures[i].expected for _, figures in rest),
            )
            for i in range(weeks)
        ]
        rows.append((prompts.text(p + "others", count=len(rest)), merged))
    labels = tuple(f.period for f in teams[0][1])
    title = prompts.text(p + "heatmap", weeks=len(labels))
    return Chart(
        name="participation-by-team.png",
        kind="heatmap",
        title=title,
        weeks=labels,
        rows=tuple(
            (name, tuple(f.answered / f.expected if f.expected else None for f in figures))
            for name, figures in rows
        ),
        alt=_alt(
            title,
            [
                prompts.text(
                    p + "heatmap_line",
                    team=name,
                    counts=", ".join(f"{f.answered}/{f.expected}" for f in figures),
                )
                for name, figures in rows
            ],
        ),
    )


# --- drawing ---------------------------------------------------------------------------


def render(chart: Chart) -> bytes:
    """The chart as a PNG."""
    draw = {
        "participation": _draw_participation,
        "energy": _draw_energy,
        "momentum": _draw_momentum,
        "heatmap": _draw_heatmap,
    }[chart.kind]
    canvas = draw(chart)
    canvas.suptitle(chart.title, fontsize=11)
    out = io.BytesIO()
    FigureCanvasAgg(canvas).print_png(out)
    return out.getvalue()


def _short(label: str) -> str:
    return label.split("-", 1)[-1]  # 2026-W48 → W48


def _draw_participation(chart: Chart) -> Canvas:
    # Fixed margins: the small charts are drawn by the thousand, and a layout engine would
    # take a third of each one's time.
    canvas = Canvas(figsize=(6, 3), dpi=DPI)
    canvas.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.8)
    axes = canvas.add_subplot()
    (answered_label, answered), (expected_label, expected) = chart.rows
    x = range(len(chart.weeks))
    axes.bar(x, expected, color="#dde3ea", label=expected_label)
    axes.bar(x, answered, width=0.6, color="#3b6ea5", label=answered_label)
    axes.set_xticks(list(x), [_short(w) for w in chart.weeks], fontsize=8)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1, 1), ncols=2)
    axes.spines[["top", "right"]].set_visible(False)
    return canvas


def _draw_energy(chart: Chart) -> Canvas:
    canvas = Canvas(figsize=(6, 3), dpi=DPI)
    canvas.subplots_adjust(left=0.07, right=0.74, bottom=0.12, top=0.86)
    axes = canvas.add_subplot()
    x = range(len(chart.weeks))
    bottom = [0.0] * len(chart.weeks)
    for (label, values), colour in zip(chart.rows, ENERGY_COLOURS, strict=True):
        heights = [v or 0.0 for v in values]
        axes.bar(x, heights, bottom=bottom, color=colour, label=label)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_xticks(list(x), [_short(w) for w in chart.weeks], fontsize=8)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    axes.spines[["top", "right"]].set_visible(False)
    return canvas


def _draw_momentum(chart: Chart) -> Canvas:
    count = len(chart.rows)
    columns = min(count, 3)
    lines = -(-count // columns)
    canvas = Canvas(figsize=(3 * columns, 1.8 * lines + 0.5), dpi=DPI, layout="constrained")
    axes = canvas.subplots(lines, columns, squeeze=False, sharey=True)
    for index, (title, values) in enumerate(chart.rows):
        ax = axes[index // columns][index % columns]
        ax.plot(range(len(values)), [v or 0 for v in values], color="#3b6ea5", marker="o", ms=3)
        ax.set_title(title if len(title) <= 40 else title[:39] + "…", fontsize=9)
        ax.set_xticks([0, len(values) - 1], [_short(chart.weeks[0]), _short(chart.weeks[-1])])
        ax.tick_params(labelsize=8)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
    for index in range(count, lines * columns):
        axes[index // columns][index % columns].set_visible(False)
    return canvas


def _draw_heatmap(chart: Chart) -> Canvas:
    teams = len(chart.rows)
    canvas = Canvas(figsize=(7, 0.3 * teams + 1.4), dpi=DPI, layout="constrained")
    axes = canvas.add_subplot()
    grid = [[float("nan") if v is None else v for v in values] for _, values in chart.rows]
    image = axes.imshow(grid, aspect="auto", cmap="Blues", vmin=0, vmax=1)
    axes.set_yticks(range(teams), [name for name, _ in chart.rows], fontsize=8)
    axes.set_xticks(range(len(chart.weeks)), [_short(w) for w in chart.weeks], fontsize=7)
    canvas.colorbar(image, ax=axes, format=lambda v, _: f"{v:.0%}", shrink=0.8)
    return canvas
