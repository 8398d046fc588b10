"""Anonymous concerns: raising, the follow-up code, answers, and what a digest may carry.

DESIGN 4 in code: nothing here stores who wrote a concern or a follow-up, and days are the
finest time kept. The writer's user id is used only to find their team at submit.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.concerns import audience as audiences
from bot.concerns.audience import Audience, Described
from bot.org.config import OrgConfig
from storage.models import Concern, ConcernNote, Team

TOPICS = ("goals", "work", "culture", "other")
STATUSES = ("acknowledged", "discussed", "changed", "not_changing")
NEW = "new"
WITHDRAWN = "withdrawn"
REPLY, STATUS, FOLLOWUP = "reply", "status", "followup"
TEXT_LIMIT = 3000
HELPS_LIMIT = 1000
NOTE_LIMIT = 2000
CODE_BYTES = 10  # 80 bits
_CODE = re.compile(r"^[A-Z2-7]{16}$")
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def new_code() -> str:
    """A fresh follow-up code: 80 random bits as base32, in four groups of four."""
    letters = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode()
    return "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))


def normalise_code(text: str) -> str | None:
    """The code's 16 letters (any case, spaces or dashes, 0/1/8 for O/I/B); None if not one."""
    letters = re.sub(r"[\s\-_.]", "", text or "").upper().translate(_LOOKALIKES)
    return letters if _CODE.match(letters) else None


def hash_code(letters: str) -> str:
    return hashlib.sha256(letters.encode()).hexdigest()


def today(now: datetime) -> date:
    """The UTC day: the only time a concern or follow-up keeps."""
    return now.astimezone(UTC).date()


def audience_of(concern: Concern) -> Audience:
    if concern.audience_kind == audiences.TEAM and concern.audience_team:
        return Audience.team(concern.audience_team)
    return audiences.LEADERSHIP


@dataclass(frozen=True)
class Draft:
    """What the writer typed and picked (never who they are)."""

    topic: str
    choice: str
    text: str
    helps: str | None = None


@dataclass(frozen=True)
class Receipt:
    """What the writer is told once: the code, who hears it, and when."""

    code: str
    audience: Audience
    rolled_up: bool
    described: Described
    digest_at: datetime


def submit(
    session: Session,
    *,
    workspace_id: str,
    config: OrgConfig,
    user_id: str,
    draft: Draft,
    now: datetime,
) -> Receipt:
    """Store the concern with its final audience; raises NoAudience or a storage error.

    Everything the receipt says is read before the commit, and nothing after it can fail, so
    a stored concern always shows its code and one that shows none was not stored."""
    resolved = audiences.resolve(
        session,
        workspace_id=workspace_id,
        config=config,
        user_id=user_id,
        choice=draft.choice,
        now=now,
    )
    described = audiences.describe(
        session, workspace_id=workspace_id, config=config, audience=resolved.audience
    )
    code = new_code()
    day = today(now)
    digest_at = audiences.next_digest(described, day, now)
    concern = Concern(
        workspace_id=workspace_id,
        topic=draft.topic,
        text=draft.text,
        helps=draft.helps,
        audience_kind=resolved.audience.kind,
        audience_team=resolved.audience.team_key,
        code_hash=hash_code(normalise_code(code) or ""),
        created_on=day,
    )
    concern.group_members = sorted(_member_hash(concern, user) for user in resolved.group)
    session.add(concern)
    session.commit()
    return Receipt(code, resolved.audience, resolved.rolled_up, described, digest_at)


def _member_hash(concern: Concern, user_id: str) -> str:
    """One of those who could have written `concern`, as stored: hashed with the concern's
    random ref, so no user id is stored with a concern, the sets of two concerns cannot be
    matched, and the only question the record answers is "could this person have written it?"."""
    return hashlib.sha256(f"{concern.ref}:{user_id}".encode()).hexdigest()[:32]


def could_have_written(concern: Concern, user_id: str) -> bool:
    """Whether `user_id` was in the concern's group when it was written (see submit)."""
    return _member_hash(concern, user_id) in set(concern.group_members or [])


