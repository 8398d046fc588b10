"""Momentum by objective: how many check-ins moved each key initiative, week by week, and
from which teams. Team figures only: the count of a team's check-ins, never who wrote them.

A check-in moves an objective when its writer picked it ("Which strategic objective did this
week's work move?") and answered. It counts for the week its period's digest counts it (see
week.counts_for: on time, or late for the week before).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.digest.week import counts_for
from bot.org.config import OrgConfig
from bot.org.schedule import shift_label
from storage import queries
from storage.models import Checkin

WEEKS = 12  # the history a momentum line and its chart look back on
AVERAGE_OF = 4  # this week is compared with the average of the 4 before it
STILL_AFTER = 2  # an objective nothing moved for this many weeks is called out


@dataclass(frozen=True)
class Momentum:
    key: str
    title: str
    weekly: tuple[int, ...]  # check-ins that moved it, oldest week first, this week last
    teams: tuple[tuple[str, int], ...]  # this week's, by team name in org order

    @property
    def moved(self) -> int:
        return self.weekly[-1]

    @property
    def average(self) -> float:
        """The average of the weeks before this one (up to AVERAGE_OF of them)."""
        before = self.weekly[-1 - AVERAGE_OF : -1]
        return sum(before) / len(before) if before else 0.0

    @property
    def still_weeks(self) -> int:
        """For how many weeks up to this one nothing moved it (0 when it moved this week)."""
        weeks = 0
        for count in reversed(self.weekly):
            if count:
                break
            weeks += 1
        return weeks


def labels_back(period: str, weeks: int) -> list[str]:
    """`weeks` period labels ending with `period`, oldest first."""
    return [shift_label(period, -back) for back in range(weeks - 1, -1, -1)]


def momentum(
    session: Session,
    config: OrgConfig,
    workspace_id: str,
    period: str,
    *,
    team_keys: list[str] | None = None,
    weeks: int = WEEKS,
) -> list[Momentum]:
    """Each active objective's momentum up to `period`, from the check-ins written to
    `team_keys` (every team when None). One read of the weeks' picked objectives."""
    labels = labels_back(period, weeks)
    where = [
        Checkin.workspace_id == workspace_id,
        Checkin.status == "answered",
        col(Checkin.objective_key).is_not(None),
        col(Checkin.period).in_([shift_label(labels[0], -1), *labels]),
    ]
    if team_keys is not None:
        where.append(col(Checkin.team_key).in_(team_keys))
    rows = session.exec(
        select(Checkin.period, Checkin.late, Checkin.team_key, Checkin.objective_key).where(*where)
    ).all()
    by_week: dict[str, Counter[str]] = {label: Counter() for label in labels}
    this_week: dict[str, Counter[str]] = {}
    for row in rows:
        for label in labels:
            if counts_for(row, label):  # it reads only period and late
                by_week[label][row.objective_key] += 1
                if label == period:
                    this_week.setdefault(row.objective_key, Counter())[row.team_key] += 1
    teams = queries.teams(session=session, workspace_id=workspace_id)
    order = {team.key: index for index, team in enumerate(teams)}
    names = {team.key: team.name for team in teams}
    return [
        Momentum(
            objective.key,
            objective.title,
            tuple(by_week[label][objective.key] for label in labels),
            tuple(
                (names.get(key, key), count)
                for key, count in sorted(
                    this_week.get(objective.key, Counter()).items(),
                    key=lambda item: (order.get(item[0], len(order)), item[0]),
                )
            ),
        )
        for objective in config.objectives
        if not objective.archived
    ]
