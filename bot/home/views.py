"""App Home: one person's view, always within Slack's 100 blocks."""

from __future__ import annotations

import re
from typing import Any

import prompts
from bot.checkin import views as checkin_views
from bot.digest.leadership_views import RAISED_ANSWER, execution_line, raised_line
from bot.digest.views import about_blocks, lines_sections
from bot.home.gather import HomeData, TeamView
from bot.org import access_views
from bot.org.config import ObjectiveSpec
from bot.strategy import views as strategy_views
from bot.views.kit import (
    VIEW_BLOCKS,
    Block,
    actions,
    button,
    context,
    cut,
    divider,
    escape,
    header,
    plain,
    quoted,
    section,
    slack_date,
)

SEE_ALL = "home_see_all"
QUESTIONS = "questions_open"  # a team's questions (bot.setup.question_views.OPEN)
ADMIN_PARTS = ("objectives", "teams", "leaders", "schedule", "questions")
ADMIN = re.compile(r"^admin_open_(objectives|teams|leaders|schedule|questions)$")  # one per button


def admin_action(part: str) -> str:
    """The action id of App Home's admin button for `part` (unique within its block)."""
    return f"admin_open_{part}"


SHOWN = 6  # items of a long list shown before "See all"
MAX_TEAMS = 5


def home_view(data: HomeData, *, raise_action: str | None, check_action: str | None) -> dict:
    """The whole Home tab for one person."""
    blocks: list[Block] = [header(prompts.text("home.title")), context(prompts.text("home.intro"))]
    blocks += _checkin(data) + [divider()]
    if data.config is not None:
        blocks += _alignment(data) + [divider()] + _objectives(data) + [divider()]
    if raise_action and check_action:
        blocks += _speak_up(raise_action, check_action) + [divider()]
    if data.about_me is not None:
        blocks += _about_me(data) + [divider()]
    for team in data.teams[:MAX_TEAMS]:
        blocks += _team(team) + [divider()]
    if len(data.teams) > MAX_TEAMS:
        blocks.append(
            section(
                f"… and {len(data.teams) - MAX_TEAMS} more teams",
                button(prompts.text("home.see_all", count=len(data.teams)), SEE_ALL, "teams"),
            )
        )
    if data.execution is not None:
        blocks += _execution(data) + [divider()]
    if data.is_admin:
        blocks += _admin(data)
    return {"type": "home", "blocks": fit(blocks)}


def _execution(data: HomeData) -> list[Block]:
    """Leaders: each objective's momentum this week so far, and the raised blockers theirs
    to answer, each with Reply (the first SHOWN of each; See all for the rest)."""
    assert data.execution is not None and data.now is not None
    lines = [execution_line(m) for m in data.execution] or [
        prompts.text("digest.leadership.execution_none")
    ]
    blocks: list[Block] = [
        section(f"*{prompts.text('home.execution_heading')}*\n" + "\n".join(lines[:SHOWN]))
    ]
    if len(lines) > SHOWN:
        blocks.append(
            actions(button(prompts.text("home.see_all", count=len(lines)), SEE_ALL, "execution"))
        )
    if not data.raised:
        blocks.append(context(prompts.text("home.raised_none")))
        return blocks
    blocks.append(section(f"*{prompts.text('home.raised_heading', count=len(data.raised))}*"))
    for row in data.raised[:SHOWN]:
        reply = button(prompts.text("digest.leadership.answer"), RAISED_ANSWER, row.ref)
        blocks.append(section(raised_line(row, data.names, data.now), reply))
    if len(data.raised) > SHOWN:
        blocks.append(
            actions(button(prompts.text("home.see_all", count=len(data.raised)), SEE_ALL, "raised"))
        )
    return blocks


def fit(blocks: list[Block]) -> list[Block]:
    """Never more than 100 blocks; if ever cut, the cut is visible."""
    if blocks and blocks[-1]["type"] == "divider":
        blocks = blocks[:-1]
    if len(blocks) <= VIEW_BLOCKS:
        return blocks
    return blocks[: VIEW_BLOCKS - 1] + [context("… (more than fits here)")]


def _checkin(data: HomeData) -> list[Block]:
    state = data.checkin
    title = f"*{prompts.text('home.checkin_heading')}*\n"
    if state is None:
        return [section(title + prompts.text("home.checkin_none"))]
    when = slack_date(state.at, data.zone)
    if state.state == "paused":
        return [section(title + prompts.text("home.checkin_paused", until=when))]
    if state.state == "next":
        return [section(title + prompts.text("home.checkin_next", opens=when))]
    if state.state == "answered":
        return [
            section(
                title + prompts.text("home.checkin_answered", week=state.week, closes=when),
                button(prompts.text("checkin.button_edit"), checkin_views.EDIT, state.week),
            )
        ]
    if state.state in ("away", "days_off"):
        return [
            section(
                title + prompts.text(f"home.checkin_{state.state}"),
                button(prompts.text("home.button_checkin_anyway"), checkin_views.OPEN, state.week),
            )
        ]
    if state.state == "skipped":
        return [
            section(
                title + prompts.text("home.checkin_skipped", week=state.week),
                button(prompts.text("checkin.button_checkin"), checkin_views.OPEN, state.week),
            )
        ]
    return [
        section(
            title + prompts.text("home.checkin_open", week=state.week, closes=when),
            button(
                prompts.text("checkin.button_checkin"),
                checkin_views.OPEN,
                state.week,
                style="primary",
            ),
        )
    ]


