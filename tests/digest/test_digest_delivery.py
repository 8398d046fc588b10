"""Digest delivery: exactly once through the outbox, Reply privately, preview, leadership."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.outbox.sender import Sender
from storage.models import Checkin, Delivery
from tests.conftest import TEAM, seed_org

MEMBERS = ["U1", "U2", "U3", "U4", "U5"]
ORG = {
    "timezone": "Europe/Berlin",
    "leaders": ["UCEO"],
    "leadership_channel": "C0LEADERS",
    "objectives": [{"key": "eu-launch", "title": "Launch in the EU"}],
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": MEMBERS}],
}
PEOPLE = [
    {"user_id": u, "real_name": f"Person {u}", "tz": "Europe/Berlin"}
    for u in ["UMGR", "UCEO", *MEMBERS]
]


@pytest.fixture
def org(engine, clock):
    seed_org(engine, ORG, PEOPLE)
    clock.set("2026-11-26T12:00:00+00:00")  # Thursday
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["UMGR", *MEMBERS], clock())
        session.commit()
    return engine


def digests_to(slack, channel):
    return [
        c
        for c in slack.of("chat.postMessage")
        if c.params["channel"] == channel and "leadership" in (c.params.get("text") or "").lower()
    ]


def checked_in(engine, user_id="U1", text="Shipped it"):
    with Session(engine) as session:
        session.add(
            Checkin(
                workspace_id=TEAM,
                user_id=user_id,
                period="2026-W48",
                team_key="platform",
                manager_id="UMGR",
                status="answered",
                moved=text,
                energy=4,
            )
        )
        session.commit()


def test_each_manager_gets_one_digest_even_after_a_restart_and_with_two_senders(
    org, clock, app, slack
):
    checked_in(org)
    clock.set("2026-11-30T09:00:00+00:00")  # Monday 10:00 Berlin
    senders = [Sender(org, lambda _w: app.client, clock) for _ in range(2)]
    threads = [threading.Thread(target=s.drain) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    Sender(org, lambda _w: app.client, clock).drain()  # a restart sends nothing more
    [digest] = digests_to(slack, "UMGR")
    assert "Shipped it" in json.dumps(digest.params["blocks"])
    with Session(org) as session:
        row = session.exec(
            select(Delivery).where(Delivery.kind == "digest", Delivery.period == "2026-W48")
        ).one()
        following = session.exec(
            select(Delivery).where(Delivery.kind == "digest", Delivery.period == "2026-W49")
        ).one()
    assert row.status == "sent" and row.ts and following.status == "pending"


def test_after_an_outage_the_digest_goes_once_if_still_within_the_next_period(
    org, clock, app, slack
):
    clock.set("2026-12-03T12:00:00+00:00")  # Thursday: three days late, before the next digest
    Sender(org, lambda _w: app.client, clock).drain()
    assert len(digests_to(slack, "UMGR")) == 1
    clock.set("2026-12-21T12:00:00+00:00")  # down past W49's week and W50's digest time
    Sender(org, lambda _w: app.client, clock).drain()
    with Session(org) as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == "digest"))
        statuses = {r.period: r.status for r in rows}
    # W49's digest expired unsent; W51's (due this morning) goes once; W52's waits.
    assert statuses == {
        "2026-W48": "sent",
        "2026-W49": "expired",
        "2026-W51": "sent",
        "2026-W52": "pending",
    }
    assert len(digests_to(slack, "UMGR")) == 2


def test_reply_privately_reaches_the_person_by_dm_from_leadbot(org, clock, app, slack, requests):
    checked_in(org, text="Stuck on <@U2>'s review")
    clock.set("2026-11-30T09:00:00+00:00")
    Sender(org, lambda _w: app.client, clock).drain()
    blocks = digests_to(slack, "UMGR")[0].params["blocks"]
    [ref] = [
        b["accessory"]["value"]
        for b in blocks
        if b.get("accessory", {}).get("action_id") == "digest_reply"
    ]
    requests.action("digest_reply", ref, user="U3")  # not the manager
    assert "Only the manager" in json.dumps(slack.of("views.open")[-1].params["view"])
    requests.action("digest_reply", ref, user="UMGR")
    view = slack.of("views.open")[-1].params["view"]
    assert view["callback_id"] == "digest_reply_modal"
    values = {"reply": {"value": {"type": "plain_text_input", "value": "Let's unblock it <!here>"}}}
    assert requests.submit(view, values, user="UMGR").status == 200
    [dm] = [
        c
        for c in slack.of("chat.postMessage")
        if c.params["channel"] == "U1" and "replied" in c.params["text"]
    ]
    assert "Let's unblock it &lt;!here&gt;" in dm.params["text"]
    assert "Stuck on &lt;@U2&gt;'s review" in dm.params["text"]


def test_leadership_digest_command_sends_the_week_so_far_and_marks_nothing_sent(
    org, clock, slack, requests
):
    checked_in(org)
    clock.set("2026-11-28T10:00:00+00:00")
    with Session(org) as session:
        before = [(r.id, r.status) for r in session.exec(select(Delivery))]
    requests.command("/leadership", "digest", user="UMGR")
    [preview] = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "UMGR"]
    text = json.dumps(preview.params["blocks"])
    assert "Shipped it" in text and "Preview of the week so far" in text
    assert "Energy" not in text and "Concerns" not in text
    with Session(org) as session:
        assert [(r.id, r.status) for r in session.exec(select(Delivery))] == before
    requests.command("/leadership", "digest", user="U1")
    assert "Only managers get a digest" in slack.responses()[-1]["text"]


def test_the_leadership_digest_goes_to_the_channel_with_team_figures(org, clock, app, slack):
    clock.set("2026-11-27T13:00:00+00:00")  # Friday 14:00 Berlin: the nudges go out
    Sender(org, lambda _w: app.client, clock).drain()
    checked_in(org)
    clock.set("2026-11-30T09:00:00+00:00")
    Sender(org, lambda _w: app.client, clock).drain()
    [post] = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "C0LEADERS"]
    text = json.dumps(post.params["blocks"])
    assert "*Platform*: 1 of 5 checked in" in text
    assert "Launch in the EU" in text and "Shipped it" not in text


def test_the_leadership_digest_falls_back_to_leaders_dms_with_a_warning(
    org, clock, app, slack, caplog
):
    def refuse(params):
        if params["channel"] == "C0LEADERS":
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": "D" + params["channel"], "ts": "1.2"}

    slack.on["chat.postMessage"] = refuse
    clock.set("2026-11-30T09:00:00+00:00")
    with caplog.at_level(logging.WARNING):
        Sender(org, lambda _w: app.client, clock).drain()
    assert [c for c in slack.of("chat.postMessage") if c.params["channel"] == "UCEO"]
    assert any("by DM" in record.getMessage() for record in caplog.records)
    with Session(org) as session:
        row = session.exec(select(Delivery).where(Delivery.kind == "leadership")).first()
    assert row.status == "sent"


def test_the_cli_prints_a_digest_as_text_or_block_kit_json(org, database_url, tmp_path):
    checked_in(org)
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url}
    run = [sys.executable, "-m", "bot", "digest", "--team", "platform", "--period", "2026-W48"]
    text = subprocess.run(run, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert text.returncode == 0, text.stderr
    assert "“Shipped it” — Person U1" in text.stdout
    as_json = subprocess.run(
        [*run, "--json"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    parts = json.loads(as_json.stdout)
    assert parts[0]["blocks"][0]["type"] == "header"
    bad = subprocess.run(
        [*run[:-1], "last week"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "2026-W49" in bad.stderr and bad.stdout == ""


def test_a_leader_slack_refuses_is_skipped_and_the_others_get_it_once(engine, clock, app, slack):
    org = {**ORG, "leaders": ["UCEO", "UGONE", "UCFO"], "leadership_channel": None}
    people = [
        *PEOPLE,
        *({"user_id": u, "real_name": u, "tz": "Europe/Berlin"} for u in ("UGONE", "UCFO")),
    ]
    seed_org(engine, org, people)
    clock.set("2026-11-26T12:00:00+00:00")
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["UMGR", *MEMBERS], clock())
        session.commit()

    def refuse(params):
        if params["channel"] == "UGONE":  # deactivated since the org was imported
            return {"ok": False, "error": "account_inactive"}
        return {"ok": True, "channel": "D" + params["channel"], "ts": "1.2"}

    slack.on["chat.postMessage"] = refuse
    clock.set("2026-11-30T09:00:00+00:00")
    sender = Sender(engine, lambda _w: app.client, clock)
    sender.drain()
    clock.now += timedelta(hours=2)  # any retry would have come by now
    sender.drain()
    for leader, copies in (("UCEO", 1), ("UCFO", 1), ("UGONE", 1)):  # UGONE: the one refusal
        assert len(digests_to(slack, leader)) == copies, leader
    with Session(engine) as session:
        row = session.exec(select(Delivery).where(Delivery.kind == "leadership")).first()
    assert row.status == "sent"