def find(session: Session, *, workspace_id: str, code: str) -> Concern | None:
    """The concern a code opens; a malformed, wrong or unknown code all give None alike."""
    digest = hash_code(normalise_code(code) or "")
    return session.exec(
        select(Concern).where(Concern.workspace_id == workspace_id, Concern.code_hash == digest)
    ).first()


def notes(session: Session, concern: Concern) -> list[ConcernNote]:
    return list(
        session.exec(
            select(ConcernNote)
            .where(
                ConcernNote.workspace_id == concern.workspace_id,
                ConcernNote.concern_id == concern.id,
            )
            .order_by(col(ConcernNote.id))
        )
    )


def _note(concern: Concern, kind: str, now: datetime, **fields: object) -> ConcernNote:
    assert concern.id is not None
    return ConcernNote(
        workspace_id=concern.workspace_id,
        concern_id=concern.id,
        kind=kind,
        created_on=today(now),
        **fields,
    )


def add_followup(session: Session, *, concern: Concern, text: str, now: datetime) -> ConcernNote:
    """The writer's anonymous follow-up; it reaches the audience in a digest, like a concern."""
    note = _note(concern, FOLLOWUP, now, text=text)
    session.add(note)
    session.commit()
    return note


def withdraw(session: Session, *, concern: Concern) -> bool:
    """Withdraw and erase a concern not yet delivered; False once a digest has carried it."""
    if concern.delivered_on is not None or concern.status == WITHDRAWN:
        return False
    session.execute(
        sa.delete(ConcernNote).where(
            col(ConcernNote.workspace_id) == concern.workspace_id,
            col(ConcernNote.concern_id) == concern.id,
        )
    )
    concern.text, concern.helps, concern.status = "", None, WITHDRAWN
    session.add(concern)
    session.commit()
    return True


def by_ref(session: Session, *, workspace_id: str, ref: object) -> Concern | None:
    """The concern a Slack payload points at by its random ref, in this workspace only."""
    if not isinstance(ref, str) or not ref:
        return None
    return session.exec(
        select(Concern).where(Concern.workspace_id == workspace_id, Concern.ref == ref)
    ).first()


def answerable(session: Session, *, workspace_id: str, ref: object, user_id: str) -> Concern | None:
    """The concern, if a digest delivered it to `user_id`.

    Who may read, answer and set the status is what was recorded at delivery, never who
    manages the team or sits among the leaders today: a manager replaced after delivery
    keeps their concerns, and the new one (or an admin who makes themselves a leader) does
    not get them.
    """
    concern = by_ref(session, workspace_id=workspace_id, ref=ref)
    if concern is None or concern.delivered_on is None or concern.status == WITHDRAWN:
        return None
    return concern if user_id in (concern.delivered_to or []) else None


def reply(
    session: Session, *, concern: Concern, user_id: str, text: str, now: datetime
) -> ConcernNote:
    """An audience member's answer, which the writer reads with their code."""
    note = _note(concern, REPLY, now, text=text, user_id=user_id)
    session.add(note)
    session.commit()
    return note


