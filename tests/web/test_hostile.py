"""Hostile input over real HTTP: refused with a 4xx, no listener run, never a stack trace.

The order is the guard's (bot/web/server.py): over MAX_BODY 413; unsigned, badly signed or stale
401 whatever the body; only then, signed but malformed, 400.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.request
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

import bot.web.server
from bot.web.guard import RawBodyVerifier, Refused, authenticate
from bot.web.server import MAX_BODY
from tests.conftest import TEAM, seed_org
from tests.slackreq import SECRET, signature

ORG = {"teams": [{"key": "t", "name": "T", "manager": "UMGR", "members": ["U1"]}]}
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def org(engine):
    seed_org(engine, ORG, [{"user_id": "UMGR"}, {"user_id": "U1"}])


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    """One raw POST (any bytes, any headers) to the served app."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def raw_signature(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """Slack's signature of these exact bytes (tests.slackreq signs text, which must be UTF-8)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed(
    body: bytes | str, content_type: str, *, age: int = 0, secret: str = SECRET
) -> dict[str, str]:
    raw = body.encode() if isinstance(body, str) else body
    timestamp = str(int(time.time()) - age)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": raw_signature(raw, timestamp, secret),
    }


def unsigned(body: bytes | str, content_type: str, how: str) -> dict[str, str]:
    """Headers that do not authenticate `body`, in one of the ways in UNSIGNED."""
    raw = body.encode() if isinstance(body, str) else body
    if how == "no signature":
        return {"Content-Type": content_type}
    if how == "no timestamp":
        return {k: v for k, v in signed(raw, content_type).items() if "Timestamp" not in k}
    if how == "wrong secret":
        return signed(raw, content_type, secret="not-the-signing-secret")
    if how == "stale":
        return signed(raw, content_type, age=301)
    if how == "from the future":  # well past 300 s: int() cuts the timestamp short
        return signed(raw, content_type, age=-360)
    if how == "another body":
        return signed(raw + b" ", content_type)
    raise AssertionError(how)


UNSIGNED = [
    "no signature",
    "no timestamp",
    "wrong secret",
    "stale",
    "from the future",
    "another body",
]


def checkin_command(**overrides: str) -> str:
    fields = {
        "team_id": TEAM,
        "user_id": "U1",
        "command": "/checkin",
        "text": "",
        "response_url": "http://127.0.0.1:9/r",
        "trigger_id": "t1",
    }
    return urlencode({**fields, **overrides})


def assert_refused(reply: tuple[int, bytes, dict[str, str]], status: int, slack) -> None:
    code, body, headers = reply
    assert code == status, body
    assert b"Traceback" not in body and b'File "' not in body
    assert headers.get("X-Request-Id")
    assert [c.method for c in slack.calls if c.method != "auth.test"] == []  # no listener ran


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"X-Slack-Signature": "v0=" + "0" * 64}, "forged"),
        ({"X-Slack-Request-Timestamp": str(int(time.time()) - 301)}, "expired"),
        ({"X-Slack-Signature": ""}, "empty"),
        ({"X-Slack-Request-Timestamp": "soon"}, "not a number"),
        ({"X-Slack-Signature": "v0=ü"}, "not ascii"),
    ],
)
def test_bad_signatures_get_401(org, requests, slack, headers, why):
    body = checkin_command()
    all_headers = {**signed(body, FORM), **headers}
    if why == "expired":
        all_headers = signed(body, FORM, age=301)
    assert_refused(post(requests.url, body.encode(), all_headers), 401, slack)


def test_missing_signature_headers_get_401(org, requests, slack):
    body = checkin_command().encode()
    assert_refused(post(requests.url, body, {"Content-Type": FORM}), 401, slack)


def test_the_helpers_sign_as_slackreq_does():
    assert raw_signature(b"a=b", "1700000000") == signature("a=b", "1700000000")


def test_the_raw_body_verifier_signs_text_as_slack_sdk_does():
    body = '{"text": "caf\u00e9 \U0001f600 &<>"}'
    ours = RawBodyVerifier(SECRET).generate_signature(timestamp="1700000000", body=body.encode())
    assert ours == SignatureVerifier(SECRET).generate_signature(timestamp="1700000000", body=body)


def test_without_a_signing_secret_every_request_is_refused():
    body = checkin_command().encode()
    headers = {k.lower(): v for k, v in signed(body, FORM).items()}
    authenticate(RawBodyVerifier(SECRET), headers, body)  # signed: passes
    with pytest.raises(Refused) as refused:
        authenticate(None, headers, body)
    assert refused.value.status == 401