def _alignment(data: HomeData) -> list[Block]:
    titles = {o.key: o.title for o in data.config.objectives} if data.config else {}
    blocks = [
        section(
            f"*{prompts.text('home.alignment_heading')}*",
            button(prompts.text("home.reflect"), strategy_views.OPEN, "home"),
        )
    ]
    if not data.mine:
        return blocks + [context(prompts.text("home.alignment_empty"))]
    items = list(data.mine.items())
    for key, reflection in items[:SHOWN]:
        progress = quoted(cut(reflection.progress or "", 280))
        if key:
            text = prompts.text(
                "home.alignment_line", title=escape(titles.get(key, key)), progress=progress
            )
        else:
            text = prompts.text(
                "home.alignment_other",
                other=quoted(cut(reflection.other or "", 200)),
                progress=progress,
            )
        blocks.append(
            section(text, button(prompts.text("home.update"), strategy_views.OPEN, key or "other"))
        )
    if len(items) > SHOWN:
        blocks.append(
            actions(button(prompts.text("home.see_all", count=len(items)), SEE_ALL, "mine"))
        )
    return blocks


def objective_line(objective: ObjectiveSpec) -> str:
    text = f"• *{escape(objective.title)}*"
    return text + (f" — {escape(cut(objective.description, 200))}" if objective.description else "")


def _objectives(data: HomeData) -> list[Block]:
    active = [o for o in data.config.objectives if not o.archived] if data.config else []
    heading = f"*{prompts.text('home.objectives_heading')}*"
    if not active:
        return [section(heading + "\n" + prompts.text("home.objectives_empty"))]
    blocks = [section(heading + "\n" + "\n".join(objective_line(o) for o in active[:SHOWN]))]
    if len(active) > SHOWN:
        blocks.append(
            actions(button(prompts.text("home.see_all", count=len(active)), SEE_ALL, "objectives"))
        )
    if data.manager_reflection and data.manager_name:
        blocks.append(
            context(
                prompts.text(
                    "home.manager_reflection",
                    manager=escape(data.manager_name),
                    how=quoted(cut(data.manager_reflection.how or "", 400)),
                )
            )
        )
    return blocks


def _speak_up(raise_action: str, check_action: str) -> list[Block]:
    return [
        section(f"*{prompts.text('home.concern_heading')}*\n{prompts.text('home.concern_text')}"),
        actions(
            button(prompts.text("home.concern_raise"), raise_action, "home"),
            button(prompts.text("home.concern_check"), check_action, "home"),
        ),
    ]


def _about_me(data: HomeData) -> list[Block]:
    assert data.about_me is not None
    items = about_blocks(data.about_me)
    blocks = [
        section(f"*{prompts.text('home.about_me_heading')}*"),
        context(prompts.text("home.about_me_text")),
    ]
    if not items:
        return blocks + [context(prompts.text("home.about_me_empty"))]
    shown = items[:SHOWN]
    if len(items) > SHOWN:
        shown.append(context("…"))
    return blocks + shown


def _team(team: TeamView) -> list[Block]:
    blocks = [
        section(
            f"*{prompts.text('home.team_heading', team=escape(team.name))}*\n"
            + prompts.text(
                "home.team_participation", answered=team.answered, expected=team.expected
            ),
            button(prompts.text("home.team_questions"), QUESTIONS, team.key) if team.key else None,
        )
    ]
    if team.paused:
        names = ", ".join(
            f"{escape(name)} (until {until:%d %b})" for name, until in team.paused[:10]
        )
        more = f" and {len(team.paused) - 10} more" if len(team.paused) > 10 else ""
        blocks.append(context(prompts.text("home.team_paused", people=names + more)))
    lines = [
        prompts.text("home.team_map_line", title=escape(title), count=count, size=team.size)
        for title, count in team.map
    ]
    if lines:
        blocks.append(section(f"*{prompts.text('home.team_map')}*\n" + "\n".join(lines[:SHOWN])))
        if len(lines) > SHOWN:
            blocks.append(
                actions(
                    button(
                        prompts.text("home.see_all", count=len(lines)),
                        SEE_ALL,
                        f"map:{team.name}"[:2000],
                    )
                )
            )
    if team.unconnected:
        titles = ", ".join(escape(t) for t in team.unconnected[:SHOWN])
        more = f" and {len(team.unconnected) - SHOWN} more" if len(team.unconnected) > SHOWN else ""
        blocks.append(context(prompts.text("home.team_unconnected", titles=titles + more)))
    return blocks


def _admin(data: HomeData) -> list[Block]:
    config = data.config
    summary = ""
    if config is not None:
        summary = prompts.text(
            "home.admin_summary",
            objectives=len(config.objectives),
            teams=data.team_count,
            leaders=len(config.leaders),
            checkin_day=config.schedule.checkin.day,
            checkin_time=f"{config.schedule.checkin.time:%H:%M}",
            digest_day=config.schedule.digest.day,
            digest_time=f"{config.schedule.digest.time:%H:%M}",
        )
    blocks = [
        section(f"*{prompts.text('home.admin_heading')}*\n{prompts.text('home.admin_text')}"),
        context(summary or "—"),
        actions(
            *(
                button(prompts.text(f"home.admin_{part}"), admin_action(part), part)
                for part in ADMIN_PARTS
            )
        ),
    ]
    if data.access is not None:
        blocks.append(access_views.latest_block(data.access.rows, data.access.names, data.zone))
    return blocks


def list_modal(title: str, heading: str, lines: list[str]) -> dict[str, Any]:
    """A 'see all' modal: every line, over as many sections as needed, within 100 blocks."""
    blocks = lines_sections(heading, lines)[:VIEW_BLOCKS]
    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("Close", 24),
        "blocks": blocks,
    }
