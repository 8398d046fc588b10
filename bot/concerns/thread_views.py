"""What the writer sees with their code: the concern, its status, its thread, what they can do."""

from __future__ import annotations

from bot.concerns.rules import FOLLOWUP, NOTE_LIMIT, REPLY, TOPICS, WITHDRAWN
from bot.concerns.views import (
    THREAD,
    WITHDRAW,
    day_text,
    modal,
    said,
    said_sections,
    status_label,
    t,
)
from bot.views.kit import (
    Block,
    actions,
    button,
    context,
    divider,
    escape,
    input_block,
    plain,
    section,
    text_element,
)
from storage.models import Concern, ConcernNote

SHOWN_NOTES = 30


def _note_line(note: ConcernNote, names: dict[str, str]) -> str:
    day = day_text(note.created_on)
    name = escape(names.get(note.user_id or "", note.user_id or ""))
    if note.kind == REPLY:
        return t("thread.reply", name=name, day=day, text=said(note.text or ""))
    if note.kind == FOLLOWUP:
        line = t("thread.followup", day=day, text=said(note.text or ""))
        return line if note.delivered_on else f"{line}\n{t('thread.followup_waiting')}"
    status = status_label(note.status or "")
    if note.text:
        return t("thread.status_note_why", name=name, status=status, day=day, text=said(note.text))
    return t("thread.status_note", name=name, status=status, day=day)


def thread_modal(
    concern: Concern,
    notes: list[ConcernNote],
    *,
    code: str,
    who: str,
    names: dict[str, str],
    next_digest: str | None,
    notice: str | None = None,
) -> dict:
    """What the writer sees with their code: the concern, its status and thread, and actions."""
    p = "thread."
    topic = t(f"topics.{concern.topic}") if concern.topic in TOPICS else concern.topic
    about = t(p + "about", topic=topic, day=day_text(concern.created_on), who=who)
    blocks: list[Block] = [context(about)]
    if notice:
        blocks.append(section(notice))
    if concern.status == WITHDRAWN:
        blocks.append(section(t(p + "withdrawn")))
        return modal(THREAD, t(p + "title"), blocks, close=t(p + "close"))
    blocks += said_sections(concern.text)
    if concern.helps:
        blocks.append(section(t(p + "helps", text=said(concern.helps, 1000))))
    status = status_label(concern.status)
    if concern.reason:
        blocks.append(section(t(p + "status_why", status=status, reason=said(concern.reason))))
    else:
        blocks.append(section(t(p + "status", status=status)))
    if concern.delivered_on is None:
        waiting = section(t(p + "waiting", who=who, date=next_digest or ""))
        withdraw = button(t(p + "withdraw"), WITHDRAW, style="danger")
        withdraw["confirm"] = {
            "title": plain(t(p + "withdraw_confirm_title"), 100),
            "text": plain(t(p + "withdraw_confirm_text"), 300),
            "confirm": plain(t(p + "withdraw_confirm_yes"), 30),
            "deny": plain(t(p + "withdraw_confirm_no"), 30),
            "style": "danger",
        }
        blocks += [waiting, actions(withdraw, block_id="withdraw")]
    else:
        blocks.append(context(t(p + "delivered", day=day_text(concern.delivered_on))))
    if notes:
        blocks.append(divider())
        if len(notes) > SHOWN_NOTES:
            blocks.append(context(t(p + "earlier")))
        blocks += [section(_note_line(note, names)) for note in notes[-SHOWN_NOTES:]]
    element = text_element(None, NOTE_LIMIT, t(p + "followup_placeholder"))
    blocks.append(input_block("followup", t(p + "followup_label"), element))
    return modal(
        THREAD,
        t(p + "title"),
        blocks,
        submit=t(p + "submit"),
        close=t(p + "close"),
        meta={"code": code},
    )
