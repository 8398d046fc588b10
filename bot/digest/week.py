"""What a manager's digest says about a team and a period, as plain data.

The same data feeds the weekly digest, App Home's team view, and each person's
"what my manager sees about me" (the digest's items about that one person).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.org import questions
from bot.org.config import COLUMN_KEYS, OrgConfig, QuestionSpec
from bot.org.plan import checkin_team
from bot.org.schedule import shift_label
from storage import queries
from storage.models import Checkin, Reflection


@dataclass(frozen=True)
class Quote:
    """Someone's own words, with who said them."""

    user_id: str
    name: str
    text: str
    ref: str = ""  # "<check-in ref>:<field>", for Reply privately (never a row id)
    with_whom: str = ""  # lead others: the names of who helped, or was helped
    objective: str = ""  # a win: the objective its check-in said it moved


@dataclass(frozen=True)
class Alignment:
    """An objective and the people who connect their role to it, in their own words."""

    key: str
    title: str
    quotes: tuple[Quote, ...]


@dataclass
class Said:
    """What the team said to one of its own questions this week: text and people answers as
    quotes with their writer; a choice or scale only as a count of answers (the distribution
    is the digest's, under the group-size rule)."""

    question: QuestionSpec
    quotes: list[Quote] = field(default_factory=list)
    answers: int = 0
    writers: set[str] = field(default_factory=set)  # who answered (for `about`), never shown


@dataclass
class TeamWeek:
    team_key: str
    team_name: str
    period: str
    members: list[str]
    names: dict[str, str] = field(default_factory=dict)  # of the members and who they name
    answered: list[Checkin] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    away: int = 0  # a team figure only: who is away is never shown
    wins: list[Quote] = field(default_factory=list)
    blockers: list[Quote] = field(default_factory=list)
    learned: list[Quote] = field(default_factory=list)
    helped: list[Quote] = field(default_factory=list)
    alignment: list[Alignment] = field(default_factory=list)
    unconnected: list[str] = field(default_factory=list)
    said: list[Said] = field(default_factory=list)  # the team's own questions, in its order

    def about(self, user_id: str) -> TeamWeek:
        """Only the items about one person: what their manager sees about them."""
        mine = TeamWeek(self.team_key, self.team_name, self.period, [user_id], self.names)
        mine.wins = [q for q in self.wins if q.user_id == user_id]
        mine.blockers = [q for q in self.blockers if q.user_id == user_id]
        mine.learned = [q for q in self.learned if q.user_id == user_id]
        mine.helped = [q for q in self.helped if q.user_id == user_id]
        mine.alignment = [
            Alignment(a.key, a.title, tuple(q for q in a.quotes if q.user_id == user_id))
            for a in self.alignment
            if any(q.user_id == user_id for q in a.quotes)
        ]
        mine.said = [  # their words; a choice or scale they answered only as a note
            Said(s.question, [q for q in s.quotes if q.user_id == user_id], 1, {user_id})
            for s in self.said
            if user_id in s.writers
        ]
        return mine


AWAY = "away"  # bot.checkin.rules.AWAY: a week away, neither answered nor silent


def counts_for(row: Checkin, period: str) -> bool:
    """Whether a period's digest counts a check-in: on time for it, or late for the one before."""
    if row.late:
        return row.period == shift_label(period, -1)
    return row.period == period


def counted_checkins(
    session: Session, workspace_id: str, team_key: str, reader: str, period: str
) -> list[Checkin]:
    """The check-ins the digest of `period` counts (see counts_for) that were written to
    `team_key` and its manager `reader` then: who reads a check-in is fixed when it is written."""
    rows = session.exec(
        select(Checkin)
        .where(
            Checkin.workspace_id == workspace_id,
            Checkin.team_key == team_key,
            Checkin.manager_id == reader,
            col(Checkin.period).in_([shift_label(period, -1), period]),
        )
        .order_by(col(Checkin.id))
    )
    return [row for row in rows if counts_for(row, period)]


