"""Composing and planning the weekly digests: one per manager, one for the leadership group."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

import prompts
from bot.concerns import rules as concern_service
from bot.concerns.answer_views import concern_blocks
from bot.concerns.audience import LEADERSHIP, Audience
from bot.digest import raised
from bot.digest.charts import Chart, leadership_charts, manager_charts
from bot.digest.leadership_views import leadership_blocks, raised_blocks
from bot.digest.momentum import WEEKS as momentum_weeks
from bot.digest.momentum import momentum
from bot.digest.summary import Figure, History, TeamDigest, suggestions, team_digest
from bot.digest.views import manager_digest
from bot.digest.week import latest_reflections
from bot.org.config import OrgConfig, Schedule, zone_or
from bot.org.schedule import period, shift_label, upcoming_period
from bot.views.kit import Block
from storage import queries
from storage.models import Concern, ConcernNote, Delivery, RaisedBlocker, Team

DIGEST = "digest"
LEADERSHIP_DIGEST = "leadership"
LEADERSHIP_SUBJECT = "_leadership"
CHARTS = {DIGEST: "digest_charts", LEADERSHIP_DIGEST: "leadership_charts"}  # digest → its charts
CHARTS_WAIT = timedelta(days=1)  # how long a digest's charts may wait for Slack


@dataclass
class Composed:
    """A digest's blocks, the concerns it carries (marked delivered once it is sent), and its
    charts as data (drawn and shared after the text, never before it)."""

    blocks: list[Block]
    carried: list[concern_service.DigestConcern] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    closed: list[RaisedBlocker] = field(default_factory=list)  # raised blockers shown closed

    def mark_sent(self, session: Session, now: datetime, period: str) -> None:
        """Once sent: its concerns count as delivered, its closed raised blockers as shown."""
        concern_service.mark_delivered(session, items=self.carried, day=concern_service.today(now))
        raised.mark_shown(session, self.closed, period)


def managed(session: Session, workspace_id: str, manager_id: str) -> list[Team]:
    return queries.managed_teams(session=session, workspace_id=workspace_id, user_id=manager_id)


def manager_zone(session: Session, config: OrgConfig, workspace_id: str, manager_id: str):  # noqa: ANN201
    person = queries.get_person(session=session, workspace_id=workspace_id, user_id=manager_id)
    return zone_or(person.tz if person else None, config.zone)


def _digest_rows(
    kind: str,
    subject: str,
    channel: str,
    workspace_id: str,
    schedule: Schedule,
    zone: ZoneInfo,
    now: datetime,
    *,
    catch_up: bool,
) -> list[Delivery]:
    """The next digest; with `catch_up`, also the last one if it is still within its week."""
    this = upcoming_period(now, schedule, zone, zone)
    labels = [shift_label(this.label, -1), this.label] if catch_up else [this.label]
    rows = []
    for label in labels:
        closes = period(label, schedule, zone, zone).closes_at
        expires = period(shift_label(label, 1), schedule, zone, zone).closes_at
        if expires > now:
            rows.append(
                Delivery(
                    workspace_id=workspace_id,
                    subject=subject,
                    kind=kind,
                    period=label,
                    channel=channel,
                    due_at=closes,
                    expires_at=expires,
                )
            )
    return rows


def plan_manager_digest(
    session: Session,
    config: OrgConfig,
    workspace_id: str,
    manager_id: str,
    now: datetime,
    *,
    catch_up: bool = False,
) -> int:
    """The manager's next digest, at their first team's digest time (idempotent).

    `catch_up` (after an outage) also plans the digest that was due, while its week lasts.
    """
    teams = managed(session, workspace_id, manager_id)
    if not teams:
        return 0
    zone = manager_zone(session, config, workspace_id, manager_id)
    schedule = config.schedule_of(teams[0].key)
    rows = _digest_rows(
        DIGEST, manager_id, manager_id, workspace_id, schedule, zone, now, catch_up=catch_up
    )
    return queries.insert_deliveries(session=session, rows=rows)


def plan_charts(session: Session, digest: Delivery, channel: str, now: datetime) -> int:
    """Once a digest is out, its charts follow it into the same conversation (by its id, as
    Slack's file sharing wants): one outbox row, whose parts are the charts, so a retry never
    shares a chart twice, and the digest's text never waits for one."""
    row = Delivery(
        workspace_id=digest.workspace_id,
        subject=digest.subject,
        kind=CHARTS[digest.kind],
        period=digest.period,
        channel=channel,
        due_at=now,
        expires_at=now + CHARTS_WAIT,
    )
    return queries.insert_deliveries(session=session, rows=[row])


def plan_leadership_digest(
    session: Session, config: OrgConfig, workspace_id: str, now: datetime, *, catch_up: bool = False
) -> int:
    """The leadership digest, at the digest time in the org's zone."""
    if not config.leaders and not config.leadership_channel:
        return 0
    channel = config.leadership_channel or config.leaders[0]
    rows = _digest_rows(
        LEADERSHIP_DIGEST,
        LEADERSHIP_SUBJECT,
        channel,
        workspace_id,
        config.schedule,
        config.zone,
        now,
        catch_up=catch_up,
    )
    return queries.insert_deliveries(session=session, rows=rows)


def tally(session: Session, workspace_id: str, audiences: list[Audience]) -> str | None:
    """ "You said, we did": the statuses of every concern these audiences have received."""
    statuses: Counter[str] = Counter()
    for audience in audiences:
        rows = session.exec(
            select(Concern.status).where(
                Concern.workspace_id == workspace_id,
                Concern.audience_kind == audience.kind,
                col(Concern.audience_team) == audience.team_key
                if audience.team_key
                else col(Concern.audience_team).is_(None),
                col(Concern.delivered_on).is_not(None),
            )
        )
        statuses.update(rows)
    if not statuses:
        return None
    return prompts.text(
        "digest.tally",
        acknowledged=statuses["acknowledged"],
        discussed=statuses["discussed"],
        changed=statuses["changed"],
        not_changing=statuses["not_changing"],
    )


def compose_manager(
    session: Session,
    config: OrgConfig,
    workspace_id: str,
    manager_id: str,
    label: str,
    *,
    digest_at: datetime | None,
    preview: bool = False,
    teams: list[Team] | None = None,
) -> Composed:
    """One manager's digest for `label`; no concerns without `digest_at`, no energy in a preview."""
    teams = teams if teams is not None else managed(session, workspace_id, manager_id)
    digests: list[TeamDigest] = [
        team_digest(session, config, workspace_id, team.key, label, with_energy=not preview)
        for team in teams
    ]
    carried: list[concern_service.DigestConcern] = []
    concern_blocks_: list[Block] | None = None
    summary = None
    open_concerns = 0
    if not preview and digest_at is not None:
        audiences = [Audience.team(team.key) for team in teams]
        for audience in audiences:
            carried += concern_service.concerns_for_digest(
                session,
                workspace_id=workspace_id,
                config=config,
                audience=audience,
                recipients=(manager_id,),
                digest_at=digest_at,
            )
        concern_blocks_ = [
            b
            for item in carried
            for b in concern_blocks(item.concern, item.followups, new=item.is_new)
        ]
        open_concerns = sum(1 for item in carried if item.concern.status == concern_service.NEW)
        summary = tally(session, workspace_id, audiences)
    blocks = manager_digest(
        label,
        digests,
        min_group=config.anonymity.min_group_size,
        concerns=concern_blocks_,
        tally=summary,
        suggestions=suggestions(digests, open_concerns=open_concerns),
        preview=preview,
    )
    return Composed(blocks, carried, manager_charts(digests))


def compose_leadership(
    session: Session,
    config: OrgConfig,
    workspace_id: str,
    label: str,
    digest_at: datetime,
    *,
    preview: bool = False,
    with_charts: bool = False,
) -> Composed:
    """The organisation as a whole: team figures, objective coverage, execution, concern
    counts, and the concerns for the leadership group (none in a preview: only sent digests
    carry concerns)."""
    teams = queries.teams(session=session, workspace_id=workspace_id)
    weeks = momentum_weeks if with_charts else 1  # the heatmap draws every team's weeks
    history_by_team: list[tuple[str, list[Figure]]] = []
    for team in teams:
        members = queries.member_ids(session=session, workspace_id=workspace_id, team_key=team.key)
        history = History(session, workspace_id, members, label, weeks)
        history_by_team.append((team.name, [history.figure(week) for week in history.labels]))
    figures_by_team = [(name, figures[-1]) for name, figures in history_by_team]
    execution = momentum(session, config, workspace_id, label)
    shown = raised.for_leadership(session, workspace_id, label)
    managers = {row.manager_id for row in [*shown.open, *shown.closed]}
    raised_ = raised_blocks(
        shown,
        [(o.key, o.title) for o in config.objectives if not o.archived],
        queries.people_named(session=session, workspace_id=workspace_id, user_ids=managers),
        digest_at,
        answerable=not preview,
    )
    coverage = _coverage(session, config, workspace_id)
    carried = (
        []
        if preview
        else concern_service.concerns_for_digest(
            session,
            workspace_id=workspace_id,
            config=config,
            audience=LEADERSHIP,
            recipients=tuple(config.leaders),
            digest_at=digest_at,
        )
    )
    counts, stale = _concern_counts(session, workspace_id, digest_at)
    active = sum(
        1
        for p in queries.people_by_id(session=session, workspace_id=workspace_id).values()
        if not p.deleted and not p.is_bot
    )
    blocks = leadership_blocks(
        label,
        figures_by_team,
        coverage,
        counts if active >= config.anonymity.min_group_size else None,
        stale,
        [
            b
            for item in carried
            for b in concern_blocks(item.concern, item.followups, new=item.is_new)
        ],
        min_group=config.anonymity.min_group_size,
        execution=execution,
        raised=raised_,
    )
    charts = leadership_charts(label, execution, history_by_team) if with_charts else []
    return Composed(blocks, carried, charts, [] if preview else shown.closed)


def _coverage(session: Session, config: OrgConfig, workspace_id: str) -> list[tuple[str, int]]:
    people = queries.team_people(session=session, workspace_id=workspace_id)
    latest = latest_reflections(session, workspace_id, people)
    return [
        (o.title, sum(1 for r in latest.values() if o.key in (r.objective_keys or [])))
        for o in config.objectives
        if not o.archived
    ]


def _concern_counts(
    session: Session, workspace_id: str, digest_at: datetime
) -> tuple[dict[str, Counter[str]], int]:
    """Counts by topic and status of the delivered concerns (one still in its two-day hold is
    not counted, so the count does not move the day after a concern is written), and how
    many older than 7 days have no reply."""
    rows = session.exec(
        select(Concern).where(
            Concern.workspace_id == workspace_id,
            Concern.status != concern_service.WITHDRAWN,
            col(Concern.delivered_on).is_not(None),
        )
    ).all()
    replied = set(
        session.exec(
            select(ConcernNote.concern_id).where(
                ConcernNote.workspace_id == workspace_id, ConcernNote.kind == "reply"
            )
        )
    )
    counts: dict[str, Counter[str]] = {}
    today = digest_at.date()
    for concern in rows:
        counts.setdefault(concern.topic, Counter())[concern.status] += 1
    stale = sum(1 for c in rows if c.id not in replied and (today - c.created_on).days > 7)
    return counts, stale