@pytest.mark.parametrize("age", [240, -240])
def test_a_signature_four_minutes_off_is_still_accepted(org, requests, slack, age):
    body = checkin_command(response_url=f"{slack.response_url}/commands/U1")
    code, _, _ = post(requests.url, body.encode(), signed(body, FORM, age=age))
    assert code == 200 and slack.of("views.open") == [] and slack.responses()


def test_an_oversized_body_gets_413_before_anything_reads_it(org, requests, slack):
    body = checkin_command(text="x" * MAX_BODY)
    assert_refused(post(requests.url, body.encode(), signed(body, FORM)), 413, slack)


@pytest.mark.parametrize("how", ["no signature", "wrong secret"])
def test_an_oversized_unsigned_body_gets_413_too(org, requests, slack, how):
    """Its signature could only be checked by reading all of it (see bot/web/server.py)."""
    body = checkin_command(text="x" * MAX_BODY)
    assert_refused(post(requests.url, body.encode(), unsigned(body, FORM, how)), 413, slack)


def test_an_oversized_body_without_a_length_gets_413(org, requests, slack):
    parts = urlsplit(requests.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    chunks = iter([b"x" * (MAX_BODY // 4)] * 5)  # chunked: no Content-Length to refuse by
    try:
        connection.request("POST", parts.path, body=chunks, headers={"Content-Type": FORM})
        response = connection.getresponse()
        reply = response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()
    assert_refused(reply, 413, slack)


def interaction(**fields: object) -> tuple[str, str]:
    """A signed interactivity form whose payload has these fields."""
    return FORM, urlencode({"payload": json.dumps({"user": {"id": "U1"}, **fields})})


def event(**fields: object) -> tuple[str, str]:
    return "application/json", json.dumps({"type": "event_callback", "team_id": TEAM, **fields})


CHECKIN_VIEW = {"callback_id": "checkin_modal", "state": {"values": []}}
WRONG = [
    ("text/plain", checkin_command()),
    ("application/json", '{"type": "event_callback", "event": {"type": "app_home'),  # truncated
    ("application/json", "not json at all"),
    ("application/json", '["an", "array"]'),
    ("application/json", "[" * 100_000 + "]" * 100_000),
    (FORM, "payload=%7Bnot+json"),
    (FORM, urlencode({"payload": json.dumps(["a list"])})),
    (FORM, checkin_command(response_url="")),
    event(event="x"),
    event(event={"type": 7}),
    event(event={"type": "app_home_opened"}, team_id="T" * 300),
    interaction(type="block_actions", actions="checkin_open"),
    interaction(type="block_actions", actions=[{"action_id": 5}]),
    interaction(type="block_actions", actions=[{"action_id": "checkin_open"}], user=5),
    interaction(type="view_submission", view=["checkin_modal"]),
    interaction(type="view_submission", view=CHECKIN_VIEW),
    # Bolt itself reads these before any listener, and failed with a 500 on each
    # (slack_bolt/request/payload_utils.py)
    interaction(type="view_submission", view={"callback_id": "checkin_modal"}),  # no type
    interaction(type="view_submission", view={"callback_id": "x", "type": "workflow_step"}),
    interaction(type="workflow_step_edit", callback_id="x"),
    interaction(type="interactive_message", callback_id="x"),  # Bolt reads its first action
]


@pytest.mark.parametrize(("content_type", "body"), WRONG)
def test_signed_but_malformed_bodies_get_400_and_run_nothing(
    org, requests, slack, content_type, body
):
    assert_refused(post(requests.url, body.encode(), signed(body, content_type)), 400, slack)


NOT_UTF8 = ("application/json", b'{"type": "\xff\xfe"}')


def test_a_signed_body_that_is_not_utf8_gets_400(org, requests, slack):
    content_type, body = NOT_UTF8
    assert_refused(post(requests.url, body, signed(body, content_type)), 400, slack)


ANY_SHAPE = [
    *WRONG,
    NOT_UTF8,
    (FORM, checkin_command()),  # well formed
    (FORM, ""),
    ("", "\x00" * 10),
]


@pytest.mark.parametrize("how", UNSIGNED)
def test_unsigned_or_badly_signed_bodies_of_every_shape_get_401(org, requests, slack, how):
    for content_type, body in ANY_SHAPE:  # one served app for them all: each start is slow
        raw = body.encode() if isinstance(body, str) else body
        assert_refused(post(requests.url, raw, unsigned(raw, content_type, how)), 401, slack)


def test_no_unsigned_byte_reaches_the_parser(org, requests, slack, monkeypatch):
    parsed = []
    monkeypatch.setattr(bot.web.server, "parse", lambda *args: parsed.append(args) or {})
    for content_type, body in WRONG:
        for how in UNSIGNED:
            reply = post(requests.url, body.encode(), unsigned(body, content_type, how))
            assert reply[0] == 401
    assert parsed == []
    body = checkin_command(response_url=f"{slack.response_url}/commands/U1")
    assert post(requests.url, body.encode(), signed(body, FORM))[0] == 200
    assert parsed == [(FORM, body.encode())]


def test_in_oauth_mode_unsigned_bodies_get_401_and_install_pages_need_no_signature(
    oauth_server, slack
):
    for content_type, body in [*WRONG[:4], (FORM, checkin_command())]:
        reply = post(oauth_server.url, body.encode(), {"Content-Type": content_type})
        assert reply[0] == 401, reply
    base = oauth_server.url.removesuffix("/slack/events")
    with urllib.request.urlopen(f"{base}/slack/install", timeout=10) as response:
        assert response.status == 200 and b"slack.com/oauth" in response.read()


def test_a_refusal_is_logged_without_the_body(org, requests, slack, caplog):
    caplog.set_level(logging.INFO)
    body = json.dumps({"type": "event_callback", "team_id": TEAM, "event": "SECRET-BODY"})
    post(requests.url, body.encode(), signed(body, "application/json"))
    assert "refused a request" in caplog.text and "SECRET-BODY" not in caplog.text


# --- fuzz --------------------------------------------------------------------------------

SLACK_TYPES = [
    "event_callback",
    "block_actions",
    "view_submission",
    "view_closed",
    "shortcut",
    "url_verification",
    "ssl_check",
    "message_action",
    "block_suggestion",
]
FIELDS = [
    "team",
    "user",
    "channel",
    "event",
    "actions",
    "view",
    "authorizations",
    "response_url",
    "response_urls",
    "trigger_id",
    "container",
    "enterprise",
    "is_ext_shared_channel",
    "challenge",
    "token",
    "team_id",
    "user_id",
    "api_app_id",
    "message",
    "event_id",
    "function_execution_id",
    "state",
    "callback_id",
    "command",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
envelopes = st.fixed_dictionaries(
    {"type": st.sampled_from(SLACK_TYPES) | st.text(max_size=10)},
    optional=dict.fromkeys(FIELDS, json_values),
)
json_texts = (envelopes | json_values).map(json.dumps)
forms = st.dictionaries(
    st.sampled_from(["payload", "command", "ssl_check", "team_id", "user_id", "text"])
    | st.text(max_size=8),
    st.text(max_size=30) | json_texts,
    max_size=5,
).map(urlencode)
bodies = st.binary(max_size=300) | json_texts.map(str.encode) | forms.map(str.encode)
content_types = st.sampled_from(
    [
        "application/json",
        FORM,
        "application/json; charset=utf-8",
        "text/plain",
        "",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded; charset=latin-1",
    ]
) | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40)
extra_headers = st.dictionaries(
    st.sampled_from(
        [
            "X-Slack-Retry-Num",
            "X-Slack-Retry-Reason",
            "X-Request-Id",
            "Accept",
            "X-Slack-Signature",
            "X-Slack-Request-Timestamp",
            "Cookie",
        ]
    ),
    header_text,
    max_size=3,
)


AUTH_HEADERS = ("X-Slack-Signature", "X-Slack-Request-Timestamp")


@settings(
    max_examples=300,
    database=None,  # no .hypothesis folder in the work tree
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=bodies,
    content_type=content_types,
    how=st.sampled_from(["signed", *UNSIGNED]),
    headers=extra_headers,
)
def test_random_bodies_and_headers_never_get_a_5xx(
    org, requests, slack, body, content_type, how, headers
):
    """Unsigned or badly signed: 401 and nothing runs, whatever the body; signed: never a 5xx,
    and 400 for what cannot be Slack's."""
    base = signed(body, content_type) if how == "signed" else unsigned(body, content_type, how)
    before = len(slack.calls)
    status, answer, _ = post(requests.url, body, {**base, **headers})
    assert status < 500, (status, answer)
    assert b"Traceback" not in answer
    if b"(generated by waitress)" in answer:  # a header HTTP forbids (a control character)
        assert status == 400, answer  # refused by the server: the app never saw it
        return
    authentic = how == "signed" and not any(name in headers for name in AUTH_HEADERS)
    if not authentic:  # a random header cannot make a signature that fits
        assert status == 401, (status, answer)
        assert [c.method for c in slack.calls[before:] if c.method != "auth.test"] == []
        return
    assert status != 401, answer
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in ("application/json", FORM):
        assert status == 400, answer
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        assert status == 400, answer


def test_the_app_keeps_serving_after_the_fuzz(requests):
    base = requests.url.removesuffix("/slack/events")
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        assert response.status == 200
