"""Block Kit for the leadership digest: team figures, coverage, concern counts — never people."""

from __future__ import annotations

from collections import Counter

import prompts
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
