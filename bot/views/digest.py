"""Block Kit for what a digest says: quotes with names, the alignment map."""

from __future__ import annotations

import prompts
from bot.digest import Alignment, Quote, TeamWeek
from bot.views.kit import TEXT_LIMIT, Block, cut, escape, section

QUOTE_LIMIT = 280


def quote_line(quote: Quote, *, with_name: bool = True) -> str:
    """“words” — Name, escaped and cut with a visible … (user text never pings or links)."""
    words = escape(cut(" ".join(quote.text.split()), QUOTE_LIMIT))
    return f"“{words}” — {escape(quote.name)}" if with_name else f"“{words}”"


def lines_sections(title: str, lines: list[str]) -> list[Block]:
    """A titled list split over as many sections as Slack's 3,000 characters need."""
    blocks: list[Block] = []
    chunk = f"*{title}*"
    for line in lines:
        candidate = f"{chunk}\n{line}"
        if len(candidate) > TEXT_LIMIT:
            blocks.append(section(chunk))
            chunk = line
        else:
            chunk = candidate
    blocks.append(section(chunk))
    return blocks


def alignment_lines(rows: list[Alignment], *, with_names: bool = True) -> list[str]:
    lines = []
    for row in rows:
        title = escape(row.title)
        if not row.quotes:
            lines.append(prompts.text("digest.objective_nobody", title=title))
            continue
        lines.append(prompts.text("digest.objective_people", title=title, count=len(row.quotes)))
        lines += [f"    {quote_line(q, with_name=with_names)}" for q in row.quotes]
    return lines


def about_blocks(week: TeamWeek) -> list[Block]:
    """The digest's items about one person, as that person sees them (no Reply buttons)."""
    sections = (
        ("digest.wins", week.wins),
        ("digest.blockers", week.blockers),
        ("digest.learned", week.learned),
        ("digest.helped", week.helped),
    )
    blocks: list[Block] = []
    for key, quotes in sections:
        if quotes:
            blocks += lines_sections(
                prompts.text(key), [quote_line(q, with_name=False) for q in quotes]
            )
    if week.alignment:
        blocks += lines_sections(
            prompts.text("digest.alignment"), alignment_lines(week.alignment, with_names=False)
        )
    return blocks
