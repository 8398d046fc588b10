"""Block Kit for concerns: the writer's modals, and the pieces a digest shows its audience.

Concern text is always escaped and put in `verbatim` mrkdwn (DESIGN 7): it can never ping,
mention or link. Text inputs get it back raw, as Slack expects.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import prompts
from bot.concerns.audience import CHOICES, Described
from bot.concerns.rules import (
    HELPS_LIMIT,
    STATUSES,
    TEXT_LIMIT,
    TOPICS,
    WITHDRAWN,
    Draft,
    Receipt,
)
from bot.views.kit import (
    Block,
    context,
    cut,
    divider,
    escape,
    input_block,
    option,
    plain,
    quoted,
    section,
    text_element,
)

RAISE = "concern_raise"  # App Home: "Raise a concern anonymously"
CHECK = "concern_check"  # App Home: "Check on a concern"
COMPOSE = "concern_compose"
LOOKUP = "concern_lookup"
THREAD = "concern_thread"
WITHDRAW = "concern_withdraw"
REPLY_BUTTON = "concern_reply"
SET_STATUS = "concern_set_status"
REPLY_MODAL = "concern_reply_modal"
WHY_MODAL = "concern_why_modal"


def t(key: str, **values: object) -> str:
    return prompts.text(f"concern.{key}", **values)


def said(text: str, limit: int = 2800) -> str:
    """Someone's words, escaped and then cut (escaping lengthens them), for verbatim mrkdwn."""
    return cut(quoted(text), limit)


def said_sections(text: str, size: int = 2900) -> list[Block]:
    """Someone's words in full, escaped, as verbatim sections split at spaces within limits."""
    rest, parts = quoted(text, lines=True), []
    while len(rest) > size:
        at = max(rest.rfind("\n", 0, size), rest.rfind(" ", 0, size))
        if at <= 0:
            entity = rest.rfind("&", size - 5, size)  # never cut an &amp; in two
            at = entity if entity > 0 and ";" not in rest[entity:size] else size
        parts.append(rest[:at])
        rest = rest[at:].lstrip()
    return [section(part) for part in [*parts, rest] if part]


def day_text(day: date) -> str:
    return day.strftime("%a %d %b %Y")


def slack_day(when: datetime, zone: ZoneInfo) -> str:
    """A day Slack renders in the reader's zone; the fallback is the day in `zone`."""
    fallback = when.astimezone(zone).strftime("%A %d %B %Y")
    return f"<!date^{int(when.timestamp())}^{{date_long_pretty}}|{fallback}>"


def audience_name(described: Described) -> str:
    if described.manager is None:
        return t("audience.leadership")
    return t("audience.team", manager=escape(described.manager), team=escape(described.team or ""))


def modal(callback_id: str, title: str, blocks: list[Block], **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "close": plain(extra.pop("close", t("answer.close")), 24),
        "blocks": blocks[:100],
    }
    if "submit" in extra:
        view["submit"] = plain(extra.pop("submit"), 24)
    view["private_metadata"] = json.dumps(extra.pop("meta", {}))
    return view


def _select(options: list[Block], chosen: str | None, placeholder: str) -> Block:
    element: Block = {
        "type": "static_select",
        "action_id": "value",
        "placeholder": plain(placeholder),
        "options": options,
    }
    initial = next((o for o in options if o["value"] == chosen), None)
    if initial is not None:
        element["initial_option"] = initial
    return element


