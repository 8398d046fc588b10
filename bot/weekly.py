"""A manager's weekly digest as data: figures, trends, quotes, and conversations worth having."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from bot.config import OrgConfig
from bot.digest import Quote, TeamWeek, counted_checkins, team_week
from bot.schedule import shift_label
from storage import queries
from storage.models import Checkin, Delivery, Person

TREND = 8
SPARKS = "▁▂▃▄▅▆▇█"
QUIET_AFTER = 2
HEARD = ("sent", "failed")  # a nudge that went out (or was meant to): the person was asked


@dataclass(frozen=True)
class Figure:
    period: str
    answered: int
    expected: int


@dataclass(frozen=True)
class Quiet:
    user_id: str
    name: str
    weeks: int


@dataclass(frozen=True)
class Blocker:
    quote: Quote
    weeks: int  # how many periods in a row it has been blocking


@dataclass
class TeamDigest:
    week: TeamWeek
    figures: list[Figure]  # oldest first, the digest's own period last
    energy: dict[int, int] | None  # level → answers; None below the group size
    energy_trend: str | None
    quiet: list[Quiet] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    subteams: list[tuple[str, Figure]] = field(default_factory=list)

    @property
    def figure(self) -> Figure:
        return self.figures[-1]

    @property
    def empty(self) -> bool:
        return not (self.week.answered or self.week.skipped)


def periods_back(period: str, count: int) -> list[str]:
    return [shift_label(period, -k) for k in range(count - 1, -1, -1)]


def asked(
    session: Session, workspace_id: str, user_ids: list[str], periods: list[str]
) -> set[tuple[str, str]]:
    """(user, period) pairs whose check-in nudge went out: paused weeks are never among them."""
    if not user_ids:
        return set()
    rows = session.exec(
        select(Delivery.subject, Delivery.period).where(
            Delivery.workspace_id == workspace_id,
            Delivery.kind == "nudge",
            col(Delivery.subject).in_(user_ids),
            col(Delivery.period).in_(periods),
            col(Delivery.status).in_(HEARD),
        )
    )
    return {(subject, period) for subject, period in rows}


def heard(
    session: Session, workspace_id: str, user_ids: list[str], periods: list[str]
) -> dict[str, list[Checkin]]:
    """Check-ins (answers and skips) by period, late ones under the period they were for."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(Checkin).where(
            Checkin.workspace_id == workspace_id,
            col(Checkin.user_id).in_(user_ids),
            col(Checkin.period).in_(periods),
        )
    )
    found: dict[str, list[Checkin]] = {}
    for row in rows:
        found.setdefault(row.period, []).append(row)
    return found


def figures(session: Session, workspace_id: str, members: list[str], period: str) -> list[Figure]:
    """Participation per period: who answered, out of those who were asked or answered."""
    labels = periods_back(period, TREND)
    was_asked = asked(session, workspace_id, members, labels)
    result = []
    for label in labels:
        counted = counted_checkins(session, workspace_id, members, label)
        answered = {row.user_id for row in counted if row.status == "answered"}
        expected = {user for user, p in was_asked if p == label} | {r.user_id for r in counted}
        result.append(Figure(label, len(answered), len(expected)))
    return result


def energy(rows: list[Checkin], min_group: int) -> dict[int, int] | None:
    """The team's energy as a distribution, only when at least `min_group` answered."""
    levels = [row.energy for row in rows if row.energy]
    if len(levels) < min_group:
        return None
    counts = Counter(levels)
    return {level: counts.get(level, 0) for level in range(1, 6)}


def sparkline(averages: list[float | None]) -> str:
    """▃▄▅… from averages of 1–5; a period below the group size shows as ·."""
    return "".join(
        "·" if value is None else SPARKS[round((value - 1) / 4 * (len(SPARKS) - 1))]
        for value in averages
    )


def energy_trend(
    session: Session, workspace_id: str, members: list[str], period: str, min_group: int
) -> str | None:
    averages: list[float | None] = []
    for label in periods_back(period, TREND):
        levels = [
            r.energy for r in counted_checkins(session, workspace_id, members, label) if r.energy
        ]
        averages.append(sum(levels) / len(levels) if len(levels) >= min_group else None)
    return sparkline(averages) if any(value is not None for value in averages) else None


