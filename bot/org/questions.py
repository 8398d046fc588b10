"""The questions a team's check-in asks, and the ones each of its periods asked.

A team's questions of today come from the org config (its own, else the organisation's, else
leadbot's template). A period freezes them the first time it needs them — a modal opens, an
answer is stored, or an edit is about to change them — so a change applies from the team's
next period and an old week shows every question as it was asked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.org.config import OrgConfig, QuestionSpec
from bot.org.schedule import period_label, period_opens, shift_label
from storage.models import QuestionSet, utcnow

# The earliest zone there is: a team's period has begun for someone once it opens here.
_EARLIEST = ZoneInfo("Pacific/Kiritimati")

Questions = tuple[QuestionSpec, ...]


def as_data(questions: Iterable[QuestionSpec]) -> list[dict]:
    return [question.model_dump(mode="json") for question in questions]


def from_data(data: Iterable[dict]) -> Questions:
    """Questions as stored: validated when they were frozen (or written to the org config),
    so built without validating again (a digest reads a team's weeks: 0.02 ms a question)."""
    return tuple(QuestionSpec.model_construct(**item) for item in data)


def frozen(
    session: Session, workspace_id: str, team_key: str, periods: Sequence[str]
) -> dict[str, Questions]:
    """The questions these periods of the team asked (those that froze any)."""
    if not periods:
        return {}
    rows = session.exec(
        select(QuestionSet.period, sa.cast(QuestionSet.questions, sa.Text)).where(
            QuestionSet.workspace_id == workspace_id,
            QuestionSet.team_key == team_key,
            col(QuestionSet.period).in_(list(periods)),
        )
    )
    return {period: _parsed(text) for period, text in rows}


@lru_cache(maxsize=4096)
def _parsed(text: str) -> Questions:
    """A stored set, parsed once per process: a team asks the same set week after week, and a
    digest reads eleven of its weeks."""
    return from_data(json.loads(text))


def freeze(session: Session, workspace_id: str, sets: dict[tuple[str, str], Questions]) -> None:
    """Keep {(team key, period): questions} where the period has none yet (whoever races,
    the first stays). No commit."""
    if not sets:
        return
    now = utcnow()
    values = [
        {
            "workspace_id": workspace_id,
            "team_key": team_key,
            "period": period,
            "questions": as_data(questions),
            "created_at": now,
        }
        for (team_key, period), questions in sets.items()
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(QuestionSet).on_conflict_do_nothing(), values)


def for_period(
    session: Session, config: OrgConfig, workspace_id: str, team_key: str, period: str
) -> Questions:
    """The questions the team's period asks: frozen now if nothing froze them yet. Commits."""
    kept = frozen(session, workspace_id, team_key, [period]).get(period)
    if kept is not None:
        return kept
    freeze(session, workspace_id, {(team_key, period): config.questions_of(team_key)})
    session.commit()
    return frozen(session, workspace_id, team_key, [period])[period]


def begun(config: OrgConfig, team_key: str, now: datetime) -> list[str]:
    """The team's periods that have begun for someone by `now` and may still be answered
    (this week and the two before): an edit must not change what they ask."""
    schedule = config.schedule_of(team_key)
    this = period_label(now.date())
    labels = [shift_label(this, k) for k in (-2, -1, 0, 1)]
    return [label for label in labels if period_opens(label, schedule, _EARLIEST) <= now]


def freeze_before_change(
    session: Session, old: OrgConfig | None, new: OrgConfig, workspace_id: str, now: datetime
) -> int:
    """Before `new` replaces `old`: freeze the old questions of every begun period of each team
    whose questions change, so the change applies from its next period. How many teams."""
    if old is None:
        return 0
    teams = {team.key for team in old.teams} & {team.key for team in new.teams}
    changed = [key for key in teams if old.questions_of(key) != new.questions_of(key)]
    freeze(
        session,
        workspace_id,
        {
            (key, label): old.questions_of(key)
            for key in sorted(changed)
            for label in begun(old, key, now)
        },
    )
    return len(changed)
