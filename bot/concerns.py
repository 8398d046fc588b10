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

from bot import audience as audiences
from bot.audience import Audience, Described
from bot.config import OrgConfig
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
    session.add(
        Concern(
            workspace_id=workspace_id,
            topic=draft.topic,
            text=draft.text,
            helps=draft.helps,
            audience_kind=resolved.audience.kind,
            audience_team=resolved.audience.team_key,
            code_hash=hash_code(normalise_code(code) or ""),
            created_on=day,
        )
    )
    session.commit()
    return Receipt(code, resolved.audience, resolved.rolled_up, described, digest_at)


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


def answerable(
    session: Session, *, workspace_id: str, config: OrgConfig, concern_id: int, user_id: str
) -> Concern | None:
    """The concern, if `user_id` is in its audience and a digest has delivered it to them."""
    concern = session.get(Concern, concern_id)
    if concern is None or concern.workspace_id != workspace_id:
        return None
    if concern.delivered_on is None or concern.status == WITHDRAWN:
        return None
    who = audiences.members(
        session, workspace_id=workspace_id, config=config, audience=audience_of(concern)
    )
    return concern if user_id in who else None


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


def concerns_for_digest(
    session: Session, *, workspace_id: str, audience: Audience, digest_at: datetime
) -> list[DigestConcern]:
    """What `audience` receives in the digest sent at `digest_at` (never for a preview).

    New concerns and follow-ups are held until the digest's UTC day is at least two days
    after theirs, so they are always more than 24 hours old when they arrive.
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
    concerns = session.exec(
        select(Concern)
        .where(
            Concern.workspace_id == workspace_id,
            heard_by,
            Concern.status != WITHDRAWN,
            col(Concern.created_on) <= latest,
        )
        .order_by(col(Concern.id))
    ).all()
    items: list[DigestConcern] = []
    for concern in concerns:
        followups = tuple(
            note
            for note in notes(session, concern)
            if note.kind == FOLLOWUP and note.delivered_on is None and note.created_on <= latest
        )
        if concern.delivered_on is None or followups:
            items.append(DigestConcern(concern, followups, concern.delivered_on is None))
    return items


def mark_delivered(session: Session, *, items: list[DigestConcern], day: date) -> None:
    """Record that a sent digest carried these concerns and follow-ups (commits)."""
    concern_ids = [item.concern.id for item in items if item.is_new]
    note_ids = [note.id for item in items for note in item.followups]
    for table, ids in ((Concern, concern_ids), (ConcernNote, note_ids)):
        if ids:
            session.execute(
                sa.update(table)
                .where(
                    col(table.workspace_id) == items[0].concern.workspace_id,
                    col(table.id).in_(ids),
                    col(table.delivered_on).is_(None),
                )
                .values(delivered_on=day)
            )
    session.commit()
