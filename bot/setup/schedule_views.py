"""The Schedule modal: the organisation's rhythm and settings, or one team's own rhythm."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import prompts
from bot.org.config import (
    WEEKDAYS,
    Holidays,
    OrgConfig,
    Schedule,
    format_duration,
    parse_duration,
)
from bot.setup.form import chosen, modal, select, state, text_input
from bot.setup.views import Loc
from bot.views.kit import Block, context, escape, option, section
from bot.views.kit import input_block as field

SCHEDULE = "admin_schedule"  # private_metadata {"team": key} for a team's own schedule
REMINDERS = ("1h", "2h", "4h", "8h", "1d")
EVERY_WEEKS = range(1, 13)
OWN, ORG = "own", "org"
SCHEDULE_FIELDS: dict[Loc, str] = {
    ("schedule", "checkin", "day"): "checkin_day",
    ("schedule", "checkin"): "checkin_time",
    ("schedule", "reminder_after"): "reminder",
    ("schedule", "strategy", "every_weeks"): "strategy_every",
    ("schedule", "strategy", "day"): "strategy_day",
    ("schedule", "strategy"): "strategy_time",
    ("schedule", "digest", "day"): "digest_day",
    ("schedule", "digest"): "digest_time",
    ("schedule",): "checkin_time",
    ("working_hours", "days"): "working_days",
    ("working_hours", "start"): "work_start",
    ("working_hours",): "work_end",
    ("anonymity",): "min_group_size",
    ("timezone",): "timezone",
    ("retention", "answers_days"): "answers_days",
    ("retention", "concerns_days"): "concerns_days",
    ("retention",): "after_uninstall_days",
    ("away", "emoji"): "away_emoji",
    ("away",): "away_words",
    ("holidays",): "holidays",
    ("days_off",): "days_off",
}
_LIST = re.compile(r"[,\n]+")


def duration_text(value: timedelta) -> str:
    """'4h' → '4 hours' (the unit Slack people read)."""
    spelled = format_duration(value)
    count, unit = int(spelled[:-1]), spelled[-1]
    one, many = prompts.raw(f"admin.units.{unit}")
    return one if count == 1 else many.format(count=count)


def _days() -> list[tuple[str, str]]:
    return [(prompts.text(f"admin.days.{day}"), day) for day in WEEKDAYS]


def _time(initial: str) -> Block:
    return {"type": "timepicker", "initial_time": initial}


def _number(initial: int, minimum: int) -> Block:
    return {
        "type": "number_input",
        "is_decimal_allowed": False,
        "initial_value": str(initial),
        "min_value": str(minimum),
    }


def rhythm_fields(schedule: Schedule) -> list[Block]:
    """Check-in, reminder, strategy cadence and digest: what a team may set for itself."""
    p = "admin.schedule."
    reminders = list(dict.fromkeys([*REMINDERS, format_duration(schedule.reminder_after)]))
    weeks = list(dict.fromkeys([*EVERY_WEEKS, schedule.strategy.every_weeks]))
    every = [
        (prompts.text(p + ("every_week" if n == 1 else "every_weeks"), count=n), str(n))
        for n in weeks
    ]
    return [
        field(
            "checkin_day", prompts.text(p + "checkin_day"), select(_days(), schedule.checkin.day)
        ),
        field(
            "checkin_time",
            prompts.text(p + "checkin_time"),
            _time(f"{schedule.checkin.time:%H:%M}"),
        ),
        field(
            "reminder",
            prompts.text(p + "reminder"),
            select(
                [(duration_text(parse_duration(r)), r) for r in reminders],
                format_duration(schedule.reminder_after),
            ),
        ),
        field(
            "strategy_every",
            prompts.text(p + "strategy_every"),
            select(every, str(schedule.strategy.every_weeks)),
        ),
        field(
            "strategy_day", prompts.text(p + "strategy_day"), select(_days(), schedule.strategy.day)
        ),
        field(
            "strategy_time",
            prompts.text(p + "strategy_time"),
            _time(f"{schedule.strategy.time:%H:%M}"),
        ),
        field("digest_day", prompts.text(p + "digest_day"), select(_days(), schedule.digest.day)),
        field(
            "digest_time", prompts.text(p + "digest_time"), _time(f"{schedule.digest.time:%H:%M}")
        ),
    ]


def org_fields(config: OrgConfig) -> list[Block]:
    """Working hours, anonymity floor, default zone and retention: set for everyone."""
    p = "admin.schedule."
    hours = config.working_hours
    days = [option(text, value) for text, value in _days()]
    working: Block = {
        "type": "checkboxes",
        "options": days,
        "initial_options": [item for item in days if item["value"] in hours.days],
    }
    retention = config.retention
    return [
        field("working_days", prompts.text(p + "working_days"), working),
        field("work_start", prompts.text(p + "work_start"), _time(f"{hours.start:%H:%M}")),
        field("work_end", prompts.text(p + "work_end"), _time(f"{hours.end:%H:%M}")),
        field(
            "min_group_size",
            prompts.text(p + "min_group"),
            _number(config.anonymity.min_group_size, 5),
            hint=prompts.text(p + "min_group_hint"),
        ),
        field(
            "timezone",
            prompts.text(p + "timezone"),
            text_input(config.timezone, limit=64),
            hint=prompts.text(p + "timezone_hint"),
        ),
        field("answers_days", prompts.text(p + "answers_days"), _number(retention.answers_days, 1)),
        field(
            "concerns_days", prompts.text(p + "concerns_days"), _number(retention.concerns_days, 1)
        ),
        field(
            "after_uninstall_days",
            prompts.text(p + "after_uninstall_days"),
            _number(retention.after_uninstall_days, 0),
        ),
    ]


def _listed(values: list[str]) -> str:
    return ", ".join(values)


def _holidays_text(holidays: Holidays | None) -> str:
    if holidays is None:
        return ""
    return holidays.country + (f"-{holidays.subdivision}" if holidays.subdivision else "")


def calendar_fields(holidays: Holidays | None, days_off: list[Any], *, team: bool) -> list[Block]:
    """Public holidays (a country, and a subdivision) and days off, as text."""
    p = "admin.schedule."
    return [
        field(
            "holidays",
            prompts.text(p + "holidays"),
            text_input(_holidays_text(holidays), limit=64),
            optional=True,
            hint=prompts.text(p + ("team_holidays_hint" if team else "holidays_hint")),
        ),
        field(
            "days_off",
            prompts.text(p + "days_off"),
            text_input(_listed([str(day) for day in days_off]), limit=3000),
            optional=True,
            hint=prompts.text(p + ("team_days_off_hint" if team else "days_off_hint")),
        ),
    ]


def away_fields(config: OrgConfig) -> list[Block]:
    """What in a Slack status says "away": emoji and words, comma-separated."""
    p = "admin.schedule."
    return [
        field(
            "away_emoji",
            prompts.text(p + "away_emoji"),
            text_input(_listed(config.away.emoji), limit=3000),
            optional=True,
            hint=prompts.text(p + "away_emoji_hint"),
        ),
        field(
            "away_words",
            prompts.text(p + "away_words"),
            text_input(_listed(config.away.words), limit=3000),
            optional=True,
            hint=prompts.text(p + "away_words_hint"),
        ),
    ]


def read_calendar(values: dict[str, Any]) -> dict[str, Any]:
    """`holidays:` ("DE-BY" → country DE, subdivision BY; empty → none) and `days_off:`."""
    text = (state(values, "holidays").get("value") or "").strip()
    holidays: dict[str, Any] | None = None
    if text:
        country, _, subdivision = re.sub(r"[/\s]+", "-", text).partition("-")
        holidays = {"country": country.upper(), "subdivision": subdivision or None}
    return {"holidays": holidays, "days_off": _items(values, "days_off")}


def read_away(values: dict[str, Any]) -> dict[str, Any]:
    return {"away": {"emoji": _items(values, "away_emoji"), "words": _items(values, "away_words")}}


def _items(values: dict[str, Any], block_id: str) -> list[str]:
    text = state(values, block_id).get("value") or ""
    return [item.strip() for item in _LIST.split(text) if item.strip()]


def schedule_modal(config: OrgConfig, team_key: str | None = None) -> dict[str, Any]:
    """The organisation's schedule, or (with `team_key`) one team's own rhythm."""
    p = "admin.schedule."
    blocks: list[Block] = [context(prompts.text("admin.no_access"))]
    team = next((t for t in config.teams if t.key == team_key), None)
    if team is None:
        blocks.append(section(prompts.text(p + "intro")))
        blocks += rhythm_fields(config.schedule) + org_fields(config) + away_fields(config)
        blocks += calendar_fields(config.holidays, config.days_off, team=False)
        return modal(prompts.text(p + "title"), blocks, callback_id=SCHEDULE, submit=True)
    follow = [(prompts.text(p + "follow_org"), ORG), (prompts.text(p + "follow_own"), OWN)]
    radios: Block = {"type": "radio_buttons", "options": [option(t, v) for t, v in follow]}
    radios["initial_option"] = radios["options"][1 if team.schedule else 0]
    blocks += [
        section(prompts.text(p + "team_intro", team=escape(team.name))),
        field("follow", prompts.text(p + "follow_label"), radios),
        *rhythm_fields(config.schedule_of(team.key)),
        *calendar_fields(team.holidays, team.days_off, team=True),
    ]
    return modal(
        prompts.text(p + "team_title"),
        blocks,
        callback_id=SCHEDULE,
        submit=True,
        meta={"team": team.key},
    )


def read_rhythm(values: dict[str, Any]) -> dict[str, Any]:
    """The `schedule:` mapping of the org file, from the form."""

    def at(prefix: str) -> dict[str, Any]:
        return {
            "day": chosen(values, f"{prefix}_day"),
            "time": state(values, f"{prefix}_time").get("selected_time"),
        }

    return {
        "checkin": at("checkin"),
        "reminder_after": chosen(values, "reminder"),
        "strategy": {"every_weeks": chosen(values, "strategy_every"), **at("strategy")},
        "digest": at("digest"),
    }


def read_org(values: dict[str, Any]) -> dict[str, Any]:
    """Every organisation-wide key the Schedule modal sets, as the org file spells them."""

    def number(block_id: str) -> str | None:
        return state(values, block_id).get("value")

    picked = state(values, "working_days").get("selected_options") or []
    return {
        "schedule": read_rhythm(values),
        "working_hours": {
            "days": [day for day in WEEKDAYS if day in {item["value"] for item in picked}],
            "start": state(values, "work_start").get("selected_time"),
            "end": state(values, "work_end").get("selected_time"),
        },
        "anonymity": {"min_group_size": number("min_group_size")},
        "timezone": (state(values, "timezone").get("value") or "").strip(),
        "retention": {
            key: number(key) for key in ("answers_days", "concerns_days", "after_uninstall_days")
        },
        **read_away(values),
        **read_calendar(values),
    }


def follows_org(values: dict[str, Any]) -> bool:
    """Whether a team's schedule form says: follow the organisation's schedule."""
    return chosen(values, "follow") == ORG