def set_status(
    session: Session,
    *,
    concern: Concern,
    user_id: str,
    status: str,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Acknowledged, discussed, changed, or not changing (with why): "you said, we did"."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    concern.status = status
    concern.reason = reason if status == "not_changing" else None
    session.add(concern)
    session.add(_note(concern, STATUS, now, status=status, text=concern.reason, user_id=user_id))
    session.commit()


@dataclass(frozen=True)
class DigestConcern:
    """A concern for one digest: new to its audience, or already known with new follow-ups."""

    concern: Concern
    followups: tuple[ConcernNote, ...]
    is_new: bool
    recipients: tuple[str, ...] = ()  # who this digest delivers it to


def _order(concern: Concern) -> tuple[date, str]:
    """Day, then the random ref: never the order (or time) of writing within a day."""
    return (concern.created_on, concern.ref)


def concerns_for_digest(
    session: Session,
    *,
    workspace_id: str,
    config: OrgConfig,
    audience: Audience,
    recipients: tuple[str, ...],
    digest_at: datetime,
) -> list[DigestConcern]:
    """What `audience` (read by `recipients`) receives in the digest sent at `digest_at`.

    New concerns and follow-ups are held until the digest's UTC day is at least two days
    after theirs, so they are always more than 24 hours old when they arrive. A new concern
    to a team passes the group rule again with today's org first; one that no longer may
    reach this team's manager rolls up (and waits for that level's digest). Follow-ups of a
    delivered concern go to those it was delivered to, whoever manages the team today.
    Never for a preview: it may move a concern up.
    """
    latest = digest_at.astimezone(UTC).date() - audiences.HOLD
    if audience.is_leadership:  # with the concerns whose team has since been removed
        teams = select(Team.key).where(Team.workspace_id == workspace_id)
        heard_by = sa.or_(
            col(Concern.audience_kind) == audience.kind,
            col(Concern.audience_team).not_in(teams),
        )
    else:
        heard_by = sa.and_(
            col(Concern.audience_kind) == audience.kind,
            col(Concern.audience_team) == audience.team_key,
        )
    fresh = session.exec(
        select(Concern).where(
            Concern.workspace_id == workspace_id,
            heard_by,
            Concern.status != WITHDRAWN,
            col(Concern.delivered_on).is_(None),
            col(Concern.created_on) <= latest,
        )
    ).all()
    waiting = select(ConcernNote.concern_id).where(
        ConcernNote.workspace_id == workspace_id,
        ConcernNote.kind == FOLLOWUP,
        col(ConcernNote.delivered_on).is_(None),
        col(ConcernNote.created_on) <= latest,
    )
    known = session.exec(
        select(Concern).where(
            Concern.workspace_id == workspace_id,
            Concern.status != WITHDRAWN,
            col(Concern.delivered_on).is_not(None),
            col(Concern.id).in_(waiting),
        )
    ).all()
    items: list[DigestConcern] = []
    for concern in sorted(fresh, key=_order):
        moved = audiences.recheck(
            session,
            workspace_id=workspace_id,
            config=config,
            audience=audience_of(concern),
            could_write=lambda user_id, concern=concern: could_have_written(concern, user_id),
            now=digest_at,
        )
        if moved is not None:  # the writer's code shows the new level from now on
            concern.audience_kind, concern.audience_team = moved.kind, moved.team_key
            session.add(concern)
            session.commit()
            if moved != audience:
                continue
        items.append(
            DigestConcern(concern, _new_followups(session, concern, latest), True, recipients)
        )
    for concern in sorted(known, key=_order):
        heard = (
            audience_of(concern) == audience
            if audience.is_leadership
            else bool(set(recipients) & set(concern.delivered_to or []))
        )
        followups = _new_followups(session, concern, latest)
        if heard and followups:
            items.append(DigestConcern(concern, followups, False, recipients))
    return items


def _new_followups(session: Session, concern: Concern, latest: date) -> tuple[ConcernNote, ...]:
    return tuple(
        note
        for note in notes(session, concern)
        if note.kind == FOLLOWUP and note.delivered_on is None and note.created_on <= latest
    )


def mark_delivered(session: Session, *, items: list[DigestConcern], day: date) -> None:
    """Record that a sent digest carried these concerns and follow-ups, and to whom (commits)."""
    for item in items:
        if item.is_new and item.concern.id is not None:
            session.execute(
                sa.update(Concern)
                .where(
                    col(Concern.workspace_id) == item.concern.workspace_id,
                    col(Concern.id) == item.concern.id,
                    col(Concern.delivered_on).is_(None),
                )
                .values(delivered_on=day, delivered_to=sorted(set(item.recipients)))
            )
    note_ids = [note.id for item in items for note in item.followups]
    if note_ids:
        session.execute(
            sa.update(ConcernNote)
            .where(
                col(ConcernNote.workspace_id) == items[0].concern.workspace_id,
                col(ConcernNote.id).in_(note_ids),
                col(ConcernNote.delivered_on).is_(None),
            )
            .values(delivered_on=day)
        )
    session.commit()
