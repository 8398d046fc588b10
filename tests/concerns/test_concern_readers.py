"""A concern reaches only its readers (issue 17, holes 3 to 6).

Its audience is checked again at delivery with today's org, who it was delivered to is
recorded, every later read is authorized against that record, its references are random,
digests order it by day and ref, leadership counts only delivered ones, and every wrong code
counts toward the guess throttle.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from bot.concerns import rules as concerns
from bot.concerns.answer_views import concern_blocks
from bot.concerns.audience import LEADERSHIP, Audience
from bot.digest import delivery as digests
from bot.digest.views import as_text
from bot.org.config import OrgConfig
from bot.org.plan import load_config
from bot.setup.apply import apply_config
from storage.models import Concern, ConcernNote
from tests.concern_kit import (
    ORG,
    PEOPLE,
    WRITER,
    deliver_all,
    digest_items,
    digest_select,
    raise_concern,
    submit,
    view_action,
)
from tests.conftest import TEAM, seed_org

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
NEW_PEOPLE = [
    {"user_id": "UNEW", "real_name": "Nina New", "tz": "Europe/Berlin"},
    {"user_id": "UADM", "real_name": "Ada Admin", "tz": "Europe/Berlin", "is_admin": True},
]


@pytest.fixture
def org(engine):
    seed_org(engine, ORG, [*PEOPLE, *NEW_PEOPLE])
    return engine


def blocks_text(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def reorganise(engine, clock, **changes) -> None:
    """An org file import that changes teams (by key) or the top-level fields."""
    changed = json.loads(json.dumps(ORG))
    for team in changed["teams"]:
        team.update(changes.pop(team["key"], {}))
    changed.update(changes)
    with Session(engine) as session:
        apply_config(session, TEAM, "Acme", OrgConfig.model_validate(changed), clock())
        session.commit()


def the_concern(engine) -> Concern:
    with Session(engine) as session:
        return session.exec(select(Concern).where(Concern.workspace_id == TEAM)).one()


def writer_sees(requests, slack, code: str) -> str:
    requests.command("/concern", f"status {code}", user=WRITER)
    return blocks_text(slack.of("views.open")[-1].params["view"])


def refused(slack) -> bool:
    return "Only the people" in slack.responses()[-1]["text"]


# --- re-checked at delivery --------------------------------------------------------


def test_a_member_promoted_to_manager_does_not_receive_a_concern_of_their_old_group(
    org, clock, requests, slack
):
    code = raise_concern(requests, slack)  # to Maria, Platform's manager, among its five
    assert "Maria Manager" in writer_sees(requests, slack, code)
    members = [WRITER, "UP3", "UP4", "UP5", "UNEW"]  # UP2 manages it now; a newcomer joins
    reorganise(org, clock, platform={"manager": "UP2", "members": members})

    assert deliver_all(org, Audience.team("platform"), MONDAY) == []  # not to UP2
    concern = the_concern(org)
    assert (concern.audience_kind, concern.audience_team) == ("team", "eng")
    assert concern.delivered_on is None and concern.delivered_to == []
    assert "Victor Vance" in writer_sees(requests, slack, code)  # the code shows the new level
    [ref] = deliver_all(org, Audience.team("eng"), MONDAY)
    assert the_concern(org).delivered_to == ["UVP"]
    digest_select(requests, f"{ref}:acknowledged", user="UP2")
    assert refused(slack) and the_concern(org).status == "new"


def test_a_group_that_shrank_below_the_minimum_rolls_the_concern_up_at_delivery(
    org, clock, requests, slack
):
    raise_concern(requests, slack)
    reorganise(org, clock, platform={"members": [WRITER, "UP2"]})
    assert deliver_all(org, Audience.team("platform"), MONDAY) == []
    assert the_concern(org).audience_team == "eng"
    assert len(deliver_all(org, Audience.team("eng"), MONDAY)) == 1


def test_a_concern_whose_audience_still_holds_is_delivered_and_recorded(
    org, clock, requests, slack
):
    raise_concern(requests, slack)
    concern = the_concern(org)
    assert len(concern.group_members) == 5  # the five who could have written it, hashed
    assert all(WRITER not in h and len(h) == 32 for h in concern.group_members)
    assert concerns.could_have_written(concern, WRITER)
    assert not concerns.could_have_written(concern, "UMGR")
    assert len(deliver_all(org, Audience.team("platform"), MONDAY)) == 1
    concern = the_concern(org)
    assert concern.delivered_to == ["UMGR"] and concern.delivered_on == MONDAY.date()


# --- authorized against who it was delivered to ------------------------------------


def test_a_replaced_manager_keeps_their_concerns_and_the_new_one_does_not_get_them(
    org, clock, requests, slack, engine
):
    code = raise_concern(requests, slack)
    [ref] = deliver_all(org, Audience.team("platform"), MONDAY)
    reorganise(org, clock, platform={"manager": "UNEW"})

    requests.action("concern_reply", ref, user="UNEW")  # the new manager replays the button
    assert refused(slack)
    digest_select(requests, f"{ref}:changed", user="UNEW")
    assert refused(slack) and the_concern(org).status == "new"

    digest_select(requests, f"{ref}:acknowledged", user="UMGR")  # it was delivered to Maria
    assert the_concern(org).status == "acknowledged"
    requests.action("concern_reply", ref, user="UMGR")
    assert slack.of("views.open")[-1].params["view"]["callback_id"] == "concern_reply_modal"

    # the writer's follow-up goes to Maria, not to the team's new manager
    requests.command("/concern", f"status {code}", user=WRITER)
    thread = slack.of("views.open")[-1].params["view"]
    values = {"followup": {"value": {"type": "plain_text_input", "value": "Still happening"}}}
    submit(requests, thread, values)
    later = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    with Session(engine) as session:
        config = load_config(session, TEAM)
        new_managers = concerns.concerns_for_digest(
            session,
            workspace_id=TEAM,
            config=config,
            audience=Audience.team("platform"),
            recipients=("UNEW",),
            digest_at=later,
        )
        marias = concerns.concerns_for_digest(
            session,
            workspace_id=TEAM,
            config=config,
            audience=Audience.team("mobile"),  # whatever team she manages by then
            recipients=("UMGR",),
            digest_at=later,
        )
    assert new_managers == []
    assert [note.text for item in marias for note in item.followups] == ["Still happening"]


def test_an_admin_who_makes_themselves_a_leader_or_manager_reads_nothing_delivered_before(
    org, clock, requests, slack
):
    raise_concern(requests, slack, audience="leadership")
    [ref] = deliver_all(org, LEADERSHIP, MONDAY)
    assert the_concern(org).delivered_to == ["UCEO"]
    reorganise(org, clock, leaders=["UCEO", "UADM"], platform={"manager": "UADM"})
    for action in ("reply", "select"):
        if action == "reply":
            requests.action("concern_reply", ref, user="UADM")
        else:
            digest_select(requests, f"{ref}:acknowledged", user="UADM")
        assert refused(slack)
    assert the_concern(org).status == "new"
    digest_select(requests, f"{ref}:acknowledged", user="UCEO")
    assert the_concern(org).status == "acknowledged"


def test_guessed_and_replayed_concern_references_are_refused(org, clock, requests, slack):
    raise_concern(requests, slack)
    [ref] = deliver_all(org, Audience.team("platform"), MONDAY)
    concern = the_concern(org)
    assert ref == concern.ref and ref != str(concern.id) and len(ref) >= 22
    seed_org(org, ORG, [], workspace_id="T0OTHER")
    with Session(org) as session:
        elsewhere = Concern(
            workspace_id="T0OTHER", topic="work", text="other workspace", audience_kind="team",
            audience_team="platform", code_hash="x" * 64, created_on=date(2026, 11, 1),
            delivered_on=date(2026, 11, 3), delivered_to=["UMGR"],
        )  # fmt: skip
        session.add(elsewhere)
        session.commit()
        other_ref = elsewhere.ref
    for value in (str(concern.id), "1", other_ref, ref[:-1] + "x", ""):
        requests.action("concern_reply", value, user="UMGR")
        assert refused(slack), value
        digest_select(requests, f"{value}:acknowledged", user="UMGR")
        assert refused(slack), value
    forged = {  # a reply modal whose metadata names the concern by id
        "type": "modal",
        "callback_id": "concern_reply_modal",
        "private_metadata": json.dumps({"concern": concern.id}),
        "blocks": [
            {
                "type": "input",
                "block_id": "reply",
                "label": {"type": "plain_text", "text": "Reply"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
    }
    values = {"reply": {"value": {"type": "plain_text_input", "value": "Gotcha"}}}
    answer = submit(requests, forged, values, user="UMGR")
    assert "Only the people" in answer["errors"]["reply"]
    with Session(org) as session:
        assert session.exec(select(ConcernNote)).all() == []
    assert the_concern(org).status == "new"


# --- order, ids and counts ---------------------------------------------------------


def test_a_digest_orders_concerns_by_day_then_ref_never_by_id_and_shows_no_id(
    org, clock, requests, slack
):
    for n in range(3):
        raise_concern(requests, slack, f"Concern number {n} about the planning")
    with Session(org) as session:  # refs in the reverse order of writing
        rows = session.exec(select(Concern).order_by(Concern.id)).all()
        for n, row in enumerate(rows):
            row.ref = f"{'zyx'[n]}{row.ref[1:]}"
            session.add(row)
        session.commit()
        ids = [str(row.id) for row in rows]
    with Session(org) as session:
        items = digest_items(session, Audience.team("platform"), MONDAY)
        texts = [item.concern.text for item in items]
        blocks = [b for item in items for b in concern_blocks(item.concern)]
    assert texts == [f"Concern number {n} about the planning" for n in (2, 1, 0)]
    for block in blocks:
        for element in block.get("elements", []):
            values = [element.get("value")] + [o["value"] for o in element.get("options", [])]
            assert not any(v and v.split(":")[0] in ids for v in values)
        assert block.get("block_id", "").split(":")[-1] not in ids


def test_leadership_counts_only_delivered_concerns(org, clock, requests, slack):
    raise_concern(requests, slack, "A concern still in its hold")
    friday = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    with Session(org) as session:
        config = load_config(session, TEAM)
        held = as_text(digests.compose_leadership(session, config, TEAM, "2026-W48", friday).blocks)
    assert "How we work: 1 new" not in held  # written Friday, held until Sunday
    deliver_all(org, Audience.team("platform"), MONDAY)
    with Session(org) as session:
        config = load_config(session, TEAM)
        counted = digests.compose_leadership(session, config, TEAM, "2026-W49", MONDAY).blocks
    assert "How we work: 1 new" in as_text(counted)


# --- every wrong code is throttled -------------------------------------------------


def forged_thread(code: str) -> dict:
    """The writer's thread modal with a code written into its metadata by hand."""
    return {
        "type": "modal",
        "callback_id": "concern_thread",
        "private_metadata": json.dumps({"code": code}),
        "blocks": [
            {
                "type": "input",
                "block_id": "followup",
                "optional": True,
                "label": {"type": "plain_text", "text": "Follow-up"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
        "submit": {"type": "plain_text", "text": "Send"},
    }


@pytest.mark.parametrize("path", ["followup", "withdraw"])
def test_wrong_codes_through_follow_up_and_withdraw_count_toward_the_throttle(
    org, clock, requests, slack, path
):
    code = raise_concern(requests, slack)
    for n in range(5):
        wrong = forged_thread(f"AAAA-AAAA-AAAA-AAA{'ABCDE'[n]}")
        if path == "followup":
            values = {"followup": {"value": {"type": "plain_text_input", "value": "guess"}}}
            answer = submit(requests, wrong, values)
            assert "No concern matches" in blocks_text(answer["view"])
        else:
            view_action(requests, wrong, "concern_withdraw")
            assert "No concern matches" in blocks_text(slack.of("views.update")[-1].params["view"])
    # five wrong codes, whichever way they came: the sixth try, even the right code, waits
    requests.action("concern_check", "home", user=WRITER)
    lookup = slack.of("views.open")[-1].params["view"]
    values = {"code": {"value": {"type": "plain_text_input", "value": code}}}
    assert "Too many tries" in submit(requests, lookup, values)["errors"]["code"]
    values = {"followup": {"value": {"type": "plain_text_input", "value": "real one"}}}
    assert "Too many tries" in blocks_text(submit(requests, forged_thread(code), values)["view"])
    with Session(org) as session:
        assert session.exec(select(ConcernNote)).all() == []
    assert the_concern(org).status == "new"
