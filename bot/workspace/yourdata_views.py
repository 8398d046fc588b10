"""Forget me: the confirmation modal and the modal that says what was erased."""

from __future__ import annotations

from typing import Any

import prompts
from bot.views.kit import Block, context, input_block, plain, section
from bot.workspace.forget import Forgotten

FORGET = "forget_me"  # the confirmation modal's callback_id
STOP = "stop"  # its checkbox block: also stop my check-ins
STOP_VALUE = "stop"


def _t(key: str, **values: object) -> str:
    return prompts.text(f"yourdata.{key}", **values)


def forget_modal() -> dict[str, Any]:
    """What will be erased, the "also stop my check-ins" box, and the truth about concerns."""
    choice = {"text": {"type": "mrkdwn", "text": _t("forget_stop")}, "value": STOP_VALUE}
    checkbox: Block = {"type": "checkboxes", "options": [choice]}
    return {
        "type": "modal",
        "callback_id": FORGET,
        "title": plain(_t("forget_title"), 24),
        "submit": plain(_t("forget_submit"), 24),
        "close": plain(_t("forget_cancel"), 24),
        "blocks": [
            section(_t("forget_intro")),
            input_block(STOP, _t("forget_stop_label"), checkbox, optional=True),
            section(_t("forget_concerns")),
            context(_t("forget_who")),
        ],
    }


def stop_chosen(values: dict[str, Any]) -> bool:
    """Whether the submitted modal has "also stop my check-ins" ticked."""
    chosen = ((values.get(STOP) or {}).get("value") or {}).get("selected_options") or []
    return any(isinstance(o, dict) and o.get("value") == STOP_VALUE for o in chosen)


def forgotten_modal(done: Forgotten, *, stopped: bool) -> dict[str, Any]:
    """The end: what was erased, whether check-ins stop, and that concerns cannot be found."""
    said = _t(
        "forget_done",
        checkins=done.checkins,
        reflections=done.reflections,
        mentions=done.mentions,
    )
    return {
        "type": "modal",
        "title": plain(_t("forget_done_title"), 24),
        "close": plain(_t("close"), 24),
        "blocks": [
            section(said),
            section(_t("forget_stopped") if stopped else _t("forget_not_stopped")),
            section(_t("forget_concerns")),
        ],
    }
