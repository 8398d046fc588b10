"""The whole loop over HTTP: DM → button → views.open → view_submission → stored → chat.update."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from storage.models import Checkin, Delivery
from tests.conftest import TEAM, seed_org
from tests.slackreq import select_value, text_values

ORG = {
    "timezone": "Europe/Berlin",
    "objectives": [{"key": "eu-launch", "title": "Launch in the EU"}],
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2"]}],
}
PEOPLE = [
    {"user_id": "UMGR", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "U1", "real_name": "Ana", "tz": "Europe/Berlin"},
    {"user_id": "U2", "real_name": "Ben", "tz": "America/New_York"},
]


def plant(engine, clock) -> None:
    """The org, with everyone's nudges planned."""
    seed_org(engine, ORG, PEOPLE)
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["U1", "U2", "UMGR"], clock())
        session.commit()


@pytest.fixture
def org(engine, clock):
    plant(engine, clock)


def answer_values(**overrides):
    values = {
        **text_values(
            moved="Shipped the <!channel> importer",
            learned="YAML is tricky",
            blocked="Waiting on review",
        )
    }
    values.update(select_value("energy", overrides.pop("energy", "4")))
    values.update(select_value("objective", "eu-launch"))
    values["helped_users"] = {"value": {"type": "multi_users_select", "selected_users": ["U2"]}}
    values.update(text_values(**overrides))
    return values


def nudges_to(slack, user):
    return [c for c in slack.of("chat.postMessage") if c.params["channel"] == user]


def test_nudge_arrives_at_local_checkin_time_with_three_buttons(org, clock, sender, slack):
    clock.set("2026-11-27T12:59:00+00:00")
    sender.drain()
    assert nudges_to(slack, "U1") == []
    clock.set("2026-11-27T13:00:00+00:00")  # 14:00 in Berlin
    sender.drain()
    [nudge] = nudges_to(slack, "U1")
    actions = nudge.params["blocks"][-1]["elements"]
    assert [a["action_id"] for a in actions] == ["checkin_open", "checkin_skip", "checkin_later"]
    assert "I'm leadbot" in json.dumps(nudge.params["blocks"])  # the first nudge introduces us
    assert nudges_to(slack, "U2") == []  # 08:00 in New York
    clock.set("2026-11-27T19:00:00+00:00")  # 14:00 in New York
    sender.drain()
    assert len(nudges_to(slack, "U2")) == 1
    assert len(nudges_to(slack, "U1")) == 1


def test_check_in_end_to_end_stores_the_answer_and_updates_the_dm(
    org, clock, sender, slack, requests, engine
):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    [nudge] = nudges_to(slack, "U1")
    reply = requests.action("checkin_open", "2026-W48", user="U1")
    assert reply.status == 200
    [opened] = slack.of("views.open")
    view = opened.params["view"]
    assert opened.params["trigger_id"] == requests.last_trigger
    assert view["callback_id"] == "checkin_modal"
    assert "Maria Manager sees your answers" in json.dumps(view)

    reply = requests.submit(view, answer_values(), user="U1")
    assert reply.status == 200 and reply.body == ""

    with Session(engine) as session:
        row = session.exec(select(Checkin).where(Checkin.user_id == "U1")).one()
    assert row.workspace_id == TEAM and row.period == "2026-W48" and row.status == "answered"
    assert row.moved == "Shipped the <!channel> importer" and row.energy == 4
    assert row.helped_users == ["U2"] and row.objective_key == "eu-launch" and not row.late
    assert row.manager_id == "UMGR"  # history stays with the manager it was written to
    [update] = slack.of("chat.update")
    assert update.params["channel"] == "D1"
    assert update.params["ts"] == "1700000000.000001"
    assert "Checked in ✓" in update.params["blocks"][0]["text"]["text"]
    assert update.params["blocks"][1]["elements"][0]["action_id"] == "checkin_edit"


