"""A manager's weekly digest as data: figures, trends, quotes, and conversations worth having."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlmodel import Session, col, select

import prompts
from bot.digest.raised import raised_for
from bot.digest.week import AWAY, Quote, TeamWeek, counts_for, team_week
from bot.org import questions
from bot.org.config import OrgConfig
from bot.org.schedule import Calendar, is_working_day, shift_label, week_start
from storage import queries
from storage.models import Checkin, Delivery

TREND = 8
SPARKS = "▁▂▃▄▅▆▇█"
QUIET_AFTER = 2
QUIET_WEEKS = 12  # how far back "not heard from" looks
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
    raised: bool = False  # its manager raised it to leadership already


@dataclass
class TeamDigest:
    week: TeamWeek
    figures: list[Figure]  # oldest first, the digest's own period last
    energy: dict[int, int] | None  # level → answers; None below the group size
    energy_trend: str | None
    quiet: list[Quiet] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    subteams: list[tuple[str, Figure]] = field(default_factory=list)
    # each trend week's energy as the digest may show it (None below the group size or alike)
    energy_weeks: dict[str, dict[int, int] | None] = field(default_factory=dict)
    # the week's choice and scale answers as the digest may show them, by question key
    spreads: dict[str, dict[str, int] | None] = field(default_factory=dict)
    spread_trends: dict[str, str | None] = field(default_factory=dict)
    # each active objective (key, title) and how many of the team's check-ins moved it
    objectives: list[tuple[str, str, int]] = field(default_factory=list)
    days_off: int = 0  # working days of the week that are holidays or days off for the team

    @property
    def figure(self) -> Figure:
        return self.figures[-1]

    @property
    def empty(self) -> bool:
        return not (self.week.answered or self.week.skipped or self.week.away or self.days_off)

    @property
    def time_away(self) -> str:
        """The week's time away in one line ("· 2 away · 1 day off (holiday)"), never names."""
        parts = [prompts.text("digest.away", count=self.week.away)] if self.week.away else []
        if self.days_off:
            parts.append(prompts.text("digest.days_off", count=self.days_off))
        return "".join(parts)


def days_off_in(config: OrgConfig, team_key: str, period: str) -> int:
    """How many of the team's working days in the week of `period` are holidays or days off."""
    holidays, days_off = config.calendar_of(team_key)
    calendar = Calendar(holidays, days_off)
    hours, start = config.working_hours, week_start(period)
    days = [start + timedelta(days=k) for k in range(7)]
    return sum(
        1 for day in days if is_working_day(day, hours) and not is_working_day(day, hours, calendar)
    )


def periods_back(period: str, count: int) -> list[str]:
    return [shift_label(period, -k) for k in range(count - 1, -1, -1)]


class Seen(Protocol):
    """What History reads of a check-in."""

    user_id: str
    period: str
    late: bool
    status: str
    blocked: str | None


class History:
    """A team's last weeks, read once: who was asked (their nudge went out) and what they said.

    Everything the digest derives over time about its people — participation and its trend,
    who has been quiet, how long a blocker has lasted — is computed from this one read (the
    energy trend reads the team's own answers instead: see energy_trend).
    """

    def __init__(
        self, session: Session, workspace_id: str, members: list[str], period: str, weeks: int
    ) -> None:
        self.labels = periods_back(period, weeks)
        self.asked: set[tuple[str, str]] = set()
        self.rows: list[Seen] = []
        if not members:
            return
        wanted = [shift_label(self.labels[0], -1), *self.labels]  # late ones count a week on
        self.asked = {
            (subject, label)
            for subject, label in session.exec(
                select(Delivery.subject, Delivery.period).where(
                    Delivery.workspace_id == workspace_id,
                    Delivery.kind == "nudge",
                    col(Delivery.subject).in_(members),
                    col(Delivery.period).in_(self.labels),
                    col(Delivery.status).in_(HEARD),
                )
            )
        }
        self.rows = list(
            session.exec(  # the five columns it reads, not whole rows (a digest reads 13 weeks)
                select(
                    Checkin.user_id, Checkin.period, Checkin.late, Checkin.status, Checkin.blocked
                ).where(
                    Checkin.workspace_id == workspace_id,
                    col(Checkin.user_id).in_(members),
                    col(Checkin.period).in_(wanted),
                )
            )
        )

    def counted(self, label: str) -> list[Seen]:
        """What the digest of `label` counts (bot.digest.week.counts_for)."""
        return [r for r in self.rows if counts_for(r, label)]

    def said(self, user_id: str, label: str) -> Seen | None:
        """The person's check-in (answer or skip) for the week itself, whenever it came."""
        return next((r for r in self.rows if r.user_id == user_id and r.period == label), None)

    def figure(self, label: str) -> Figure:
        """Who answered, out of those who were asked or answered anyway."""
        counted = self.counted(label)
        away = {r.user_id for r in counted if r.status == AWAY}
        answered = {r.user_id for r in counted if r.status == "answered"}
        asked = {u for u, p in self.asked if p == label} | {r.user_id for r in counted}
        expected = asked - away  # a week away counts neither for nor against
        return Figure(label, len(answered), len(expected))

    def figures(self) -> list[Figure]:
        return [self.figure(label) for label in self.labels[-TREND:]]

    def quiet(self, members: list[str], names: dict[str, str]) -> list[Quiet]:
        """People not heard from for 2+ weeks in a row in which they were asked."""
        result = []
        for user_id in members:
            streak = 0
            for label in reversed(self.labels):
                said = self.said(user_id, label)
                if said is not None and said.status == AWAY:
                    continue  # time away is never silence, nor does it end a silence
                if said is not None:
                    break
                if (user_id, label) in self.asked:
                    streak += 1
            if streak >= QUIET_AFTER:
                result.append(Quiet(user_id, names.get(user_id, user_id), streak))
        return result

    def blocked_weeks(self, user_id: str) -> int:
        """How many weeks in a row, up to this one, the person has reported a blocker."""
        weeks = 0
        for label in reversed(self.labels[-TREND:]):
            row = self.said(user_id, label)
            if row is None or not row.blocked:
                break
            weeks += 1
        return max(weeks, 1)


