"""Helpers for setup-modal tests: what Slack sends back for a modal, and rows to compare."""

from __future__ import annotations

import copy
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from storage.models import Delivery, Membership, Objective, Person, Reflection, Team, Workspace
from tests.fakeslack import FakeSlack

TABLES = (Workspace, Person, Team, Membership, Objective, Delivery, Reflection)


def snapshot(engine) -> dict[str, list[str]]:
    """Every row of the tables an edit could touch, to prove that a refusal changed nothing."""
    with Session(engine) as session:
        return {
            table.__name__: sorted(repr(row.model_dump()) for row in session.exec(select(table)))
            for table in TABLES
        }


def rows(engine, table, **where: Any) -> list[Any]:
    with Session(engine) as session:
        found = session.exec(select(table)).all()
    return [row for row in found if all(getattr(row, k) == v for k, v in where.items())]


def local_times(engine, user_id: str, zone: str) -> set[str]:
    """When the person's pending nudges are due, on their own clock."""
    pending = rows(engine, Delivery, kind="nudge", subject=user_id, status="pending")
    return {r.due_at.astimezone(ZoneInfo(zone)).strftime("%a %H:%M") for r in pending}


def filled(view: dict[str, Any]) -> dict[str, Any]:
    """state.values as Slack sends them when the person changes nothing in the modal."""
    states = {
        "plain_text_input": lambda e: {"value": e.get("initial_value")},
        "static_select": lambda e: {"selected_option": e.get("initial_option")},
        "radio_buttons": lambda e: {"selected_option": e.get("initial_option")},
        "checkboxes": lambda e: {"selected_options": e.get("initial_options", [])},
        "timepicker": lambda e: {"selected_time": e.get("initial_time")},
        "number_input": lambda e: {"value": e.get("initial_value")},
        "users_select": lambda e: {"selected_user": e.get("initial_user")},
        "multi_users_select": lambda e: {"selected_users": e.get("initial_users", [])},
        "multi_static_select": lambda e: {"selected_options": e.get("initial_options", [])},
        "conversations_select": lambda e: {"selected_conversation": e.get("initial_conversation")},
    }
    values = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            element = block["element"]
            state = {"type": element["type"], **states[element["type"]](element)}
            values[block["block_id"]] = {element["action_id"]: state}
    return values


def put(values: dict[str, Any], block_id: str, **state: Any) -> dict[str, Any]:
    """The same values with one block's state changed."""
    changed = copy.deepcopy(values)
    changed[block_id]["value"].update(state)
    return changed


def pick(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def opened(slack: FakeSlack, method: str = "views.open") -> dict[str, Any]:
    return {**slack.of(method)[-1].params["view"], "root_view_id": "VROOT"}
