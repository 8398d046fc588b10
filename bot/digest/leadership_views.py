"""Block Kit for the leadership digest: team figures, coverage, concern counts — never people."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import prompts
from bot.digest.momentum import STILL_AFTER, Momentum
from bot.digest.raised import ForLeaders, weeks_old
from bot.digest.summary import Figure
from bot.digest.views import lines_sections
from bot.views.kit import (
    Block,
    button,
    context,
    cut,
    escape,
    header,
    notice_modal,
    option,
    plain,
    quoted,
    section,
)
from storage.models import RaisedBlocker


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
    raised: list[Block] | None = None,
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
    blocks += raised or []
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


RAISED_ANSWER = "raised_answer"  # value: the raised blocker's ref
RAISED_ANSWER_MODAL = "raised_answer_modal"


def raised_blocks(
    shown: ForLeaders,
    objectives: list[tuple[str, str]],
    names: dict[str, str],
    now: datetime,
    *,
    answerable: bool = True,
) -> list[Block]:
    """Raised blockers under the objective they block (team, manager, note, words, age —
    never the person), each with Reply; then the ones closed since, once."""
    p = "digest.leadership."
    blocks: list[Block] = []
    if shown.open:
        blocks += [
            section(f"*{prompts.text(p + 'raised')}*"),
            context(prompts.text(p + "raised_intro")),
        ]
        titles = dict(objectives)
        order = [key for key, _ in objectives] + [None]
        for key in order:
            group = [
                r
                for r in shown.open
                if (r.objective_key if r.objective_key in titles else None) == key
            ]
            if not group:
                continue
            blocks.append(
                section(f"*{escape(titles[key]) if key else prompts.text(p + 'raised_none')}*")
            )
            for row in group:
                button_ = (
                    button(prompts.text(p + "answer"), RAISED_ANSWER, row.ref)
                    if answerable
                    else None
                )
                blocks.append(section(raised_line(row, names, now), button_))
    if shown.closed:
        lines = [
            prompts.text(
                p + "said_did_line",
                team=escape(row.team_name),
                manager=escape(names.get(row.manager_id, row.manager_id)),
                text=_words(row, 200),
                status=prompts.text(f"digest.statuses.{row.status}"),
                answer=f" — “{quoted(cut(row.answer, 300))}”" if row.answer else "",
            )
            for row in shown.closed
        ]
        blocks += lines_sections(prompts.text(p + "said_did"), lines)
    return blocks


def _words(row: RaisedBlocker, limit: int) -> str:
    if row.words is None:
        return prompts.text("digest.leadership.raised_forgotten")
    return quoted(cut(row.words, limit))


def age_text(row: RaisedBlocker, now: datetime) -> str:
    weeks = weeks_old(row, now)
    if not weeks:
        return prompts.text("digest.leadership.age_new")
    return prompts.text("digest.leadership.age_weeks", weeks=weeks)


def raised_line(row: RaisedBlocker, names: dict[str, str], now: datetime) -> str:
    p = "digest.leadership."
    status = ""
    if row.status != "open":
        status = prompts.text(
            p + "raised_status",
            status=prompts.text(f"digest.statuses.{row.status}"),
            answer=f" — “{quoted(cut(row.answer, 300))}”" if row.answer else "",
        )
    return prompts.text(
        p + "raised_line",
        team=escape(row.team_name),
        manager=escape(names.get(row.manager_id, row.manager_id)),
        age=age_text(row, now),
        text=_words(row, 500),
        note=prompts.text(p + "raised_note", text=quoted(cut(row.note, 500))) if row.note else "",
        status=status,
    )


def answer_modal(row: RaisedBlocker | None, names: dict[str, str], now: datetime) -> dict:
    """A leader answers a raised blocker: a status and a word (why, for won't act); for
    anyone but its leaders, a kind refusal."""
    p = "digest.answer_modal."
    title = plain(prompts.text(p + "title"), 24)
    if row is None:
        return notice_modal(prompts.text(p + "not_yours"), prompts.text(p + "title"))
    choices = [
        option(prompts.text(f"digest.statuses.{s}"), s) for s in ("on_it", "resolved", "wont_act")
    ]
    status: dict = {"type": "radio_buttons", "action_id": "value", "options": choices}
    current = next((c for c in choices if c["value"] == row.status), None)
    if current is not None:
        status["initial_option"] = current
    note = prompts.text(p + "note", text=quoted(cut(row.note, 300))) if row.note else ""
    return {
        "type": "modal",
        "callback_id": RAISED_ANSWER_MODAL,
        "title": title,
        "submit": plain(prompts.text(p + "submit"), 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"ref": row.ref}),
        "blocks": [
            section(
                prompts.text(
                    p + "context",
                    team=escape(row.team_name),
                    manager=escape(names.get(row.manager_id, row.manager_id)),
                    age=age_text(row, now),
                    text=_words(row, 500),
                    note=note,
                )
            ),
            {
                "type": "input",
                "block_id": "status",
                "element": status,
                "label": plain(prompts.text(p + "status_label"), 2000),
            },
            {
                "type": "input",
                "block_id": "answer",
                "optional": True,
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 2000,
                },
                "label": plain(prompts.text(p + "text_label"), 2000),
            },
        ],
    }
