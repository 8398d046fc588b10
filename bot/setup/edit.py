"""Admin edits made in Slack: the stored org with one change, checked like an org file."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

import prompts
from bot.org.config import COLUMN_KEYS, RESERVED_KEYS, OrgConfig, zone_or
from bot.org.file import Loc, plain_message
from bot.org.plan import SLACKBOT
from bot.setup.apply import late_openings
from bot.setup.people import ADMIN_FLAGS, upsert_user
from storage import queries

Change = Callable[[dict[str, Any]], tuple[dict[str, Any], Loc]]


class Refused(Exception):
    """The edit can't be saved; `errors` maps a modal's block ids to kind sentences."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Form:
    """Where a modal shows each problem: config paths and chosen people → its block ids."""

    fields: dict[Loc, str]
    fallback: str
    people: dict[str, list[str]] = field(default_factory=dict)
    whole: str | None = None  # where rules about the whole org (parent loops) are shown
    late: str | None = None  # where a check-in opening after the digest is shown
    within: Loc = ()  # the list item being edited, e.g. ("teams", 2)


def slack_admin(user: dict[str, Any] | None, workspace_id: str) -> bool:
    """A Slack workspace admin or owner of this workspace, by a fresh users.info answer."""
    if not user or user.get("team_id") != workspace_id or user.get("deleted"):
        return False
    return any(bool(user.get(flag)) for flag in ADMIN_FLAGS)


