"""Small Block Kit pieces shared by every builder, within Slack's limits."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

TEXT_LIMIT = 3000
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
METADATA_LIMIT = 3000
ELLIPSIS = "…"

Block = dict[str, Any]


def escape(text: str) -> str:
    """Escape Slack's control characters so user text can never ping, link or mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_LOOKALIKES = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})
_QUOTE_MARK = "&gt;"


def quoted(text: str, *, lines: bool = False) -> str:
    """Someone's words as text that cannot imitate formatting: escaped (no ping, link or
    mention), mrkdwn's *bold*, _italic_, ~strike~ and `code` marks swapped for look-alikes
    (∗ ˍ ∼ ˋ), no line starting a block quote (> becomes ›), and, unless `lines`, on one line,
    so the words stay inside the quote marks or bullet around them."""
    rows = text.splitlines() if lines else [" ".join(text.split())]
    rows = [escape(row.translate(_LOOKALIKES)).strip() for row in rows]
    return "\n".join(
        "›" + row[len(_QUOTE_MARK) :] if row.startswith(_QUOTE_MARK) else row for row in rows
    )


def cut(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` within `limit` characters, with a visible … where it was cut, never inside an
    escaped `&amp;`, `&lt;` or `&gt;` (so escaped text may be cut too)."""
    if len(text) <= limit:
        return text
    kept = text[: limit - 1]
    entity = kept.rfind("&", max(0, len(kept) - 4))
    if entity >= 0 and ";" not in kept[entity:]:
        kept = kept[:entity]
    return kept + ELLIPSIS


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    """Our own wording (already escaped where it holds user text); verbatim: no auto-links."""
    return {"type": "mrkdwn", "text": cut(text), "verbatim": True}


def section(text: str, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text)}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> Block:
    element: Block = {"type": "button", "text": plain(text, 75), "action_id": action_id}
    if value:
        element["value"] = value[:2000]
    if style:
        element["style"] = style
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    """An actions block; Slack refuses two elements with one action_id, so this does too."""
    ids = [element["action_id"] for element in elements if "action_id" in element]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate action_id in one actions block: {sorted(ids)}")
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def option(text: str, value: str) -> Block:
    return {"text": plain(text, 75), "value": value}


def slack_date(when: datetime, zone: ZoneInfo) -> str:
    """A date Slack renders in the reader's own zone; the fallback uses `zone`."""
    local = when.astimezone(zone)
    fallback = local.strftime("%a %d %b, %H:%M")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def text_element(
    initial: str | None, limit: int, placeholder: str | None = None, *, multiline: bool = True
) -> Block:
    """A plain_text_input of at most `limit` characters, pre-filled with `initial`."""
    element: Block = {"type": "plain_text_input", "multiline": multiline, "max_length": limit}
    if initial:
        element["initial_value"] = cut(initial, limit)
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return element


def input_block(
    block_id: str, label: str, element: Block, *, optional: bool = False, hint: str | None = None
) -> Block:
    """An input block whose element answers to action id "value"."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain(label, 2000),
        "element": {**element, "action_id": "value"},
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The view's private_metadata as a dict ({} when absent or not ours)."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def notice_modal(text: str, title: str = "leadbot") -> dict[str, Any]:
    """A small modal that only says something (where there is no channel to answer in)."""
    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("OK", 24),
        "blocks": [section(text)],
    }
