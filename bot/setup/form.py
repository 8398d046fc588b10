"""Modal building blocks shared by the setup modals: inputs, selects, metadata, state."""

from __future__ import annotations

import json
from typing import Any

import prompts
from bot.views.kit import Block, context, option, plain, text_element

LISTED = 40  # items listed in a modal before a visible "… and N more"


def modal(
    title: str, blocks: list[Block], *, callback_id: str, submit: bool, meta: dict | None = None
) -> dict[str, Any]:
    """A modal with our title, Close/Cancel and, for forms, Save."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "close": plain(prompts.text("admin.cancel" if submit else "admin.close"), 24),
        "blocks": blocks,
    }
    if submit:
        view["submit"] = plain(prompts.text("admin.save"), 24)
    if meta:
        view["private_metadata"] = json.dumps(meta)  # a key or two, far below 3,000
    return view


def select(choices: list[tuple[str, str]], initial: str | None) -> Block:
    """A static_select of (text, value) pairs, with `initial` chosen when it is one of them."""
    options = [option(text, value) for text, value in choices]
    element: Block = {"type": "static_select", "options": options}
    chosen = next((item for item in options if item["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def checkbox(text: str, value: str, *, checked: bool) -> Block:
    """One checkbox (a yes/no field), ticked when `checked`."""
    box = option(text, value)
    element: Block = {"type": "checkboxes", "options": [box]}
    if checked:
        element["initial_options"] = [box]
    return element


def text_input(initial: str = "", *, limit: int, multiline: bool = False) -> Block:
    return text_element(initial, limit, multiline=multiline)


def users_input(initial: list[str]) -> Block:
    element: Block = {"type": "multi_users_select"}
    if initial:
        element["initial_users"] = initial
    return element


def listed(lines: list[Block], total: int) -> list[Block]:
    """At most LISTED items, then a visible line saying how many more there are."""
    if total <= LISTED:
        return lines
    return lines[:LISTED] + [context(prompts.text("admin.more", count=total - LISTED))]


def state(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The state of one input block's element."""
    return (values.get(block_id) or {}).get("value") or {}


def chosen(values: dict[str, Any], block_id: str) -> str | None:
    picked = state(values, block_id).get("selected_option") or {}
    return picked.get("value")
