"""The digests' charts: what they draw, as plain data taken from the digest's own figures,
with alt text that says the same in words (drawing them is `drawing`).

Team figures only, under the rules the text follows: energy is drawn only for the weeks whose
distribution the digest may show (at least `min_group_size` answers, not all alike), and a
chart with nothing to draw is not made.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import prompts
from bot.digest.drawing import Chart
from bot.digest.momentum import Momentum, labels_back
from bot.digest.summary import Figure, TeamDigest

ALT_LIMIT = 1000  # Slack's limit on a file's alt text (files.getUploadURLExternal)
HEATMAP_TEAMS = 20  # the largest teams drawn one row each; the rest as one "others" row
LEVELS = (1, 2, 3, 4, 5)


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