def quiet(
    session: Session, workspace_id: str, members: list[str], period: str, names: dict[str, str]
) -> list[Quiet]:
    """People not heard from for 2+ periods in a row in which they were asked."""
    labels = periods_back(period, 12)
    was_asked = asked(session, workspace_id, members, labels)
    by_period = heard(session, workspace_id, members, labels)
    result = []
    for user_id in members:
        streak = 0
        for label in reversed(labels):
            if any(row.user_id == user_id for row in by_period.get(label, [])):
                break
            if (user_id, label) in was_asked:
                streak += 1
        if streak >= QUIET_AFTER:
            result.append(Quiet(user_id, names.get(user_id, user_id), streak))
    return result


def long_blockers(session: Session, workspace_id: str, week: TeamWeek) -> list[Blocker]:
    """Each blocker with how many periods in a row its author has reported one."""
    labels = periods_back(week.period, TREND)
    by_period = heard(session, workspace_id, [q.user_id for q in week.blockers], labels)
    result = []
    for quote in week.blockers:
        weeks = 0
        for label in reversed(labels):
            rows = [r for r in by_period.get(label, []) if r.user_id == quote.user_id and r.blocked]
            if not rows:
                break
            weeks += 1
        result.append(Blocker(quote, max(weeks, 1)))
    return result


def team_digest(
    session: Session,
    config: OrgConfig,
    workspace_id: str,
    team_key: str,
    period: str,
    *,
    with_energy: bool = True,
) -> TeamDigest:
    week = team_week(session, config, workspace_id, team_key, period)
    people: dict[str, Person] = queries.people_by_id(session=session, workspace_id=workspace_id)
    names = {user_id: person.display for user_id, person in people.items()}
    min_group = config.anonymity.min_group_size
    digest = TeamDigest(
        week=week,
        figures=figures(session, workspace_id, week.members, period),
        energy=energy(week.answered, min_group) if with_energy else None,
        energy_trend=energy_trend(session, workspace_id, week.members, period, min_group)
        if with_energy
        else None,
    )
    digest.quiet = quiet(session, workspace_id, week.members, period, names)
    digest.blockers = long_blockers(session, workspace_id, week)
    for child in queries.teams(session=session, workspace_id=workspace_id):
        if child.parent_key == team_key:
            members = queries.member_ids(
                session=session, workspace_id=workspace_id, team_key=child.key
            )
            digest.subteams.append(
                (child.name, figures(session, workspace_id, members, period)[-1])
            )
    return digest


@dataclass(frozen=True)
class Suggestion:
    key: str  # the prompt under digest.suggest
    values: dict[str, object]


def suggestions(
    teams: list[TeamDigest], *, open_concerns: int = 0, limit: int = 4
) -> list[Suggestion]:
    """2–4 conversations worth having, each backed by something in the digest."""
    found: list[Suggestion] = []
    for team in teams:
        found += [Suggestion("quiet", {"name": q.name, "weeks": q.weeks}) for q in team.quiet]
    for team in teams:
        found += [
            Suggestion("blocked", {"name": b.quote.name, "weeks": b.weeks, "text": b.quote.text})
            for b in team.blockers
            if b.weeks >= 2
        ]
    if open_concerns:
        found.append(Suggestion("concerns", {"count": open_concerns}))
    for team in teams:
        for title in team.week.unconnected[:1]:
            found.append(Suggestion("unconnected", {"team": team.week.team_name, "title": title}))
    for team in teams:
        for quote in team.week.helped[:1]:
            found.append(Suggestion("thanks", {"name": quote.name, "others": quote.with_whom}))
    for team in teams:
        if (
            team.energy
            and sum(k * v for k, v in team.energy.items()) / sum(team.energy.values()) < 2.6
        ):
            found.append(Suggestion("energy", {"team": team.week.team_name}))
    return found[:limit]