def slug(text: str, taken: set[str], fallback: str) -> str:
    """A key made from a title ('Launch in the EU' → 'launch-in-the-eu'), unique among `taken`."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:56] or fallback
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def _find(items: list[dict[str, Any]], key: str, block: str) -> int:
    index = next((at for at, item in enumerate(items) if item.get("key") == key), None)
    if index is None:
        raise Refused({block: prompts.text("admin.gone")})
    return index


def with_objective(data: dict[str, Any], key: str, values: dict[str, Any]) -> tuple[dict, Loc]:
    """`data` with objective `key` changed, or ("" for key) a new one keyed from its title."""
    objectives = [dict(item) for item in data.get("objectives") or []]
    if key:
        index = _find(objectives, key, "title")
        objectives[index].update(values)
    else:
        index = len(objectives)
        taken = {item["key"] for item in objectives}
        objectives.append({"key": slug(values["title"], taken, "objective"), **values})
    return {**data, "objectives": objectives}, ("objectives", index)


def with_team(data: dict[str, Any], key: str, values: dict[str, Any]) -> tuple[dict, Loc]:
    """`data` with team `key` changed, or ("" for key) a new team (its key typed or made)."""
    teams = [dict(item) for item in data.get("teams") or []]
    values = dict(values)
    typed = values.pop("key", "")
    if key:
        index = _find(teams, key, "name")
        teams[index].update(values)
    else:
        taken = {item["key"] for item in teams}
        if typed in taken:
            raise Refused({"key": prompts.text("admin.key_taken", taken=typed)})
        index = len(teams)
        teams.append({"key": typed or slug(values["name"], taken, "team"), **values})
    return {**data, "teams": teams}, ("teams", index)


def with_settings(data: dict[str, Any], values: dict[str, Any]) -> tuple[dict, Loc]:
    """`data` with top-level keys replaced (leaders, admins, schedule, working hours …)."""
    return {**data, **values}, ()


def with_team_schedule(
    data: dict[str, Any],
    key: str,
    schedule: dict[str, Any] | None,
    calendar: dict[str, Any] | None = None,
) -> tuple[dict, Loc]:
    """`data` with team `key` on its own schedule, or (None) back on the organisation's; and
    its own holidays and days off when `calendar` gives them."""
    teams = [dict(item) for item in data.get("teams") or []]
    index = _find(teams, key, "checkin_time")
    teams[index]["schedule"] = schedule
    teams[index].update(calendar or {})
    return {**data, "teams": teams}, ("teams", index)


def with_questions(
    data: dict[str, Any], team_key: str, questions: list[dict[str, Any]] | None
) -> tuple[dict, Loc]:
    """`data` with the questions of team `team_key` (or, for "", the organisation's) set;
    None: the team follows the organisation's again (the organisation, leadbot's template)."""
    if not team_key:
        return {**data, "questions": questions}, ()
    teams = [dict(item) for item in data.get("teams") or []]
    index = _find(teams, team_key, "text")
    teams[index]["questions"] = questions
    return {**data, "teams": teams}, ("teams", index)


def question_key(text: str, taken: set[str]) -> str:
    """A key made from a question's words ('Which customer?' → 'which_customer'), never a
    built-in's or a column's, unique among `taken`."""
    reserved = taken | set(COLUMN_KEYS) | set(RESERVED_KEYS)
    base = slug(text, set(), "question").replace("-", "_")[:28].strip("_") or "question"
    if not base[0].isalpha():
        base = f"q_{base}"[:28]
    key, number = base, 2
    while key in reserved:
        key, number = f"{base}_{number}", number + 1
    return key


def prepare(
    session: Session,
    client: WebClient,
    workspace_id: str,
    old: OrgConfig | None,
    change: Change,
    form: Form,
    now: datetime,
) -> OrgConfig:
    """The changed config, checked like an org file; Refused says what is wrong, and where."""
    data, within = change(old.model_dump(mode="json") if old else {"teams": []})
    form = replace(form, within=within)
    try:
        new = OrgConfig.model_validate(data)
    except ValidationError as error:
        raise Refused(_placed(error, form)) from None
    check_people(session, client, workspace_id, old, form, now)
    check_schedule(session, workspace_id, old, new, form, now)
    return new


def _placed(error: ValidationError, form: Form) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors():
        errors.setdefault(block_of(tuple(item["loc"]), form), explain(item))
    return errors


def block_of(loc: Loc, form: Form) -> str:
    """The block showing a problem at `loc`: the longest known path it starts with."""
    if not loc and form.whole:
        return form.whole
    if form.within:
        if loc[: len(form.within)] != form.within:
            return form.fallback
        loc = loc[len(form.within) :]
    for size in range(len(loc), 0, -1):
        if loc[:size] in form.fields:
            return form.fields[loc[:size]]
    return form.fallback


def explain(item: Any) -> str:
    """One pydantic problem in kind words."""
    kind, limits = item["type"], item.get("ctx") or {}
    if kind in ("missing", "string_too_short"):
        return prompts.text("admin.required")
    if kind == "string_too_long":
        return prompts.text("admin.too_long", limit=limits.get("max_length"))
    if kind == "string_pattern_mismatch":
        return prompts.text("admin.bad_key")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return prompts.text("admin.whole_number")
    if kind == "greater_than_equal":
        return prompts.text("admin.at_least", limit=limits.get("ge"))
    if kind == "less_than_equal":
        return prompts.text("admin.at_most", limit=limits.get("le"))
    message = plain_message(str(item["msg"]))
    return message[:1].upper() + message[1:]


def named(config: OrgConfig | None) -> set[str]:
    """Everyone the configuration names."""
    if config is None:
        return set()
    return {*config.admins, *config.leaders, *config.everyone()}


def check_people(
    session: Session,
    client: WebClient,
    workspace_id: str,
    old: OrgConfig | None,
    form: Form,
    now: datetime,
) -> None:
    """Newly named people must be humans of this workspace; they are stored (not committed)."""
    known, errors = named(old), {}
    for block, user_ids in form.people.items():
        for user_id in user_ids:
            if user_id and user_id not in known:
                problem = person_problem(session, client, workspace_id, user_id, now)
                if problem:
                    errors.setdefault(block, problem)
    if errors:
        raise Refused(errors)


def person_problem(
    session: Session, client: WebClient, workspace_id: str, user_id: str, now: datetime
) -> str | None:
    """Why `user_id` can't be named (None when they can); a new person is stored."""
    person = queries.get_person(session=session, workspace_id=workspace_id, user_id=user_id)
    if person is not None:
        return prompts.text("admin.a_bot", name=person.display) if person.is_bot else None
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError:
        return prompts.text("admin.not_a_person", name=user_id)
    name = (user.get("profile") or {}).get("real_name") or user.get("real_name") or user_id
    if user.get("team_id") != workspace_id:
        return prompts.text("admin.other_org", name=name)
    if user.get("is_bot") or user_id == SLACKBOT:
        return prompts.text("admin.a_bot", name=name)
    upsert_user(session, workspace_id, user, now)
    return None


def check_schedule(
    session: Session,
    workspace_id: str,
    old: OrgConfig | None,
    new: OrgConfig,
    form: Form,
    now: datetime,
) -> None:
    """Refuse an edit under which some check-in newly opens at or after its team's digest."""
    people = queries.people_by_id(session=session, workspace_id=workspace_id)

    def zones(config: OrgConfig) -> Callable[[str], Any]:
        return lambda user_id: zone_or(getattr(people.get(user_id), "tz", None), config.zone)

    before = late_openings(old, zones(old), now) if old else {}
    for key, found in late_openings(new, zones(new), now).items():
        if before.get(key) == found:
            continue  # already so before this edit: not this admin's doing
        team = next(team for team in new.teams if team.key == key)
        schedule = new.schedule_of(key)
        raise Refused(
            {
                form.late or form.fallback: prompts.text(
                    "admin.late_checkin",
                    team=team.name,
                    checkin=_at(schedule.checkin.day, schedule.checkin.time),
                    digest=_at(schedule.digest.day, schedule.digest.time),
                    zone=found[0],
                    zones=", ".join(str(zone) for zone in found[1]),
                )
            }
        )


def _at(day: str, time: Any) -> str:
    return f"{prompts.text(f'admin.days.{day}')} {time:%H:%M}"