def energy(rows: list[Checkin], min_group: int) -> dict[int, int] | None:
    """The team's energy as a distribution, only when it tells nobody's own answer: at least
    `min_group` answered, and not all alike (then each person's would be plain)."""
    return shown(tally(rows), min_group)


def tally(rows: Iterable[Checkin]) -> list[int]:
    """How many answered each energy level, 1 to 5."""
    counts = Counter(row.energy for row in rows if row.energy)
    return [counts.get(level, 0) for level in range(1, 6)]


def shown(counts: list[int], min_group: int) -> dict[int, int] | None:
    """A week's energy counts as a digest may show them (see energy), else None."""
    if sum(counts) < min_group or max(counts, default=0) == sum(counts):
        return None
    return {level: counts[level - 1] for level in range(1, 6)}


def kept_energies(
    session: Session, workspace_id: str, team_key: str, period: str
) -> dict[str, list[int]]:
    """The team's energy counts for the TREND weeks up to `period`, each as the first digest
    that showed the week had it: kept as a team figure (TeamEnergy), so forgetting someone
    later changes no past week. Weeks not kept yet are counted from the answers written to
    this team, not those of today's members, and kept now (one read when all are kept)."""
    labels = periods_back(period, TREND)
    kept = queries.team_energies(
        session=session, workspace_id=workspace_id, team_key=team_key, periods=labels
    )
    missing = [label for label in labels if label not in kept]
    if not missing:
        return kept
    wanted = [shift_label(missing[0], -1), *missing]
    rows = session.exec(  # the columns counts_for, tally and tally_figures read, not whole rows
        select(Checkin.period, Checkin.late, Checkin.energy, Checkin.answers).where(
            Checkin.workspace_id == workspace_id,
            Checkin.team_key == team_key,
            col(Checkin.period).in_(wanted),
            col(Checkin.energy).is_not(None),
        )
    ).all()
    asked = questions.frozen(session, workspace_id, team_key, wanted)
    weeks: dict[str, list[Any]] = {}
    for row in rows:  # the week each counts in (counts_for): its own, or the next when late
        weeks.setdefault(shift_label(row.period, 1) if row.late else row.period, []).append(row)
    counted = {label: tally(weeks.get(label, [])) for label in missing}
    figures = {label: tally_figures(weeks.get(label, []), asked) for label in missing}
    return queries.keep_team_energies(
        session=session,
        workspace_id=workspace_id,
        team_key=team_key,
        counts=counted,
        figures=figures,
    ) | {label: kept[label] for label in kept}


def tally_figures(rows: list[Any], asked: dict[str, questions.Questions]) -> dict[str, dict]:
    """A week's choice and scale answers as team counts: {key: {"answers": n, "counts":
    {option or step: count}}} (a multiple choice counts each option picked)."""
    found: dict[str, dict] = {}
    for row in rows:
        for question in asked.get(row.period, ()):
            given = (row.answers or {}).get(question.key)
            if not question.figure or given in (None, []):
                continue
            figure = found.setdefault(question.key, {"answers": 0, "counts": {}})
            figure["answers"] += 1
            for item in given if isinstance(given, list) else [given]:
                figure["counts"][str(item)] = figure["counts"].get(str(item), 0) + 1
    return found