def test_edit_reopens_the_modal_prefilled_until_the_period_closes(
    org, clock, sender, slack, requests
):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    requests.action("checkin_open", "2026-W48", user="U1")
    requests.submit(slack.of("views.open")[0].params["view"], answer_values(), user="U1")
    requests.action("checkin_edit", "2026-W48", user="U1")
    view = slack.of("views.open")[1].params["view"]
    moved = next(b for b in view["blocks"] if b.get("block_id") == "moved")
    assert moved["element"]["initial_value"] == "Shipped the <!channel> importer"
    energy = next(b for b in view["blocks"] if b.get("block_id") == "energy")
    assert energy["element"]["initial_option"]["value"] == "4"

    clock.set("2026-11-30T09:00:00+00:00")  # Monday 10:00 Berlin: the digest closes the week
    requests.action("checkin_edit", "2026-W48", user="U1")
    assert len(slack.of("views.open")) == 2
    assert "can no longer be edited" in slack.responses()[-1]["text"]


def test_an_over_long_answer_gets_an_inline_error_and_nothing_is_stored(
    org, clock, sender, slack, requests, engine
):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    requests.action("checkin_open", "2026-W48", user="U1")
    reply = requests.submit(
        slack.of("views.open")[0].params["view"], answer_values(blocked="x" * 2001), user="U1"
    )
    body = reply.json()
    assert body["response_action"] == "errors" and "2000 characters" in body["errors"]["blocked"]
    with Session(engine) as session:
        assert session.exec(select(Checkin)).all() == []
    assert slack.of("chat.update") == []


def test_skip_stores_a_skip_and_cancels_the_reminder(org, clock, sender, slack, requests, engine):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    requests.action("checkin_skip", "2026-W48", user="U1")
    with Session(engine) as session:
        assert (
            session.exec(select(Checkin.status).where(Checkin.user_id == "U1")).one() == "skipped"
        )
    assert "Skipped 2026-W48" in slack.of("chat.update")[0].params["blocks"][0]["text"]["text"]
    clock.set("2026-11-27T17:00:00+00:00")
    sender.drain()
    assert len(nudges_to(slack, "U1")) == 1


def test_checkin_command_opens_the_current_modal_or_says_when_the_next_opens(
    org, clock, slack, requests
):
    clock.set("2026-11-25T10:00:00+00:00")  # Wednesday: nothing open
    requests.command("/checkin", user="U1")
    assert slack.of("views.open") == []
    assert "next one opens" in slack.responses()[-1]["text"]
    clock.set("2026-11-27T15:00:00+00:00")
    requests.command("/checkin", user="U1")
    closes = datetime(2026, 11, 30, 9, tzinfo=UTC)  # Monday 10:00 in Berlin, the digest time
    assert slack.of("views.open")[0].params["view"]["private_metadata"] == json.dumps(
        {"period": "2026-W48", "late": False, "until": int(closes.timestamp())}
    )


def test_a_person_in_no_team_gets_a_kind_explanation(org, clock, slack, requests):
    requests.command("/checkin", user="UNOBODY")
    assert slack.of("views.open") == []
    assert "not in any team" in slack.responses()[-1]["text"]


def test_late_answer_after_close_is_stored_as_late_and_edit_locks(
    org, clock, sender, slack, requests, engine
):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    clock.set("2026-12-01T10:00:00+00:00")  # Tuesday after the close, before the next nudge
    requests.action("checkin_open", "2026-W48", user="U1")
    view = slack.of("views.open")[0].params["view"]
    assert json.loads(view["private_metadata"])["late"] is True
    requests.submit(view, answer_values(), user="U1")
    with Session(engine) as session:
        row = session.exec(select(Checkin).where(Checkin.user_id == "U1")).one()
    assert row.late is True
    assert slack.of("chat.update")[0].params["blocks"][1:] == []  # no Edit after the close
    clock.set("2026-12-04T13:00:00+00:00")  # the next nudge: the old week is gone
    requests.action("checkin_open", "2026-W48", user="U1")
    assert len(slack.of("views.open")) == 1


def test_user_text_is_stored_raw_and_the_outbox_records_slack_ts(org, clock, sender, engine):
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    with Session(engine) as session:
        row = session.exec(
            select(Delivery).where(
                Delivery.subject == "U1", Delivery.kind == "nudge", Delivery.period == "2026-W48"
            )
        ).one()
    assert row.status == "sent" and row.ts == "1700000000.000001" and row.posted_channel == "D1"
