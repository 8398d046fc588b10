"""The outbox: outages, concurrent senders, leases, Slack errors, reminders, snoozes, pauses."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot import logs
from bot.checkin import rules as checkins
from bot.outbox import sender as sender_module
from bot.outbox.jobs import build_scheduler
from bot.outbox.sender import HEARTBEAT, LEASE, Sender
from handlers import inbox_handlers
from storage import queries
from storage.engine import make_engine
from storage.models import Checkin, Delivery, Person
from tests.conftest import TEAM, seed_org
from tests.slackreq import select_value, text_values

ORG = {
    "timezone": "Europe/Berlin",
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2"]}],
}
PEOPLE = [
    {"user_id": "UMGR", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "U1", "real_name": "Ana", "tz": "Europe/Berlin"},
    {"user_id": "U2", "real_name": "Ben", "tz": "America/New_York"},
]
# Week 2026-W48: the nudge is due Fri Nov 27 14:00 Berlin (13:00 UTC) and the period closes
# Mon Nov 30 10:00 Berlin (09:00 UTC).
THURSDAY = "2026-11-26T12:00:00+00:00"
NUDGE_W48 = "2026-11-27T13:00:00+00:00"
CLOSE_W48 = "2026-11-30T09:00:00+00:00"


def plan(engine, clock, when: str, config=ORG, people=PEOPLE) -> None:
    seed_org(engine, config, people)
    clock.set(when)
    with Session(engine) as session:
        checkins.replan(session, TEAM, [p["user_id"] for p in people], clock())
        session.commit()


@pytest.fixture
def org(engine, clock):
    plan(engine, clock, THURSDAY)


def is_checkin(call) -> bool:
    """A check-in nudge or reminder (its buttons sit in a block named after the week)."""
    return str(call.params["blocks"][-1].get("block_id", "")).startswith("checkin:")


def posts_to(slack, user: str) -> list:
    """The check-in DMs (nudges and reminders) Slack received for `user`, in order."""
    posts = slack.of("chat.postMessage")
    return [c for c in posts if c.params["channel"] == user and is_checkin(c)]


def is_reminder(call) -> bool:
    return "still open" in call.params["text"]


def deliveries(engine, **where) -> list[Delivery]:
    with Session(engine) as session:
        statement = select(Delivery).order_by(Delivery.id)
        for name, value in where.items():
            statement = statement.where(getattr(Delivery, name) == value)
        return list(session.exec(statement))


def one(engine, **where) -> Delivery:
    [row] = deliveries(engine, **where)
    return row


def nudge_ts(slack, user: str) -> str:
    """The ts our fake Slack gave the first message to `user` (it numbers every post)."""
    index = slack.of("chat.postMessage").index(posts_to(slack, user)[0])
    return f"1700000000.{index + 1:06d}"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- outages --------------------------------------------------------------------------

MIDWEEK = {
    **ORG,
    "schedule": {
        "checkin": {"day": "mon", "time": "10:00"},
        "digest": {"day": "fri", "time": "16:00"},
    },
}


def test_after_a_three_day_outage_inside_an_open_period_the_nudge_is_sent_once(
    engine, clock, sender, slack
):
    plan(engine, clock, "2026-11-23T08:00:00+00:00", config=MIDWEEK)  # Mon, before 10:00 Berlin
    clock.set("2026-11-26T09:00:00+00:00")  # back on Thu 10:00 Berlin; opened Mon 10:00
    sender.drain()
    sender.drain()
    [nudge] = posts_to(slack, "U1")
    assert "2026-W48" in nudge.params["text"] and not is_reminder(nudge)
    sent = one(engine, subject="U1", kind="nudge", period="2026-W48")
    reminder = one(engine, subject="U1", kind="reminder", period="2026-W48")
    assert sent.status == "sent" and sent.ts == nudge_ts(slack, "U1")
    assert reminder.status == "pending" and reminder.due_at == clock() + timedelta(hours=4)

    clock.set("2026-11-26T12:59:00+00:00")
    sender.drain()
    assert len(posts_to(slack, "U1")) == 1
    clock.set("2026-11-26T13:00:00+00:00")
    sender.drain()
    assert [is_reminder(c) for c in posts_to(slack, "U1")] == [False, True]


def test_after_an_outage_over_a_weekend_the_reminder_waits_for_monday_not_the_same_moment(
    engine, clock, sender, slack
):
    plan(engine, clock, "2026-11-25T12:00:00+00:00")  # last seen on Wednesday
    clock.set("2026-11-28T12:00:00+00:00")  # back Saturday: W48 opened Friday, still open
    sender.drain()
    [nudge] = posts_to(slack, "U1")
    assert not is_reminder(nudge)
    reminder = one(engine, subject="U1", kind="reminder", period="2026-W48")
    assert reminder.due_at == utc("2026-11-30T08:00:00+00:00")  # Mon 09:00 Berlin
    assert reminder.due_at > clock()  # the nudge went out now; the reminder is not due yet
    sender.drain()
    assert len(posts_to(slack, "U1")) == 1


def test_periods_that_closed_during_an_outage_are_never_sent(org, engine, clock, sender, slack):
    clock.set("2026-12-07T12:00:00+00:00")  # back Monday after W48 and W49 closed
    sender.drain()
    # No check-in at all; only the manager's W49 digest, due this morning, still goes.
    [digest] = slack.of("chat.postMessage")
    assert digest.params["channel"] == "UMGR" and "2026-W49" in digest.params["text"]
    for label in ("2026-W48", "2026-W49"):
        for user in ("UMGR", "U1", "U2"):
            assert one(engine, subject=user, kind="nudge", period=label).status == "expired"
    assert deliveries(engine, kind="reminder") == []

    clock.set("2026-12-11T13:00:00+00:00")  # Fri 14:00 Berlin
    sender.drain()
    [nudge] = posts_to(slack, "U1")
    assert "2026-W50" in nudge.params["text"]
    assert one(engine, subject="U1", kind="nudge", period="2026-W50").status == "sent"


# --- concurrency and leases -----------------------------------------------------------


def test_two_senders_on_one_database_send_each_of_sixty_nudges_exactly_once(
    engine, database_url, clock, app, slack
):
    members = [f"U{n:03d}" for n in range(59)]
    config = {
        "timezone": "Europe/Berlin",
        "teams": [{"key": "big", "name": "Big", "manager": "UMGR", "members": members}],
    }
    people = [{"user_id": u, "tz": "Europe/Berlin"} for u in ["UMGR", *members]]
    plan(engine, clock, THURSDAY, config=config, people=people)
    clock.set(NUDGE_W48)
    other_engine = make_engine(database_url)  # a second process has its own engine
    senders = [Sender(e, lambda _w: app.client, clock, batch=7) for e in (engine, other_engine)]
    start = threading.Barrier(2)
    failures: list[BaseException] = []
    handled: list[tuple[int, int]] = []

    def nothing_due() -> bool:
        return not any(row.due_at <= clock() for row in deliveries(engine, status="pending"))

    def drain(sender: Sender) -> None:
        # Each sender is woken again until nothing is due, as the scheduler's ticks would:
        # a drain ends early when the other sender claimed the rows it had picked.
        start.wait()
        try:
            while not nothing_due():
                handled.append((senders.index(sender), sender.drain()))
        except BaseException as error:  # noqa: BLE001 - re-raised in the test thread
            failures.append(error)

    threads = [threading.Thread(target=drain, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    other_engine.dispose()
    assert failures == []
    by_sender = [sum(n for i, n in handled if i == index) for index in (0, 1)]
    assert min(by_sender) > 0, by_sender  # both senders took part

    posted = [c.params["channel"] for c in slack.of("chat.postMessage") if is_checkin(c)]
    assert sorted(posted) == sorted(p["user_id"] for p in people)
    nudges = deliveries(engine, kind="nudge", period="2026-W48")
    assert len(nudges) == 60
    assert all(row.status == "sent" and row.attempts == 1 and row.ts for row in nudges)
    assert len({row.ts for row in nudges}) == 60
    assert len(deliveries(engine, kind="reminder", period="2026-W48")) == 60


def test_a_claim_left_sending_by_a_dead_process_is_taken_over_after_its_lease(
    org, engine, clock, sender, slack
):
    clock.set(NUDGE_W48)
    with Session(engine) as session:  # a process claims the due rows, then dies
        claimed = queries.claim_due(
            session=session, now=clock(), lease=LEASE, limit=10, claimer="dead"
        )
    assert {row.subject for row in claimed} == {"UMGR", "U1"}
    sender.drain()
    assert slack.of("chat.postMessage") == []
    assert one(engine, subject="U1", kind="nudge", period="2026-W48").status == "sending"

    clock.now += LEASE - timedelta(seconds=1)
    sender.drain()
    assert slack.of("chat.postMessage") == []

    clock.now += timedelta(seconds=1)
    sender.drain()
    nudged = sorted(c.params["channel"] for c in slack.of("chat.postMessage") if is_checkin(c))
    assert nudged == ["U1", "UMGR"]
    row = one(engine, subject="U1", kind="nudge", period="2026-W48")
    assert row.status == "sent" and row.attempts == 2 and row.ts
    assert row.claim is None and row.lease_until is None


def test_a_live_senders_heartbeat_keeps_its_claims_from_being_taken_over(
    org, engine, clock, app, slack
):
    clock.set(NUDGE_W48)
    slow, other = (Sender(engine, lambda _w: app.client, clock) for _ in range(2))
    with Session(engine) as session:  # `slow` claims both rows, then waits on Slack's limits
        claimed = queries.claim_due(
            session=session, now=clock(), lease=LEASE, limit=10, claimer=slow.claimer
        )
    assert len(claimed) == 2
    slow._track({row.id for row in claimed if row.id})  # working through them, as run_once is
    for _ in range(6):  # two whole leases pass, with a heartbeat every third of one
        clock.now += LEASE / 3
        assert slow.renew() == 2
        assert other.drain() == 0
    assert slack.of("chat.postMessage") == []
    for row in claimed:
        assert slow._hold(row)
        slow._handle(row, clock())
    assert sorted(c.params["channel"] for c in posts_of(slack)) == ["U1", "UMGR"]
    assert slow.renew() == 0  # nothing is held once sent


def test_a_sender_stalled_past_its_lease_leaves_the_row_to_the_one_that_took_it_over(
    org, engine, clock, app, slack
):
    clock.set(NUDGE_W48)
    stalled, other = (Sender(engine, lambda _w: app.client, clock) for _ in range(2))
    with Session(engine) as session:
        claimed = queries.claim_due(
            session=session, now=clock(), lease=LEASE, limit=10, claimer=stalled.claimer
        )
    clock.now += LEASE  # no heartbeat came (the process was frozen): the lease ran out
    assert other.drain() == 2
    assert [stalled._hold(row) for row in claimed] == [False, False]  # it wakes: not its rows
    assert sorted(c.params["channel"] for c in posts_of(slack)) == ["U1", "UMGR"]
    row = one(engine, subject="U1", kind="nudge", period="2026-W48")
    assert row.status == "sent" and row.attempts == 2


def test_a_row_that_breaks_is_retried_later_and_never_holds_up_the_rest(
    org, engine, clock, sender, slack, monkeypatch
):
    clock.set(NUDGE_W48)
    working = sender_module.compose

    def broken(session, row, now):
        if row.subject == "UMGR":
            raise RuntimeError("a bug in composing")
        return working(session, row, now)

    monkeypatch.setattr(sender_module, "compose", broken)
    sender.drain()
    assert [c.params["channel"] for c in posts_of(slack)] == ["U1"]
    row = one(engine, subject="UMGR", kind="nudge", period="2026-W48")
    assert row.status == "pending" and row.last_error == "error: RuntimeError"
    assert row.claim is None and sender.renew() == 0  # no lease is kept alive for it

    monkeypatch.setattr(sender_module, "compose", working)
    clock.now = row.due_at  # its backoff
    sender.drain()
    assert sorted(c.params["channel"] for c in posts_of(slack)) == ["U1", "UMGR"]


def posts_of(slack) -> list:
    return [c for c in slack.of("chat.postMessage") if is_checkin(c)]


# --- Slack errors ---------------------------------------------------------------------


def test_a_server_error_from_slack_backs_off_and_the_row_is_sent_on_a_later_drain(
    org, engine, clock, sender, slack
):
    def fail_once(params):
        del slack.on["chat.postMessage"]  # the next call gets Slack's normal answer
        return {"ok": False, "error": "internal_error", "_status": 500}

    slack.on["chat.postMessage"] = fail_once
    clock.set("2026-11-27T13:00:00+00:00")
    with Session(engine) as session:  # only U1 is due at first: push the manager's back
        manager = queries.get_delivery(
            session=session, workspace_id=TEAM, subject="UMGR", kind="nudge", period="2026-W48"
        )
        manager.due_at = utc("2026-11-27T18:00:00+00:00")
        session.add(manager)
        session.commit()
    sender.drain()
    row = one(engine, subject="U1", kind="nudge", period="2026-W48")
    assert row.status == "pending" and row.last_error == "internal_error"
    wait = row.due_at - clock()  # a minute, spread by ± 20 % (bot/outbox/sender.py JITTER)
    assert timedelta(seconds=48) <= wait <= timedelta(seconds=72)
    assert len(posts_to(slack, "U1")) == 1

    sender.drain()  # not yet due again
    assert len(posts_to(slack, "U1")) == 1

    clock.now = row.due_at
    sender.drain()
    assert len(posts_to(slack, "U1")) == 2
    row = one(engine, subject="U1", kind="nudge", period="2026-W48")
    assert row.status == "sent" and row.ts and row.attempts == 2 and row.last_error is None


def test_a_permanent_slack_error_marks_the_row_failed_with_the_reason(
    org, engine, clock, sender, slack
):
    slack.on["chat.postMessage"] = lambda params: {"ok": False, "error": "account_inactive"}
    clock.set(NUDGE_W48)
    sender.drain()
    row = one(engine, subject="U1", kind="nudge", period="2026-W48")
    assert row.status == "failed" and row.last_error == "account_inactive" and row.ts is None
    assert deliveries(engine, subject="U1", kind="reminder") == []
    calls = len(posts_to(slack, "U1"))

    clock.now += timedelta(hours=1)
    sender.drain()
    assert len(posts_to(slack, "U1")) == calls == 1  # never retried


def test_an_unsent_nudge_is_never_sent_after_its_period_closes(org, engine, clock, sender, slack):
    clock.set(CLOSE_W48)
    sender.drain()
    assert posts_to(slack, "U1") == []
    assert one(engine, subject="U1", kind="nudge", period="2026-W48").status == "expired"


def test_a_row_still_failing_when_its_period_closes_is_failed_not_retried(
    org, engine, clock, sender, slack
):
    slack.on["chat.postMessage"] = lambda params: {
        "ok": False,
        "error": "fatal_error",
        "_status": 500,
    }
    clock.set("2026-11-30T08:59:30+00:00")  # half a minute before the close: no room to retry
    with Session(engine) as session:
        row = queries.get_delivery(
            session=session, workspace_id=TEAM, subject="U1", kind="nudge", period="2026-W48"
        )
        row.due_at = clock()
        session.add(row)
        session.commit()
    sender.drain()
    row = one(engine, subject="U1", kind="nudge", period="2026-W48")
    assert row.status == "failed" and row.last_error == "fatal_error"
    del slack.on["chat.postMessage"]
    clock.set("2026-11-30T10:00:00+00:00")
    sender.drain()
    assert len(posts_to(slack, "U1")) == 1


# --- reminders ------------------------------------------------------------------------

WEDNESDAY = {**ORG, "schedule": {"checkin": {"day": "wed", "time": "10:00"}}}


def test_one_reminder_arrives_four_hours_after_the_nudge(engine, clock, sender, slack):
    plan(engine, clock, "2026-11-24T12:00:00+00:00", config=WEDNESDAY)
    clock.set("2026-11-25T09:00:00+00:00")  # Wed 10:00 Berlin
    sender.drain()
    assert len(posts_to(slack, "U1")) == 1
    clock.set("2026-11-25T12:59:00+00:00")
    sender.drain()
    assert len(posts_to(slack, "U1")) == 1
    clock.set("2026-11-25T13:00:00+00:00")  # Wed 14:00 Berlin
    sender.drain()
    nudge, reminder = posts_to(slack, "U1")
    assert is_reminder(reminder) and "2026-W48" in reminder.params["text"]
    assert reminder.params["blocks"][-1]["elements"][0]["action_id"] == "checkin_open"
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    assert len(posts_to(slack, "U1")) == 2  # one reminder only
    assert one(engine, subject="U1", kind="reminder").status == "sent"


def test_a_reminder_that_would_land_after_hours_waits_until_monday_nine_local(
    org, engine, clock, sender, slack
):
    clock.set(NUDGE_W48)  # Fri 14:00 Berlin; +4h would be 18:00
    sender.drain()
    reminder = one(engine, subject="U1", kind="reminder", period="2026-W48")
    assert reminder.due_at == utc("2026-11-30T08:00:00+00:00")  # Mon 09:00 Berlin
    for when in (
        "2026-11-27T17:00:00+00:00",
        "2026-11-29T12:00:00+00:00",
        "2026-11-30T07:59:00+00:00",
    ):
        clock.set(when)
        sender.drain()
        assert len(posts_to(slack, "U1")) == 1
    clock.set("2026-11-30T08:00:00+00:00")
    sender.drain()
    assert is_reminder(posts_to(slack, "U1")[-1])


def test_no_reminder_is_planned_when_the_next_working_morning_is_after_the_close(
    org, engine, clock, sender, slack
):
    clock.set("2026-11-27T19:00:00+00:00")  # Fri 14:00 in New York
    sender.drain()
    assert len(posts_to(slack, "U2")) == 1
    # Monday 09:00 in New York is 14:00 UTC, after the Monday 10:00 Berlin close.
    assert deliveries(engine, subject="U2", kind="reminder") == []


def test_no_reminder_is_sent_after_skip(org, engine, clock, sender, slack, requests):
    clock.set(NUDGE_W48)
    sender.drain()
    requests.action("checkin_skip", "2026-W48", user="U1")
    assert one(engine, subject="U1", kind="reminder").status == "cancelled"
    clock.set("2026-11-30T08:00:00+00:00")
    sender.drain()
    assert len(posts_to(slack, "U1")) == 1


def test_no_reminder_is_sent_after_answering(org, engine, clock, sender, slack, requests):
    clock.set(NUDGE_W48)
    sender.drain()
    requests.action("checkin_open", "2026-W48", user="U1")
    view = slack.of("views.open")[0].params["view"]
    values = {**text_values(moved="Shipped it"), **select_value("energy", "4")}
    assert requests.submit(view, values, user="U1").status == 200
    with Session(engine) as session:
        assert (
            session.exec(select(Checkin.status).where(Checkin.user_id == "U1")).one() == "answered"
        )
    assert one(engine, subject="U1", kind="reminder").status == "cancelled"
    clock.set("2026-11-30T08:00:00+00:00")
    sender.drain()
    assert len(posts_to(slack, "U1")) == 1


def test_no_reminder_is_sent_after_the_period_closed(org, engine, clock, sender, slack):
    clock.set(NUDGE_W48)
    sender.drain()
    clock.set(CLOSE_W48)  # the sender was down through Monday 09:00 Berlin
    sender.drain()
    assert len(posts_to(slack, "U1")) == 1
    assert one(engine, subject="U1", kind="reminder").status == "expired"


def test_remind_me_later_replaces_the_reminder_at_most_twice(
    org, engine, clock, sender, slack, requests
):
    clock.set(NUDGE_W48)
    sender.drain()
    clock.set("2026-11-27T13:30:00+00:00")  # Fri 14:30 Berlin
    requests.action("checkin_later", "2026-W48", user="U1")
    assert "remind you around" in slack.responses()[-1]["text"]
    assert one(engine, subject="U1", kind="reminder").status == "cancelled"
    first = one(engine, subject="U1", kind="snooze-1")
    assert first.status == "pending" and first.due_at == utc("2026-11-27T15:30:00+00:00")

    clock.set("2026-11-27T15:30:00+00:00")  # Fri 16:30 Berlin
    sender.drain()
    assert [is_reminder(c) for c in posts_to(slack, "U1")] == [False, True]

    clock.set("2026-11-27T15:45:00+00:00")  # +2h is 18:45, after hours: Monday 09:00
    requests.action("checkin_later", "2026-W48", user="U1")
    second = one(engine, subject="U1", kind="snooze-2")
    assert second.status == "pending" and second.due_at == utc("2026-11-30T08:00:00+00:00")

    before = [(row.id, row.kind, row.status, row.due_at) for row in deliveries(engine)]
    requests.action("checkin_later", "2026-W48", user="U1")
    reply = slack.responses()[-1]
    assert reply["response_type"] == "ephemeral" and "snoozed twice" in reply["text"]
    after = [(row.id, row.kind, row.status, row.due_at) for row in deliveries(engine)]
    assert after == before  # the third click creates and cancels nothing

    clock.set("2026-11-30T08:00:00+00:00")
    sender.drain()
    assert [is_reminder(c) for c in posts_to(slack, "U1")] == [False, True, True]


# --- who is never nudged --------------------------------------------------------------


def test_deactivated_people_bots_and_slackbot_are_never_nudged(engine, clock, sender, slack):
    config = {
        "timezone": "Europe/Berlin",
        "teams": [
            {
                "key": "t",
                "name": "T",
                "manager": "UMGR",
                "members": ["U1", "UGONE", "UBOT", "USLACKBOT"],
            }
        ],
    }
    people = [
        {"user_id": "UMGR", "tz": "Europe/Berlin"},
        {"user_id": "U1", "tz": "Europe/Berlin"},
        {"user_id": "UGONE", "tz": "Europe/Berlin", "deleted": True},
        {"user_id": "UBOT", "tz": "Europe/Berlin", "is_bot": True},
        {"user_id": "USLACKBOT", "tz": "Europe/Berlin"},
    ]
    plan(engine, clock, THURSDAY, config=config, people=people)
    for when in (NUDGE_W48, "2026-11-30T08:00:00+00:00", "2026-12-04T13:00:00+00:00"):
        clock.set(when)
        sender.drain()
    posted = {c.params["channel"] for c in slack.of("chat.postMessage")}
    assert posted == {"UMGR", "U1"}
    for user in ("UGONE", "UBOT", "USLACKBOT"):
        rows = deliveries(engine, subject=user, kind="nudge")
        assert {row.period for row in rows if row.status == "cancelled"} == {"2026-W48", "2026-W49"}
        assert all(row.status in ("cancelled", "pending") and row.ts is None for row in rows)


def test_a_paused_person_is_not_nudged_and_after_resume_the_next_nudge_arrives(
    org, engine, clock, sender, slack, requests
):
    clock.set("2026-11-25T12:00:00+00:00")  # Wednesday
    requests.command("/leadership", "pause 2w", user="U1")
    assert "Paused until" in slack.responses()[-1]["text"]
    with Session(engine) as session:
        person = queries.get_person(session=session, workspace_id=TEAM, user_id="U1")
        assert person.paused_until == utc("2026-12-09T12:00:00+00:00")

    clock.set(NUDGE_W48)
    sender.drain()
    assert posts_to(slack, "U1") == [] and len(posts_to(slack, "UMGR")) == 1
    assert one(engine, subject="U1", kind="nudge", period="2026-W48").status == "cancelled"

    clock.set("2026-11-30T10:00:00+00:00")
    requests.command("/leadership", "resume", user="U1")
    assert "Welcome back" in slack.responses()[-1]["text"]
    with Session(engine) as session:
        assert session.exec(select(Person.paused_until).where(Person.user_id == "U1")).one() is None

    clock.set("2026-12-04T13:00:00+00:00")
    sender.drain()
    [nudge] = posts_to(slack, "U1")
    assert "2026-W49" in nudge.params["text"]


def test_a_two_week_pause_skips_two_checkins_and_the_third_arrives(
    org, engine, clock, sender, slack, requests
):
    clock.set("2026-11-25T12:00:00+00:00")
    requests.command("/leadership", "pause 2w", user="U1")
    for when in (NUDGE_W48, "2026-12-04T13:00:00+00:00", "2026-12-11T13:00:00+00:00"):
        clock.set(when)
        sender.drain()
    assert [c.params["text"] for c in posts_to(slack, "U1")] == [
        "Time for your weekly check-in (2026-W50)."
    ]
    statuses = {row.period: row.status for row in deliveries(engine, subject="U1", kind="nudge")}
    assert statuses["2026-W48"] == statuses["2026-W49"] == "cancelled"
    assert statuses["2026-W50"] == "sent"


def test_a_reminder_is_not_sent_to_someone_who_paused_after_the_nudge(
    org, engine, clock, sender, slack, requests
):
    clock.set(NUDGE_W48)
    sender.drain()
    clock.set("2026-11-27T16:00:00+00:00")
    requests.command("/leadership", "pause 3d", user="U1")
    clock.set("2026-11-30T08:00:00+00:00")
    sender.drain()
    assert len(posts_to(slack, "U1")) == 1
    assert one(engine, subject="U1", kind="reminder").status == "cancelled"


# --- send times, snoozes near the close ---------------------------------------------


def test_the_outbox_records_the_send_time_from_the_senders_clock(org, engine, clock, sender):
    clock.set(NUDGE_W48)
    sender.drain()
    assert one(engine, subject="U1", kind="nudge", period="2026-W48").sent_at == clock()


def test_snoozing_past_the_close_does_not_promise_a_reminder_that_never_comes(
    org, engine, clock, sender, slack, requests
):
    clock.set(NUDGE_W48)
    sender.drain()
    clock.set("2026-11-30T07:30:00+00:00")  # Mon 08:30 Berlin; +2h is after the 10:00 close
    requests.action("checkin_later", "2026-W48", user="U1")
    reply = slack.responses()[-1]["text"]
    reminders = (checkins.REMINDER, *checkins.SNOOZES)
    waiting = [r for r in deliveries(engine, subject="U1", status="pending") if r.kind in reminders]
    assert ("remind you around" in reply) == bool(waiting)


def test_a_managers_snooze_never_takes_their_digest_for_a_reminder(
    org, engine, clock, sender, slack, requests
):
    clock.set(NUDGE_W48)
    sender.drain()
    clock.set("2026-11-30T08:05:00+00:00")  # Mon 09:05 Berlin: the reminder has gone out
    sender.drain()
    requests.action("checkin_later", "2026-W48", user="UMGR")  # +2h is after the 10:00 close
    assert one(engine, subject="UMGR", kind="digest", period="2026-W48").status == "pending"
    assert "remind you around" not in slack.responses()[-1]["text"]


def test_the_heartbeat_runs_every_third_of_a_lease(deps, sender, app):
    scheduler = build_scheduler(deps, sender, lambda _workspace: app.client, inbox_handlers())
    job = scheduler.get_job("leases")
    assert job is not None and job.trigger.interval == HEARTBEAT == LEASE / 3


@pytest.mark.parametrize(("level", "runs"), [("INFO", logging.WARNING), ("DEBUG", logging.DEBUG)])
def test_the_schedulers_own_lines_per_run_are_quiet_unless_debugging(monkeypatch, level, runs):
    root, scheduler = logging.getLogger(), logging.getLogger("apscheduler.executors.default")
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setattr(scheduler, "level", scheduler.level)
    logs.setup_logging(level)
    assert scheduler.level == runs  # the inbox job runs every second
