"""Every Slack payload that points at a check-in, a reflection, a concern or a note carries
an unguessable ref, never a row id (issue 17): button values, option values, block ids and
private_metadata, in every message and modal that has one."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.concerns import answer_views as concern_answer
from bot.concerns.audience import Audience
from bot.digest import delivery as digests
from bot.digest.views import REPLY_PRIVATELY
from bot.digest.views import reply_modal as digest_reply_modal
from bot.org.plan import load_config
from storage.models import Checkin, Concern, ConcernNote, Reflection
from tests.concern_kit import ORG, PEOPLE, WRITER, deliver_all, raise_concern, submit
from tests.conftest import TEAM, seed_org

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WEEK = "2026-W48"

# Every action whose payload refers to a row, and where the reference sits.
REFERRING = {
    REPLY_PRIVATELY: "value",  # "<check-in ref>:<field>"
    concern_answer.REPLY_BUTTON: "value",  # "<concern ref>"
    concern_answer.SET_STATUS: "options",  # "<concern ref>:<status>"
}
REFERRING_METADATA = {
    "digest_reply_modal": "ref",
    concern_answer.REPLY_MODAL: "concern",
    concern_answer.WHY_MODAL: "concern",
}


def elements(blocks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(block_id, element) for every interactive element of these blocks."""
    found = []
    for block in blocks:
        inner = [
            *block.get("elements", []),
            *([block["accessory"]] if "accessory" in block else []),
        ]
        found += [(block.get("block_id", ""), e) for e in inner if "action_id" in e]
    return found


@pytest.fixture
def delivered(engine, requests, slack, clock):
    """A delivered concern with a follow-up, and a check-in with a blocker, in one digest."""
    seed_org(engine, ORG, PEOPLE)
    code = raise_concern(requests, slack, "Planning runs over")
    with Session(engine) as session:
        session.add(
            Checkin(
                workspace_id=TEAM, user_id="UP2", period=WEEK, team_key="platform",
                manager_id="UMGR", status="answered", moved="Shipped", blocked="Stuck",
                energy=3,
            )
        )  # fmt: skip
        session.add(
            Reflection(
                workspace_id=TEAM, user_id="UP2", team_key="platform", manager_id="UMGR",
                objective_keys=[], how="h", progress="p",
            )
        )  # fmt: skip
        session.commit()
    deliver_all(engine, Audience.team("platform"), MONDAY)
    requests.command("/concern", f"status {code}", user=WRITER)
    thread = slack.of("views.open")[-1].params["view"]
    values = {"followup": {"value": {"type": "plain_text_input", "value": "More"}}}
    submit(requests, thread, values)
    return engine


def row_ids(engine) -> set[str]:
    with Session(engine) as session:
        return {
            str(row.id)
            for model in (Checkin, Reflection, Concern, ConcernNote)
            for row in session.exec(select(model))
        }


def refs(engine) -> set[str]:
    with Session(engine) as session:
        return {
            row.ref
            for model in (Checkin, Reflection, Concern, ConcernNote)
            for row in session.exec(select(model))
        }


def test_every_reference_in_a_payload_is_a_random_ref_never_a_row_id(delivered):
    engine = delivered
    later = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)  # carries the follow-up
    with Session(engine) as session:
        config = load_config(session, TEAM)
        blocks = digests.compose_manager(
            session, config, TEAM, "UMGR", WEEK, digest_at=MONDAY
        ).blocks
        blocks += digests.compose_manager(
            session, config, TEAM, "UMGR", "2026-W50", digest_at=later
        ).blocks
        concern = session.exec(select(Concern)).one()
        checkin = session.exec(select(Checkin)).one()
        modals = [
            concern_answer.reply_modal(concern),
            concern_answer.why_modal(concern),
            digest_reply_modal("Pat", f"{checkin.ref}:blocked", quote="Stuck"),
        ]
    ids, known = row_ids(engine), refs(engine)
    seen: set[str] = set()
    for block_id, element in elements(blocks):
        action = element["action_id"]
        where = REFERRING.get(action)
        if where is None:
            continue
        seen.add(action)
        values = (
            [o["value"] for o in element["options"]] if where == "options" else [element["value"]]
        )
        for value in values:
            reference = value.split(":")[0]
            assert reference in known and reference not in ids, (action, value)
            assert len(reference) >= 22  # 128 random bits
        tail = block_id.split(":")[-1]
        assert tail not in ids, (action, block_id)
    assert seen == set(REFERRING)  # each referring action was in the digest
    for modal in modals:
        key = REFERRING_METADATA[modal["callback_id"]]
        meta = json.loads(modal["private_metadata"])
        reference = str(meta[key]).split(":")[0]
        assert reference in known and reference not in ids, modal["callback_id"]


def test_no_payload_value_anywhere_looks_like_a_row_id(delivered):
    with Session(delivered) as session:
        config = load_config(session, TEAM)
        blocks = digests.compose_manager(
            session, config, TEAM, "UMGR", WEEK, digest_at=MONDAY
        ).blocks
    for block_id, element in elements(blocks):
        for value in [element.get("value", ""), *(o["value"] for o in element.get("options", []))]:
            assert not re.fullmatch(r"\d+(:\w+)?", value), (element["action_id"], value)
        assert not re.search(r":\d+$", block_id), block_id