def latest_reflections(
    session: Session, workspace_id: str, user_ids: list[str]
) -> dict[str, Reflection]:
    """Each person's most recent reflection, whoever it was said to (for counts only)."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(Reflection)
        .where(Reflection.workspace_id == workspace_id, col(Reflection.user_id).in_(user_ids))
        .order_by(col(Reflection.created_at), col(Reflection.id))
    )
    return {row.user_id: row for row in rows}


def reflections_read_by(
    session: Session, workspace_id: str, team_key: str, reader: str, user_ids: list[str]
) -> dict[str, Reflection]:
    """Each person's most recent reflection said to `team_key` and its manager `reader`.

    A reflection written before teams and managers were recorded on it (team_key None) is
    read through the person's check-in team of today, by that team's manager only.
    """
    if not user_ids:
        return {}
    rows = session.exec(
        select(Reflection)
        .where(
            Reflection.workspace_id == workspace_id,
            col(Reflection.user_id).in_(user_ids),
            sa.or_(
                sa.and_(Reflection.team_key == team_key, Reflection.manager_id == reader),
                col(Reflection.team_key).is_(None),
            ),
        )
        .order_by(col(Reflection.created_at), col(Reflection.id))
    )
    found: dict[str, Reflection] = {}
    for row in rows:
        if row.team_key is None:
            home = checkin_team(session, workspace_id, row.user_id)
            if home is None or home.key != team_key or home.manager_id != reader:
                continue
        found[row.user_id] = row
    return found


def alignment_map(
    config: OrgConfig, reflections: dict[str, Reflection], names: dict[str, str]
) -> tuple[list[Alignment], list[str]]:
    """Each active objective with who connects to it; and the titles nobody connects to."""
    rows: list[Alignment] = []
    unconnected: list[str] = []
    for objective in config.objectives:
        if objective.archived:
            continue
        quotes = tuple(
            Quote(user_id, names.get(user_id, user_id), reflection.progress or reflection.how or "")
            for user_id, reflection in reflections.items()
            if objective.key in (reflection.objective_keys or [])
        )
        rows.append(Alignment(objective.key, objective.title, quotes))
        if not quotes:
            unconnected.append(objective.title)
    return rows, unconnected


def team_week(
    session: Session,
    config: OrgConfig,
    workspace_id: str,
    team_key: str,
    period: str,
    reader: str | None = None,
) -> TeamWeek:
    """Everything the team said to `reader` (by default its manager of today) that the
    period's digest counts. Words reach a reader only through the team and manager recorded
    on them: a member of two teams writes to one, and a new manager reads from their first
    period; the previous manager's weeks stay with them."""
    team = queries.get_team(session=session, workspace_id=workspace_id, key=team_key)
    members = queries.member_ids(session=session, workspace_id=workspace_id, team_key=team_key)
    if reader is None:
        reader = team.manager_id if team is not None else ""
    rows = counted_checkins(session, workspace_id, team_key, reader, period)
    asked = questions.frozen(session, workspace_id, team_key, [shift_label(period, -1), period])
    named = {*members, *(user for row in rows for user in row.helped_users)}
    named |= {user for row in rows for user in people_in(row, asked)}
    names = queries.people_named(session=session, workspace_id=workspace_id, user_ids=named)
    week = TeamWeek(team_key, team.name if team else team_key, period, members, names)
    for row in rows:
        name = names.get(row.user_id, row.user_id)
        if row.status == "skipped":
            week.skipped.append(row.user_id)
            continue
        if row.status == AWAY:
            week.away += 1
            continue
        week.answered.append(row)
        for field_name, bucket in (
            ("moved", week.wins),
            ("blocked", week.blockers),
            ("learned", week.learned),
        ):
            text = getattr(row, field_name)
            if text:
                moved = (row.objective_key or "") if field_name == "moved" else ""
                ref = f"{row.ref}:{field_name}"
                bucket.append(Quote(row.user_id, name, text, ref, objective=moved))
        if row.helped_users or row.helped_text:
            others = ", ".join(names.get(u, u) for u in row.helped_users)
            week.helped.append(Quote(row.user_id, name, row.helped_text or "", with_whom=others))
    week.said = said_to_own_questions(week.answered, asked, period, names)
    reflections = reflections_read_by(session, workspace_id, team_key, reader, members)
    week.alignment, week.unconnected = alignment_map(config, reflections, names)
    return week


def own_questions(asked: dict[str, questions.Questions], period: str) -> list[QuestionSpec]:
    """The team's own questions (not moved, blocked, learned) of the week and the one before
    (a late answer was asked then): each key once, as `period` worded it if it asked it."""
    found: dict[str, QuestionSpec] = {}
    for label in sorted(asked, reverse=True):  # `period` first
        for question in asked[label]:
            if question.key not in COLUMN_KEYS:
                found.setdefault(question.key, question)
    return list(found.values())


def people_in(row: Checkin, asked: dict[str, questions.Questions]) -> list[str]:
    """The user ids a check-in's people answers name."""
    kinds = {q.key: q.kind for q in asked.get(row.period, ())}
    return [
        user
        for key, given in (row.answers or {}).items()
        if kinds.get(key) == "people" and isinstance(given, list)
        for user in given
        if isinstance(user, str)
    ]


def said_to_own_questions(
    rows: list[Checkin],
    asked: dict[str, questions.Questions],
    period: str,
    names: dict[str, str],
) -> list[Said]:
    """What the week's answers say to the team's own questions, by key (a renamed question
    keeps its key, and so its place and trend)."""
    said = [Said(question) for question in own_questions(asked, period)]
    for row in rows:
        name = names.get(row.user_id, row.user_id)
        kinds = {q.key: q.kind for q in asked.get(row.period, ())}
        for item in said:
            given = (row.answers or {}).get(item.question.key)
            if given in (None, "", []) or kinds.get(item.question.key) != item.question.kind:
                continue  # a key asked as another kind that week is another question
            item.answers += 1
            item.writers.add(row.user_id)
            if item.question.kind == "people":
                others = ", ".join(names.get(u, u) for u in given if isinstance(u, str))
                item.quotes.append(Quote(row.user_id, name, "", with_whom=others))
            elif not item.question.figure and isinstance(given, str):
                item.quotes.append(Quote(row.user_id, name, given))
    return said