def shown_figure(figure: dict | None, min_group: int) -> dict[str, int] | None:
    """A kept figure as the digest may show it: from at least `min_group` answers, and not
    when everyone answered alike (that would be each person's answer)."""
    if not figure:
        return None
    answers, counts = int(figure.get("answers", 0)), dict(figure.get("counts") or {})
    if answers < min_group or all(count in (0, answers) for count in counts.values()):
        return None
    return counts


def figure_trend(kept: dict[str, dict], key: str, min_group: int) -> str | None:
    """A scale question's sparkline over the kept weeks, like energy's (· where hidden)."""
    averages: list[float | None] = []
    for label in sorted(kept):
        counts = shown_figure(kept[label].get(key), min_group)
        total = sum(counts.values()) if counts else 0
        averages.append(
            sum(int(step) * n for step, n in counts.items()) / total if counts and total else None
        )
    return sparkline(averages) if sum(v is not None for v in averages) >= 2 else None


def energy_trend(kept: dict[str, list[int]], min_group: int) -> str | None:
    """An 8-week sparkline of the team's average energy (· where a week's energy is hidden),
    from the weeks' kept figures (see kept_energies): a past week's value never changes when
    someone joins, leaves or is forgotten, so comparing two digests can never single out one
    person's energy."""
    averages: list[float | None] = []
    for label in sorted(kept):
        counts = shown(kept[label], min_group)
        total = sum(counts.values()) if counts else 0
        averages.append(sum(k * v for k, v in counts.items()) / total if counts else None)
    return sparkline(averages) if any(v is not None for v in averages) else None


def sparkline(averages: list[float | None]) -> str:
    """▃▄▅… from averages of 1–5; a period below the group size shows as ·."""
    return "".join(
        "·" if value is None else SPARKS[round((value - 1) / 4 * (len(SPARKS) - 1))]
        for value in averages
    )


def figure_of(session: Session, workspace_id: str, members: list[str], period: str) -> Figure:
    """One week's participation figure for a group of people."""
    return History(session, workspace_id, members, period, 1).figure(period)


def team_digest(
    session: Session,
    config: OrgConfig,
    workspace_id: str,
    team_key: str,
    period: str,
    *,
    with_energy: bool = True,
) -> TeamDigest:
    # First: keeping a week's energy commits, which would expire every row read before it.
    kept = kept_energies(session, workspace_id, team_key, period) if with_energy else {}
    week = team_week(session, config, workspace_id, team_key, period)
    history = History(session, workspace_id, week.members, period, QUIET_WEEKS)
    min_group = config.anonymity.min_group_size
    digest = TeamDigest(
        week=week,
        figures=history.figures(),
        energy=shown(kept[period], min_group) if with_energy else None,
        energy_trend=energy_trend(kept, min_group) if with_energy else None,
        days_off=days_off_in(config, team_key, period),
    )
    digest.energy_weeks = {
        label: shown(counts, min_group) for label, counts in sorted(kept.items())
    }
    if with_energy and any(item.question.figure for item in week.said):
        kept_figures = queries.team_figures(
            session=session, workspace_id=workspace_id, team_key=team_key, periods=sorted(kept)
        )
        for item in week.said:
            if item.question.figure:
                key = item.question.key
                digest.spreads[key] = shown_figure(kept_figures.get(period, {}).get(key), min_group)
                if item.question.kind == "scale":
                    digest.spread_trends[key] = figure_trend(kept_figures, key, min_group)
    moved = Counter(row.objective_key for row in week.answered if row.objective_key)
    digest.objectives = [
        (o.key, o.title, moved[o.key]) for o in config.objectives if not o.archived
    ]
    digest.quiet = history.quiet(week.members, week.names)
    raised = raised_for(session, workspace_id, [q.ref.partition(":")[0] for q in week.blockers])
    digest.blockers = [
        Blocker(q, history.blocked_weeks(q.user_id), q.ref.partition(":")[0] in raised)
        for q in week.blockers
    ]
    for child in queries.child_teams(session=session, workspace_id=workspace_id, key=team_key):
        members = queries.member_ids(session=session, workspace_id=workspace_id, team_key=child.key)
        digest.subteams.append((child.name, figure_of(session, workspace_id, members, period)))
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
