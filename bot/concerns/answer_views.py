"""The pieces a digest shows a concern's audience: the concern, Reply, the status picker."""

from __future__ import annotations

from bot.concerns.rules import NOTE_LIMIT, STATUSES, TOPICS
from bot.concerns.views import (
    REPLY_BUTTON,
    REPLY_MODAL,
    SET_STATUS,
    WHY_MODAL,
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
    input_block,
    option,
    plain,
    section,
    text_element,
)
from storage.models import Concern, ConcernNote


def concern_blocks(
    concern: Concern, followups: tuple[ConcernNote, ...] = (), *, new: bool = True
) -> list[Block]:
    """A concern as its audience reads it in a digest, with Reply and a status picker."""
    topic = t(f"topics.{concern.topic}") if concern.topic in TOPICS else concern.topic
    blocks: list[Block] = []
    if new:
        heading = t("answer.heading", topic=topic, day=day_text(concern.created_on))
        blocks += [context(heading), *said_sections(concern.text)]
        if concern.helps:
            blocks.append(section(t("thread.helps", text=said(concern.helps, 1000))))
    for note in followups:
        day = day_text(note.created_on)
        blocks.append(section(t("answer.followup", day=day, text=said(note.text or ""))))
    blocks.append(answer_actions(concern))
    return blocks


def answer_actions(concern: Concern) -> Block:
    """Reply, and set the status: the audience's two ways to answer."""
    statuses = [option(status_label(s), f"{concern.ref}:{s}") for s in STATUSES]
    select = {
        "type": "static_select",
        "action_id": SET_STATUS,
        "placeholder": plain(t("answer.status_placeholder")),
        "options": statuses,
    }
    initial = next((o for o in statuses if o["value"] == f"{concern.ref}:{concern.status}"), None)
    if initial is not None:
        select["initial_option"] = initial
    reply = button(t("answer.reply"), REPLY_BUTTON, concern.ref, style="primary")
    return actions(reply, select, block_id=f"concern:{concern.ref}")


def reply_modal(concern: Concern) -> dict:
    """The audience's reply, under the concern it answers."""
    p = "answer."
    blocks: list[Block] = [
        *said_sections(concern.text),
        context(t(p + "reply_hint")),
        input_block("reply", t(p + "reply_label"), text_element(None, NOTE_LIMIT)),
    ]
    meta = {"concern": concern.ref}
    return modal(REPLY_MODAL, t(p + "reply_title"), blocks, submit=t(p + "reply_submit"), meta=meta)


def why_modal(concern: Concern) -> dict:
    """Not changing, and why: the why is required."""
    p = "answer."
    blocks: list[Block] = [
        section(said(concern.text, 1500)),
        input_block("why", t(p + "why_label"), text_element(None, NOTE_LIMIT)),
    ]
    meta = {"concern": concern.ref}
    return modal(WHY_MODAL, t(p + "why_title"), blocks, submit=t(p + "why_submit"), meta=meta)


def saved_modal(text: str) -> dict:
    return modal("concern_saved", t("answer.saved_title"), [section(text)], close=t("thread.close"))
