"""Slack's limits and faults: the sender slows down and retries; listeners never retry a 429."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlmodel import Session, select

from bot.app import web_client
from bot.checkin import rules as checkins
from bot.cli import sender_client
from bot.outbox.pacer import PacedClient, PacedRateLimitRetry, Pacer, Rate
from bot.outbox.sender import Sender
from bot.views.kit import notice_modal
from storage.models import Delivery
from tests.conftest import TEAM, seed_org
from tests.fakeslack import trigger_id
from tests.outbox.test_pacer import FakeTime

ORG = {
    "timezone": "Europe/Berlin",
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2"]}],
}
PEOPLE = [
    {"user_id": "UMGR", "tz": "Europe/Berlin"},
    {"user_id": "U1", "tz": "Europe/Berlin"},
    {"user_id": "U2", "tz": "Europe/Berlin"},
]
THURSDAY = "2026-11-26T12:00:00+00:00"
NUDGE_W48 = "2026-11-27T13:00:00+00:00"  # Fri 14:00 Berlin
CLOSE_W48 = "2026-11-30T09:00:00+00:00"  # Mon 10:00 Berlin
MIDDLE = lambda: 0.5  # noqa: E731 - the middle of the retries' jitter: the plain backoff


@pytest.fixture
def org(engine, clock):
    seed_org(engine, ORG, PEOPLE)
    clock.set(THURSDAY)
    with Session(engine) as session:
        checkins.replan(session, TEAM, [p["user_id"] for p in PEOPLE], clock())
        session.commit()


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def pacer(time) -> Pacer:
    return Pacer(clock=time.clock, sleep=time.sleep, post_message=Rate(20, 10))


@pytest.fixture
def paced_sender(engine, clock, settings, pacer) -> Sender:
    client = sender_client(settings, pacer)
    return Sender(engine, lambda _workspace: client, clock, draw=MIDDLE)


def nudge(engine, user: str) -> Delivery:
    with Session(engine) as session:
        return session.exec(
            select(Delivery).where(
                Delivery.subject == user, Delivery.kind == "nudge", Delivery.period == "2026-W48"
            )
        ).one()


def posts_to(slack, user: str) -> list:
    return [c for c in slack.of("chat.postMessage") if c.params["channel"] == user]


def fail_first(slack, method: str, answer: dict) -> None:
    """Slack answers `method` once with `answer`, then as usual."""

    def once(_params: dict) -> dict:
        slack.on.pop(method)
        return dict(answer)

    slack.on[method] = once


def test_a_429_holds_the_sender_for_retry_after_and_the_message_is_still_sent_once(
    org, engine, clock, slack, paced_sender, pacer, time
):
    clock.set(NUDGE_W48)
    fail_first(
        slack,
        "chat.postMessage",
        {"ok": False, "error": "ratelimited", "_status": 429, "_headers": {"Retry-After": "7"}},
    )
    paced_sender.drain()
    first = slack.of("chat.postMessage")[0].params["channel"]
    assert len(posts_to(slack, first)) == 2  # refused once, accepted once
    assert {len(posts_to(slack, user)) for user in ("U1", "U2", "UMGR") if user != first} == {1}
    assert pacer.limited == 1 and 7 in time.sleeps  # every caller waited Retry-After
    row = nudge(engine, first)
    assert row.status == "sent" and row.ts and row.attempts == 1


def test_a_server_error_is_retried_by_slack_sdk_after_a_backoff_and_sent_once(
    org, engine, clock, slack, paced_sender, time
):
    clock.set(NUDGE_W48)
    fail_first(slack, "chat.postMessage", {"ok": False, "error": "fatal_error", "_status": 500})
    paced_sender.drain()
    assert len(slack.of("chat.postMessage")) == 4  # three people, one retried
    assert all(nudge(engine, user).status == "sent" for user in ("U1", "U2", "UMGR"))
    [backoff] = [s for s in time.sleeps if s >= 0.2]
    assert 0.25 <= backoff <= 0.375


def test_a_message_that_keeps_failing_backs_off_and_after_its_close_is_failed_with_the_reason(
    org, engine, clock, slack, paced_sender
):
    slack.on["chat.postMessage"] = lambda _p: {"ok": False, "error": "fatal_error", "_status": 500}
    start = clock.set("2026-11-30T08:30:00+00:00")  # half an hour before the close
    paced_sender.drain()
    row = nudge(engine, "U1")
    assert len(posts_to(slack, "U1")) == 3  # slack_sdk tried three times
    assert (row.status, row.last_error) == ("pending", "fatal_error")
    assert row.due_at == start + timedelta(minutes=1)

    waits = []
    while row.status == "pending":
        waits.append(row.due_at - clock())
        clock.set(row.due_at.isoformat())
        paced_sender.drain()
        row = nudge(engine, "U1")
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert (row.status, row.last_error, row.ts) == ("failed", "fatal_error", None)
    assert row.due_at < clock() + timedelta(minutes=16) and clock() < row.expires_at

    tried = len(posts_to(slack, "U1"))
    assert tried == 3 * 5
    slack.on.pop("chat.postMessage")
    clock.set(CLOSE_W48)
    paced_sender.drain()
    assert len(posts_to(slack, "U1")) == tried  # a failed row is never sent again


def test_a_failed_message_whose_period_closed_during_an_outage_is_failed_not_expired(
    org, engine, clock, slack, paced_sender
):
    slack.on["chat.postMessage"] = lambda _p: {"ok": False, "error": "fatal_error", "_status": 500}
    clock.set(NUDGE_W48)
    paced_sender.drain()
    assert nudge(engine, "U1").status == "pending"
    slack.on.pop("chat.postMessage")
    clock.set("2026-11-30T12:00:00+00:00")  # back after the close
    paced_sender.drain()
    row = nudge(engine, "U1")
    assert (row.status, row.last_error) == ("failed", "fatal_error")
    assert len(posts_to(slack, "U1")) == 3


def test_connection_errors_are_retried_then_the_message_waits_with_backoff(
    org, engine, clock, settings, time
):
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    dead = sender_client(
        type(settings)(
            bot_token="xoxb-x", signing_secret="s", slack_api_url="http://127.0.0.1:9/api/"
        ),
        pacer,
    )
    clock.set(NUDGE_W48)
    Sender(engine, lambda _workspace: dead, clock, draw=MIDDLE).drain()
    row = nudge(engine, "U1")
    assert (row.status, row.last_error) == ("pending", "connection: URLError")
    assert row.due_at == clock() + timedelta(minutes=1)
    assert len([s for s in time.sleeps if s >= 0.2]) == 3 * 2  # two backoffs for each person


def test_only_the_senders_client_retries_rate_limits_through_the_pacer(settings):
    sender = sender_client(settings)
    assert isinstance(sender, PacedClient)
    assert any(isinstance(h, PacedRateLimitRetry) for h in sender.retry_handlers)
    listener = web_client(settings.bot_token, settings.slack_api_url)
    assert not any(isinstance(h, RateLimitErrorRetryHandler) for h in listener.retry_handlers)


def test_a_429_on_a_listeners_views_open_is_not_retried(app, slack):
    slack.on["views.open"] = lambda _p: {
        "ok": False,
        "error": "ratelimited",
        "_status": 429,
        "_headers": {"Retry-After": "30"},
    }
    with pytest.raises(SlackApiError) as error:  # at once: a trigger_id lives three seconds
        app.client.views_open(trigger_id=trigger_id(), view=notice_modal("Hello"))
    assert error.value.response.status_code == 429
    assert len(slack.of("views.open")) == 1


def test_a_429_in_a_listener_is_not_retried_and_the_request_is_still_answered(org, slack, requests):
    slack.on["views.publish"] = lambda _p: {
        "ok": False,
        "error": "ratelimited",
        "_status": 429,
        "_headers": {"Retry-After": "30"},
    }
    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    assert requests.event({**event, "event_ts": "1700000000.1"}).status == 200
    assert len(slack.of("views.publish")) == 1
