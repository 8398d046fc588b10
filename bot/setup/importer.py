"""`python -m bot import FILE [--yes]`: check an org file against Slack, show the diff, apply it."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.org import diff as orgdiff
from bot.org.config import OrgConfig, zone_or
from bot.org.file import MAX_BYTES, Loc, OrgFile, OrgFileError, parse_org
from bot.org.plan import SLACKBOT
from bot.setup.apply import apply_config, late_openings
from bot.setup.people import fetch_people, upsert_people

log = logging.getLogger(__name__)

OK, REFUSED, BAD_FILE = 0, 1, 2


def run_import(
    path: str | Path,
    *,
    yes: bool,
    session: Session,
    client: WebClient,
    now: datetime,
    out: TextIO,
    err: TextIO | None = None,
) -> int:
    """Import an org file: 0 applied or nothing to do, 1 removals need --yes, 2 bad file."""
    err = err or out
    try:
        workspace_id, name, config, users = _prepare(Path(path), client, now)
    except OrgFileError as error:
        err.writelines(f"{problem}\n" for problem in error.problems)
        err.write("Nothing was changed.\n")
        return BAD_FILE
    except SlackApiError as error:
        reason = error.response.get("error", "the request")
        err.write(f"Slack refused {reason}; nothing was changed.\n")
        return BAD_FILE
    stored = orgdiff.load_stored(session, workspace_id)
    diff = orgdiff.diff_org(stored, config)
    if not diff.writes:
        out.write("No changes.\n")
        return OK
    if stored.workspace is None:
        out.write(f'+ workspace {workspace_id} "{name}"\n')
    out.writelines(f"{line}\n" for line in diff.lines)
    if diff.removals and not yes:
        out.write(
            f"\n{len(diff.removals)} removal(s) above. Check-in history is kept, but "
            "whoever is removed gets no more check-ins. Run again with --yes to apply.\n"
            "Nothing was changed.\n"
        )
        return REFUSED
    try:
        moved = upsert_people(session, workspace_id, users, now)
        session.flush()
        applied = apply_config(session, workspace_id, name, config, now, also_replan=moved)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    log.info("imported %s into %s (%d changes)", path, workspace_id, len(diff.lines))
    out.write(
        f"Applied {len(diff.lines)} change(s); check-ins re-planned for "
        f"{len(applied.replan)} people.\n"
    )
    if applied.announced:
        out.write(
            f"{applied.announced} change(s) to who reads (leaders, admins, managers, the "
            "leadership channel) will be told to every leader and admin by DM.\n"
        )
    return OK


def _prepare(
    path: Path, client: WebClient, now: datetime
) -> tuple[str, str, OrgConfig, list[dict[str, Any]]]:
    """Parse, resolve people and check schedules; OrgFileError says what is wrong and where."""
    try:
        if path.stat().st_size > MAX_BYTES:  # not even read
            raise OrgFileError(
                [f"{path}: is {path.stat().st_size:,} bytes; an org file may be at most 1 MiB"]
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise OrgFileError([f"{path}: cannot be read ({error})"]) from None
    org = parse_org(text, str(path))
    assert org.config is not None
    auth = client.auth_test()
    workspace_id = org.config.workspace or str(auth["team_id"])
    if workspace_id != auth["team_id"]:
        raise OrgFileError(
            [
                org.problem(
                    ("workspace",),
                    f"is {workspace_id}, but the bot token belongs to workspace {auth['team_id']}",
                )
            ]
        )
    users = fetch_people(client, workspace_id)
    config = resolve_people(org, users, client, workspace_id)
    problems = schedule_problems(org, config, {user["id"]: user for user in users}, now)
    if problems:
        raise OrgFileError(problems)
    return workspace_id, str(auth.get("team") or ""), config, users


def references(config: OrgConfig) -> list[tuple[Loc, str]]:
    """Every place the org file names a person, with its key path."""
    found: list[tuple[Loc, str]] = []
    for key in ("admins", "leaders"):
        found += [((key, index), value) for index, value in enumerate(getattr(config, key))]
    for index, team in enumerate(config.teams):
        found.append((("teams", index, "manager"), team.manager))
        found += [(("teams", index, "members", at), value) for at, value in enumerate(team.members)]
    return found


def resolve_people(
    org: OrgFile, users: list[dict[str, Any]], client: WebClient, workspace_id: str
) -> OrgConfig:
    """The config with every e-mail replaced by a user id; unknown people are problems.

    Users found only through users.lookupByEmail are appended to `users`.
    """
    assert org.config is not None
    by_id = {user["id"]: user for user in users}
    by_email = {
        str(user["profile"]["email"]).casefold(): user
        for user in users
        if (user.get("profile") or {}).get("email")
    }
    data = org.config.model_dump(mode="json")
    problems: list[str] = []
    for loc, value in references(org.config):
        user: dict[str, Any] | None = by_id.get(value)
        if "@" in value:
            user = by_email.get(value.casefold()) or _lookup(client, value)
            if user is None:
                problems.append(
                    org.problem(loc, f"no one in this workspace has the e-mail {value}")
                )
                continue
            if user.get("team_id") != workspace_id:
                problems.append(
                    org.problem(
                        loc,
                        f"{value} belongs to another organisation "
                        "(Slack Connect); such people are not supported",
                    )
                )
                continue
            if user["id"] not in by_id:
                by_id[user["id"]] = user
                users.append(user)
        if user is None:
            problems.append(
                org.problem(
                    loc,
                    f"{value} is not a person in this workspace "
                    "(use a Slack user id like U0123ABCD or an e-mail)",
                )
            )
        elif user.get("is_bot") or user["id"] == SLACKBOT:
            problems.append(org.problem(loc, f"{value} is a bot, not a person"))
        else:
            _put(data, loc, user["id"])
    for index, team in enumerate(data["teams"]):
        seen: dict[str, int] = {}
        for at, user_id in enumerate(team["members"]):
            if user_id in seen:
                named = org.config.teams[index].members
                problems.append(
                    org.problem(
                        ("teams", index, "members", at),
                        f"{named[at]} is {user_id}, already listed as "
                        f"members[{seen[user_id]}] ({named[seen[user_id]]})",
                    )
                )
            seen.setdefault(user_id, at)
    if problems:
        raise OrgFileError(problems)
    return OrgConfig.model_validate(data)


def _lookup(client: WebClient, email: str) -> dict[str, Any] | None:
    try:
        return client.users_lookupByEmail(email=email)["user"]
    except SlackApiError as error:
        if error.response.get("error") == "users_not_found":
            return None
        raise


def _put(data: Any, loc: Loc, value: str) -> None:
    for part in loc[:-1]:
        data = data[part]
    data[loc[-1]] = value


def schedule_problems(
    org: OrgFile, config: OrgConfig, users: dict[str, dict[str, Any]], now: datetime
) -> list[str]:
    """Refuse a team whose check-in would open, for someone, at or after its digest."""

    def zone(user_id: str) -> Any:
        return zone_or((users.get(user_id) or {}).get("tz"), config.zone)

    late = late_openings(config, zone, now)
    problems: list[str] = []
    for index, team in enumerate(config.teams):
        if team.key not in late:
            continue
        manager_zone, bad = late[team.key]
        schedule = config.schedule_of(team.key)
        if team.schedule is not None:
            loc: Loc = ("teams", index, "schedule")
        else:
            loc = ("schedule",) if ("schedule",) in org.lines else ("teams", index)
        checkin, digest = schedule.checkin, schedule.digest
        problems.append(
            org.problem(
                loc,
                (
                    f'team "{team.key}": the check-in ({checkin.day} {checkin.time:%H:%M}) '
                    f"would open at or after the digest ({digest.day} {digest.time:%H:%M} in "
                    f"{manager_zone}, the manager's zone) for people in "
                    f"{', '.join(str(z) for z in bad)}; move the check-in earlier or the digest "
                    "later"
                ),
            )
        )
    return problems
