"""The fake Slack is as strict as Slack: each rule refuses a known-bad payload (issue 16).

Every bad payload starts from a good one (built with bot/views/kit.py) that the checks
accept, and breaks exactly one thing, so a refusal can only come from the rule it names.
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from pytest_httpserver import HTTPServer
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.standin.blockkit import check_message, check_response_action, check_view
from bot.standin.requests import SECRET, SlackRequests, text_values
from bot.standin.serve import LoopbackServer
from bot.standin.slack import FakeSlack, dm_channel, trigger_id
from bot.views.kit import (
    actions,
    button,
    context,
    divider,
    header,
    input_block,
    option,
    plain,
    section,
    text_element,
)

Payload = dict[str, Any]
Breaker = Callable[[Payload], None]


# Known-good payloads: every field a rule below looks at is present and within its limits.


def fruit(count: int) -> list[Payload]:
    return [option(f"Fruit {n}", f"fruit-{n}") for n in range(count)]


def good_message() -> Payload:
    overflow = {"type": "overflow", "action_id": "more", "options": fruit(3)}
    return {
        "text": "Your weekly check-in",
        "blocks": [
            header("Weekly check-in"),  # /blocks/0
            section("How did the week go?", accessory=overflow),  # /blocks/1
            actions(button("Answer", "answer"), button("Skip", "skip"), block_id="buttons"),
            context("Answers are shared with your lead only."),  # /blocks/3
        ],
    }


def good_modal() -> Payload:
    mood = {"type": "static_select", "options": fruit(3), "initial_option": fruit(3)[1]}
    radio = {"type": "radio_buttons", "options": fruit(3), "initial_option": fruit(3)[0]}
    boxes = {"type": "checkboxes", "options": fruit(3), "initial_options": fruit(3)[:2]}
    hours = {"type": "number_input", "is_decimal_allowed": False}
    return {
        "type": "modal",
        "callback_id": "checkin",
        "title": plain("Check-in", 24),
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"week": "2026-W48"}),
        "blocks": [
            {**section("Tell us about your week."), "block_id": "intro"},  # /blocks/0
            input_block("answer", "What went well?", text_element("Shipped", 500)),  # /blocks/1
            input_block("mood", "Mood", mood),  # /blocks/2
            input_block("pace", "Pace", radio),  # /blocks/3
            input_block("topics", "Topics", boxes),  # /blocks/4
            input_block("hours", "Hours focused", hours),  # /blocks/5
            input_block("at", "When", {"type": "timepicker", "initial_time": "09:30"}),  # /6
        ],
    }


def good_home() -> Payload:
    return {
        "type": "home",
        "blocks": [
            header("leadbot"),
            section("Your next check-in is on Friday."),
            divider(),
            actions(button("Open", "open_checkin"), button("Pause", "pause")),
        ],
    }


def good_errors_answer() -> Payload:
    return {"response_action": "errors", "errors": {"answer": "Please say a little more."}}


def good_update_answer() -> Payload:
    return {"response_action": "update", "view": good_modal()}


def check_answer(answer: Payload) -> list[str]:
    """What Slack says of `answer` to a submission of the good modal."""
    return check_response_action(answer, good_modal())


GOOD: dict[str, Callable[[], Payload]] = {
    "message": good_message,
    "modal": good_modal,
    "home": good_home,
    "errors answer": good_errors_answer,
    "update answer": good_update_answer,
}
CHECK: dict[str, Callable[[Payload], list[str]]] = {
    "message": check_message,
    "modal": check_view,
    "home": check_view,
    "errors answer": check_answer,
    "update answer": check_answer,
}


# One-thing breakers, addressed by JSON pointer ("/blocks/1/text/text").


def _parent(payload: Payload, pointer: str) -> tuple[Any, str | int]:
    *path, last = pointer.strip("/").split("/")
    node: Any = payload
    for key in path:
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node, int(last) if isinstance(node, list) else last


def put(pointer: str, value: Any) -> Breaker:
    def breaks(payload: Payload) -> None:
        node, key = _parent(payload, pointer)
        node[key] = copy.deepcopy(value)

    return breaks


def drop(pointer: str) -> Breaker:
    def breaks(payload: Payload) -> None:
        node, key = _parent(payload, pointer)
        del node[key]

    return breaks


def append(pointer: str, item: Any) -> Breaker:
    def breaks(payload: Payload) -> None:
        node, key = _parent(payload, pointer)
        node[key].append(copy.deepcopy(item))

    return breaks


def pad(pointer: str, item: Any, *, to: int) -> Breaker:
    """Append copies of `item` to the list at `pointer` until it holds `to` items."""

    def breaks(payload: Payload) -> None:
        node, key = _parent(payload, pointer)
        items = node[key]
        items.extend(copy.deepcopy(item) for _ in range(to - len(items)))

    return breaks


def bad(surface: str, breaks: Breaker, rule: str, *, id: str) -> Any:
    """A known-bad case: the good `surface`, broken once, refused with `rule` in a problem."""
    return pytest.param(surface, breaks, rule, id=id)


BAD = [
    # slack_sdk's own models
    bad(
        "message",
        put("/blocks/1/text/text", "x" * 3001),
        "cannot exceed 3000",
        id="section text 3,001",
    ),
    bad("message", put("/blocks/0/text/text", "x" * 151), "cannot exceed 150", id="header 151"),
    bad("modal", put("/title/text", "x" * 25), "between 1 and 24", id="modal title 25"),
    # what the models drop or let through
    bad("message", put("/blocks/1/text/emoji", True), "emoji", id="emoji on mrkdwn"),
    bad("modal", put("/blocks/0/colour", "red"), "unknown", id="made-up block field"),
    bad("message", put("/blocks/3/elements/0/text", ""), "more than 0", id="empty text"),
    bad(
        "message",
        put("/blocks/2/elements/1/action_id", "answer"),
        "duplicate action_id",
        id="duplicate action_id in a block",
    ),
    bad(
        "message",
        put("/blocks/0/block_id", "buttons"),
        "duplicate block_id",
        id="duplicate block_id in a message",
    ),
    bad(
        "modal",
        put("/blocks/0/block_id", "answer"),
        "duplicate block_id",
        id="duplicate block_id in a view",
    ),
    bad("message", pad("/blocks", divider(), to=51), "no more than 50", id="51 message blocks"),
    bad("modal", pad("/blocks", divider(), to=101), "no more than 100", id="101 view blocks"),
    bad("modal", put("/private_metadata", "x" * 3001), "at most 3000", id="metadata 3,001"),
    bad("message", drop("/text"), "fallback", id="blocks without text"),
    # options
    bad(
        "modal", put("/blocks/2/element/options", fruit(101)), "cannot exceed 100", id="select 101"
    ),
    bad("message", put("/blocks/1/accessory/options", fruit(1)), "2 to 5", id="overflow 1"),
    bad(
        "message", put("/blocks/1/accessory/options", fruit(6)), "between 1 and 5", id="overflow 6"
    ),
    bad("modal", put("/blocks/3/element/options", fruit(11)), "1 to 10", id="radio 11"),
    bad("modal", put("/blocks/4/element/options", fruit(11)), "1 to 10", id="checkboxes 11"),
    bad(
        "message",
        put("/blocks/1/accessory/options/2/text/text", "x" * 76),
        "text must be 1 to 75",
        id="option text 76",
    ),
    bad(
        "message",
        put("/blocks/1/accessory/options/2/value", "x" * 151),
        "value must be 1 to 150",
        id="option value 151",
    ),
    bad(
        "modal",
        put("/blocks/2/element/initial_option", option("Kiwi", "kiwi")),
        "initial option must be one of the options",
        id="initial_option not offered",
    ),
    bad(
        "modal",
        put("/blocks/4/element/initial_options/1", option("Kiwi", "kiwi")),
        "initial option must be one of the options",
        id="initial_options not offered",
    ),
    # text inputs
    bad(
        "modal",
        put("/blocks/1/element/initial_value", "x" * 501),
        "longer than max_length",
        id="initial_value over max_length",
    ),
    bad(
        "modal",
        put("/blocks/1/element/max_length", 3001),
        "must be 1 to 3000",
        id="max_length 3,001",
    ),
    bad(
        "modal",
        drop("/blocks/5/element/is_decimal_allowed"),
        "is_decimal_allowed",
        id="number_input without is_decimal_allowed",
    ),
    # where blocks may go
    bad(
        "message",
        append("/blocks", input_block("note", "Note", text_element(None, 100))),
        "input blocks belong in modals",
        id="input block in a message",
    ),
    bad("modal", drop("/submit"), "needs `submit`", id="modal inputs without submit"),
    bad(
        "home", put("/submit", plain("Save", 24)), "cannot have submit", id="home view with submit"
    ),
    bad("home", append("/blocks", {"type": "poll"}), "unsupported", id="unknown block"),
    bad("home", put("/blocks/3/elements", []), "at least one element", id="empty actions"),
    bad("modal", put("/blocks/6/element/initial_time", "9:30"), "HH:mm", id="initial_time 9:30"),
    # what a view_submission may answer
    bad(
        "errors answer",
        put("/errors", {"intro": "No."}),
        "not an input block",
        id="errors on a section",
    ),
    bad(
        "errors answer",
        put("/errors", {"nowhere": "No."}),
        "not an input block",
        id="errors on an unknown block",
    ),
    bad(
        "update answer",
        put("/view/title/text", "x" * 25),
        "between 1 and 24",
        id="update with a bad view",
    ),
    bad(
        "errors answer",
        put("/response_action", "close"),
        "must be empty or a response_action",
        id="unknown response_action",
    ),
]


@pytest.mark.parametrize("surface", GOOD)
def test_the_good_payloads_are_accepted(surface: str) -> None:
    assert CHECK[surface](GOOD[surface]()) == []


@pytest.mark.parametrize(("surface", "breaks", "rule"), BAD)
def test_a_payload_that_breaks_one_rule_is_refused_by_that_rule(
    surface: str, breaks: Breaker, rule: str
) -> None:
    payload = GOOD[surface]()
    breaks(payload)

    problems = CHECK[surface](payload)

    assert problems, "accepted a payload Slack refuses"
    assert any(rule in problem for problem in problems), problems


# The Web API over real HTTP, through slack_sdk's own client.


USER = "U0ANNA"


@pytest.fixture
def fake_slack(httpserver: HTTPServer) -> FakeSlack:
    """A fake Slack without the `slack` fixture's teardown check: these tests send refusals."""
    return FakeSlack(httpserver, channel_members={"C0TEAM": {USER}, "C0OTHER": {"U0BEN"}})


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    return WebClient(base_url=fake_slack.url, token="xoxb-test")


