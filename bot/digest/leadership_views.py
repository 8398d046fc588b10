"""Block Kit for the leadership digest: team figures, coverage, concern counts — never people."""

from __future__ import annotations

from collections import Counter

import prompts
from bot.digest.momentum import STILL_AFTER, Momentum
from bot.digest.summary import Figure
from bot.digest.views import lines_sections
from bot.views.kit import Block, context, escape, header, section


def leadership_blocks(
    period: str,
    teams: list[tuple[str, Figure]],
    coverage: list[tuple[str, int]],
    counts: dict[str, Counter[str]] | None,
    stale: int,
    concerns: list[Block],
    *,
    min_group: int,
    execution: list[Momentum] | None = None,
) -> list[Block]:
    """The organisation this week, teams listed by name (in org order, never ranked)."""
    p = "digest.leadership."
    blocks: list[Block] = [
        header(prompts.text(p + "header", period=period)),
        context(prompts.text(p + "intro")),
    ]
    blocks += lines_sections(
        prompts.text(p + "participation"),
        [
            prompts.text(
                p + "team_line", team=escape(name), answered=f.answered, expected=f.expected
            )
            for name, f in teams
        ],
    )
    blocks += lines_sections(
        prompts.text(p + "coverage"),
        [
            prompts.text(
                p + ("coverage_line" if count else "coverage_none"),
                title=escape(title),
                count=count,
            )
            for title, count in coverage
        ]
        or ["—"],
    )
    if execution is not None:
        blocks += execution_blocks(execution)
    if counts is None:
        blocks.append(context(prompts.text(p + "concerns_small", min=min_group)))
    elif counts:
        lines = [
            prompts.text(
                p + "concerns_counts",
                topic=prompts.text(f"concern.topics.{topic}"),
                counts=", ".join(
                    f"{n} {status.replace('_', ' ')}" for status, n in sorted(c.items())
                ),
            )
            for topic, c in sorted(counts.items())
        ]
        blocks += lines_sections(prompts.text(p + "concerns"), lines)
    if stale:
        blocks.append(section(prompts.text(p + "stale", count=stale)))
    if concerns:
        blocks.append(header(prompts.text(p + "for_leaders")))
        blocks += concerns
    return blocks


TEAMS_SHOWN = 8  # teams named on an objective's line; the rest are counted


def execution_blocks(execution: list[Momentum]) -> list[Block]:
    """Execution: each objective's momentum this week, the teams it came from, and the
    objectives nothing has moved for STILL_AFTER weeks or more, called out."""
    p = "digest.leadership."
    lines = [execution_line(m) for m in execution] or [prompts.text(p + "execution_none")]
    return [
        *lines_sections(prompts.text(p + "execution"), lines),
        context(prompts.text(p + "execution_intro")),
    ]


def execution_line(m: Momentum) -> str:
    p = "digest.leadership."
    if m.still_weeks >= STILL_AFTER:
        return prompts.text(p + "execution_still", title=escape(m.title), weeks=m.still_weeks)
    trend = trend_text(m.moved, m.average)
    if not m.moved:
        return prompts.text(p + "execution_quiet", title=escape(m.title), trend=trend)
    teams = [f"{escape(name)} {count}" for name, count in m.teams[:TEAMS_SHOWN]]
    if len(m.teams) > TEAMS_SHOWN:
        teams.append(prompts.text(p + "teams_more", count=len(m.teams) - TEAMS_SHOWN))
    return prompts.text(
        p + "execution_line",
        title=escape(m.title),
        moved=m.moved,
        trend=trend,
        teams=", ".join(teams),
    )


def trend_text(moved: int, average: float) -> str:
    """This week against the average of the weeks before, in words."""
    shown = f"{average:.1f}".removesuffix(".0")
    if moved > average:
        return prompts.text("digest.leadership.trend_up", average=shown)
    if moved < average:
        return prompts.text("digest.leadership.trend_down", average=shown)
    return prompts.text("digest.leadership.trend_same")