def compose_modal(draft: Draft | None = None, *, flagged: list[str] | None = None) -> dict:
    """The concern modal; with `flagged` details, the review step whose submit is Send anyway."""
    draft = draft or Draft("", "", "")
    p = "compose."
    blocks: list[Block] = [context(t(p + "who_sees"))]
    meta: dict[str, str] = {}
    if flagged:
        listed = ", ".join(f"“{said(fragment, 100)}”" for fragment in flagged)
        blocks += [section(t(p + "review")), context(t(p + "flagged", fragments=listed))]
        meta = {"reviewed": fingerprint(draft)}
    topics = [option(t(f"topics.{key}"), key) for key in TOPICS]
    choices = [option(t(f"choices.{key}"), key) for key in CHOICES]
    blocks += [
        input_block(
            "topic",
            t(p + "topic_label"),
            _select(topics, draft.topic, t(p + "topic_placeholder")),
        ),
        input_block(
            "audience",
            t(p + "audience_label"),
            _select(choices, draft.choice, t(p + "audience_placeholder")),
        ),
        context(t(p + "audience_hint")),
        input_block(
            "text",
            t(p + "text_label"),
            text_element(draft.text, TEXT_LIMIT, t(p + "text_placeholder")),
        ),
        input_block(
            "helps", t(p + "helps_label"), text_element(draft.helps, HELPS_LIMIT), optional=True
        ),
        context(t("urgent")),
    ]
    submit = t(p + ("submit_anyway" if flagged else "submit"))
    return modal(COMPOSE, t(p + "title"), blocks, submit=submit, close=t(p + "close"), meta=meta)


@functools.cache
def blank_compose_modal() -> dict:
    """The empty concern modal, built once per process: `/concern` without text and the Home
    button open it, in the three seconds. Its callers only send it, never change it."""
    return compose_modal()


def _value(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get("value") or {}


def text_of(values: dict[str, Any], block_id: str) -> str:
    raw = _value(values, block_id).get("value")
    return raw.strip() if isinstance(raw, str) else ""


def read_draft(values: dict[str, Any]) -> Draft:
    """The Draft in a view_submission's state.values."""

    def chosen(block_id: str) -> str:
        return str((_value(values, block_id).get("selected_option") or {}).get("value") or "")

    helps = text_of(values, "helps")
    return Draft(chosen("topic"), chosen("audience"), text_of(values, "text"), helps or None)


def draft_errors(draft: Draft) -> dict[str, str]:
    """Inline errors by block id; empty when the draft can be sent."""
    p = "compose."
    errors: dict[str, str] = {}
    if draft.topic not in TOPICS:
        errors["topic"] = t(p + "pick")
    if draft.choice not in CHOICES:
        errors["audience"] = t(p + "pick")
    if not draft.text:
        errors["text"] = t(p + "missing")
    for block_id, text, limit in (
        ("text", draft.text, TEXT_LIMIT),
        ("helps", draft.helps, HELPS_LIMIT),
    ):
        if text and len(text) > limit:
            errors[block_id] = t(p + "too_long", limit=limit, length=len(text))
    return errors


def fingerprint(draft: Draft) -> str:
    """Which words were reviewed: any edit makes a new check."""
    words = f"{draft.text}\x00{draft.helps or ''}".encode()
    return hashlib.sha256(words).hexdigest()[:24]


def receipt_modal(receipt: Receipt) -> dict:
    """Shown once, in the modal: the code, who hears it, when, and where urgent things go."""
    p = "receipt."
    who = audience_name(receipt.described)
    when = slack_day(receipt.digest_at, receipt.described.zone)
    blocks: list[Block] = [section(t(p + "sent")), section(t(p + "goes_to", who=who, date=when))]
    if receipt.rolled_up:
        blocks.append(context(t(p + "rolled_up")))
    blocks += [
        divider(),
        section(t(p + "code", code=receipt.code)),
        context(t(p + "code_note", code=receipt.code)),
        divider(),
        context(t("urgent")),
    ]
    return modal("concern_receipt", t(p + "title"), blocks, close=t(p + "close"))


def lookup_modal(notice: str | None = None) -> dict:
    """Asks for the private code; `notice` says why the last try did not open anything."""
    p = "lookup."
    blocks: list[Block] = [section(t(p + "intro"))]
    if notice:
        blocks.append(context(notice))
    element = {"type": "plain_text_input", "action_id": "value", "max_length": 40}
    element["placeholder"] = plain(t(p + "code_placeholder"))
    blocks.append(input_block("code", t(p + "code_label"), element))
    return modal(LOOKUP, t(p + "title"), blocks, submit=t(p + "submit"), close=t(p + "close"))


def status_label(status: str) -> str:
    return t(f"statuses.{status}") if status in (*STATUSES, "new", WITHDRAWN) else status