def refused(call: Callable[[], Any]) -> dict[str, Any]:
    """Slack's answer to a call it refuses."""
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value.response.data


@pytest.mark.parametrize("method", ["chat_update", "chat_delete"])
def test_a_message_is_updated_or_deleted_by_channel_id_never_user_id(
    fake_slack: FakeSlack, client: WebClient, method: str
) -> None:
    answer = refused(lambda: getattr(client, method)(channel=USER, ts="1.2", text="edited"))

    assert answer["error"] == "channel_not_found"
    assert fake_slack.refusals


def test_views_open_refuses_a_trigger_slack_never_gave(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    answer = refused(lambda: client.views_open(trigger_id="made-up", view=good_modal()))

    assert answer["error"] == "invalid_trigger_id"


def test_a_trigger_opens_one_view_only(fake_slack: FakeSlack, client: WebClient) -> None:
    trigger = trigger_id()
    client.views_open(trigger_id=trigger, view=good_modal())

    answer = refused(lambda: client.views_open(trigger_id=trigger, view=good_modal()))

    assert answer["error"] == "exchanged_trigger_id"


def test_a_trigger_expires_after_three_seconds(fake_slack: FakeSlack, client: WebClient) -> None:
    with freeze_time(datetime.now(UTC)) as frozen:
        trigger = trigger_id()
        frozen.tick(timedelta(seconds=3.1))

        answer = refused(lambda: client.views_open(trigger_id=trigger, view=good_modal()))

    assert answer["error"] == "expired_trigger_id"


def test_a_trigger_still_opens_a_view_just_before_three_seconds(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    with freeze_time(datetime.now(UTC)) as frozen:
        trigger = trigger_id()
        frozen.tick(timedelta(seconds=2.9))

        assert client.views_open(trigger_id=trigger, view=good_modal())["ok"]

    fake_slack.assert_accepted()


def test_an_ephemeral_message_goes_only_where_its_user_can_see_it(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    answer = refused(lambda: client.chat_postEphemeral(channel="C0OTHER", user=USER, text="hi"))
    assert answer["error"] == "user_not_in_channel"
    fake_slack.refusals.clear()

    assert client.chat_postEphemeral(channel=dm_channel(USER), user=USER, text="hi")["ok"]
    assert client.chat_postEphemeral(channel="C0TEAM", user=USER, text="hi")["ok"]
    fake_slack.assert_accepted()


def test_invalid_blocks_are_refused_and_fail_the_test_that_sent_them(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    message = good_message()
    message["blocks"][2]["elements"][1]["action_id"] = "answer"

    answer = refused(lambda: client.chat_postMessage(channel=USER, **message))

    assert answer["error"] == "invalid_blocks"
    assert any("duplicate action_id 'answer'" in problem for problem in answer["errors"])
    assert fake_slack.refusals == [f"chat.postMessage: {answer['errors'][0]}"]
    with pytest.raises(AssertionError, match="duplicate action_id"):
        fake_slack.assert_accepted()


def test_a_response_url_post_is_checked_as_a_message(fake_slack: FakeSlack) -> None:
    message = good_message()
    del message["text"]
    request = urllib.request.Request(
        f"{fake_slack.response_url}/commands/{USER}",
        data=json.dumps(message).encode(),
        headers={"Content-Type": "application/json"},
    )

    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)

    assert raised.value.code == 400
    raised.value.close()
    assert any("fallback" in problem for problem in fake_slack.refusals)


def test_views_publish_refuses_a_modal(fake_slack: FakeSlack, client: WebClient) -> None:
    answer = refused(lambda: client.views_publish(user_id=USER, view=good_modal()))

    assert answer["error"] == "invalid_arguments"
    assert "views.publish takes a home view" in answer["response_metadata"]["messages"]


VALID_CALLS: dict[str, Callable[[WebClient], Any]] = {
    "chat.postMessage": lambda c: c.chat_postMessage(channel=USER, **good_message()),
    "chat.update": lambda c: c.chat_update(channel="D0ANNA", ts="1.2", **good_message()),
    "chat.delete": lambda c: c.chat_delete(channel="C0TEAM", ts="1.2"),
    "chat.postEphemeral": lambda c: c.chat_postEphemeral(
        channel=dm_channel(USER), user=USER, **good_message()
    ),
    "views.open": lambda c: c.views_open(trigger_id=trigger_id(), view=good_modal()),
    "views.push": lambda c: c.views_push(trigger_id=trigger_id(), view=good_modal()),
    "views.update": lambda c: c.views_update(view_id="V0001", view=good_modal()),
    "views.publish": lambda c: c.views_publish(user_id=USER, view=good_home()),
}


@pytest.mark.parametrize("method", VALID_CALLS)
def test_a_valid_call_of_each_method_is_accepted(
    fake_slack: FakeSlack, client: WebClient, method: str
) -> None:
    assert VALID_CALLS[method](client)["ok"]

    assert [call.method for call in fake_slack.calls] == [method]
    fake_slack.assert_accepted()


# A view_submission's answer, as SlackRequests checks it over HTTP.


@contextmanager
def app_answering(errors: dict[str, str], slack: FakeSlack) -> Iterator[SlackRequests]:
    """A tiny Bolt app, served over HTTP, that answers the check-in modal with `errors`."""
    app = App(
        signing_secret=SECRET,
        client=WebClient(base_url=slack.url, token="xoxb-test"),
        token_verification_enabled=False,
    )

    @app.view("checkin")
    def answer(ack: Ack) -> None:
        ack(response_action="errors", errors=errors)

    server = LoopbackServer(app)
    try:
        yield SlackRequests(server.url, response_url=slack.response_url)
    finally:
        server.stop()


def test_errors_on_an_input_block_are_a_valid_answer(fake_slack: FakeSlack) -> None:
    with app_answering({"answer": "Please say a little more."}, fake_slack) as requests:
        reply = requests.submit(good_modal(), text_values(answer="ok"), user=USER)

    assert reply.json() == {
        "response_action": "errors",
        "errors": {"answer": "Please say a little more."},
    }


def test_errors_on_a_block_that_is_not_an_input_fail_the_request(fake_slack: FakeSlack) -> None:
    with app_answering({"intro": "Please say a little more."}, fake_slack) as requests:
        with pytest.raises(AssertionError, match="'intro', which is not an input block"):
            requests.submit(good_modal(), text_values(answer="ok"), user=USER)
