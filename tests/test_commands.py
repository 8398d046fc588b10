"""`/leadership`, request verification, health, event retries, and settings at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlencode

import pytest
from sqlmodel import Session, select

from bot.settings import SettingsError, load_settings
from storage.models import Delivery, Person
from tests.conftest import TEAM, seed_org
from tests.fakeslack import dm_channel, trigger_id

ORG = {
    "timezone": "Europe/Berlin",
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1"]}],
}
PEOPLE = [
    {"user_id": "UMGR", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "U1", "real_name": "Ana", "tz": "Europe/Berlin"},
]


@pytest.fixture
def org(engine):
    seed_org(engine, ORG, PEOPLE)


def paused_until(engine, user: str):
    with Session(engine) as session:
        return session.exec(select(Person.paused_until).where(Person.user_id == user)).one()


def command_body(requests, text: str, user: str = "U1") -> str:
    return urlencode(
        {
            "team_id": TEAM,
            "user_id": user,
            "command": "/leadership",
            "text": text,
            "channel_id": dm_channel(user),
            "response_url": f"{requests.response_url}/commands/{user}",
            "trigger_id": trigger_id(),
        }
    )


# --- /leadership ----------------------------------------------------------------------


def test_leadership_help_lists_every_command(org, slack, requests):
    assert requests.command("/leadership", "help", user="U1").status == 200
    reply = slack.responses()[-1]
    assert reply["response_type"] == "ephemeral"
    for command in ("/checkin", "/leadership pause 2w", "/leadership resume", "/leadership help"):
        assert command in reply["text"]


def test_leadership_without_words_shows_the_help_too(org, slack, requests):
    requests.command("/leadership", "", user="U1")
    assert "/leadership pause" in slack.responses()[-1]["text"]


def test_an_unknown_leadership_command_says_so_kindly_and_shows_the_help(org, slack, requests):
    requests.command("/leadership", "dance", user="U1")
    reply = slack.responses()[-1]
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("I don't know `dance`")
    assert "/leadership pause 2w" in reply["text"]


def test_an_unknown_command_word_is_escaped_in_the_reply(org, slack, requests):
    requests.command("/leadership", "<!channel>", user="U1")
    text = slack.responses()[-1]["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_a_pause_that_cannot_be_read_gets_a_usage_message_and_changes_nothing(
    org, engine, slack, requests
):
    requests.command("/leadership", "pause banana", user="U1")
    reply = slack.responses()[-1]
    assert reply["response_type"] == "ephemeral"
    assert "couldn't read that pause" in reply["text"]
    assert "/leadership pause 2w" in reply["text"]
    assert paused_until(engine, "U1") is None


def test_pause_stores_the_end_and_says_until_when(org, engine, clock, slack, requests):
    clock.set("2026-11-25T12:00:00+00:00")
    requests.command("/leadership", "pause until 2027-01-06", user="U1")
    assert "Paused until" in slack.responses()[-1]["text"]
    assert paused_until(engine, "U1").isoformat() == "2027-01-05T23:00:00+00:00"


def test_resume_when_not_paused_changes_nothing(org, engine, slack, requests):
    requests.command("/leadership", "resume", user="U1")
    assert "weren't paused" in slack.responses()[-1]["text"]
    assert paused_until(engine, "U1") is None


def test_pause_from_someone_in_no_team_is_explained(org, engine, slack, requests):
    requests.command("/leadership", "pause 2w", user="UNOBODY")
    assert "not in any team" in slack.responses()[-1]["text"]
    with Session(engine) as session:
        assert session.exec(select(Person).where(Person.user_id == "UNOBODY")).all() == []


# --- request verification -------------------------------------------------------------


def assert_nothing_happened(engine, slack) -> None:
    assert slack.calls == []
    assert paused_until(engine, "U1") is None
    with Session(engine) as session:
        assert session.exec(select(Delivery)).all() == []


def test_a_forged_signature_is_refused_before_any_listener(org, engine, slack, requests):
    reply = requests.post(
        command_body(requests, "pause 2w"),
        "application/x-www-form-urlencoded",
        secret="not-the-signing-secret",
    )
    assert reply.status == 401
    assert_nothing_happened(engine, slack)


def test_a_request_signed_six_minutes_ago_is_refused(org, engine, slack, requests):
    old = str(int(time.time()) - 6 * 60)
    reply = requests.post(
        command_body(requests, "pause 2w"), "application/x-www-form-urlencoded", timestamp=old
    )
    assert reply.status == 401
    assert_nothing_happened(engine, slack)


def test_a_request_without_a_signature_is_refused(org, engine, slack, requests):
    request = urllib.request.Request(
        requests.url,
        data=command_body(requests, "pause 2w").encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(int(time.time())),
        },
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert_nothing_happened(engine, slack)


def test_a_correctly_signed_request_does_reach_the_listener(org, engine, slack, requests):
    reply = requests.post(command_body(requests, "pause 2w"), "application/x-www-form-urlencoded")
    assert reply.status == 200
    assert paused_until(engine, "U1") is not None
    assert "Paused until" in slack.responses()[-1]["text"]


def test_healthz_answers_ok(requests, slack):
    base = requests.url.removesuffix("/slack/events")
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        assert (response.status, response.read()) == (200, b"ok")
    assert slack.calls == []


def test_an_event_retried_by_slack_is_acknowledged_and_stored_once(org, engine, slack, requests):
    user = {
        "id": "U1",
        "team_id": TEAM,
        "name": "ana",
        "real_name": "Ana",
        "deleted": False,
        "is_bot": False,
        "tz": "Asia/Kolkata",
        "profile": {},
    }
    event = {"type": "user_change", "user": user, "event_ts": "1700000000.000100"}
    assert requests.event(event).status == 200
    retry = requests.event(
        event, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retry.status == 200
    with Session(engine) as session:
        [person] = session.exec(select(Person).where(Person.user_id == "U1")).all()
    assert person.tz == "Asia/Kolkata"
    assert [call.method for call in slack.calls if call.method != "auth.test"] == []


# --- settings -------------------------------------------------------------------------


def test_missing_settings_name_each_variable_and_where_to_find_it():
    with pytest.raises(SettingsError) as error:
        load_settings({})
    text = str(error.value)
    assert "SLACK_BOT_TOKEN" in text and "SLACK_SIGNING_SECRET" in text
    assert "OAuth & Permissions" in text and "Signing Secret" in text
    assert len(error.value.problems) == 2


def test_a_malformed_bot_token_is_named():
    with pytest.raises(SettingsError) as error:
        load_settings({"SLACK_BOT_TOKEN": "abc", "SLACK_SIGNING_SECRET": "secret"})
    [problem] = error.value.problems
    assert problem.startswith("SLACK_BOT_TOKEN") and "xoxb-" in problem


def test_socket_mode_needs_no_signing_secret():
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.socket_mode and settings.signing_secret is None


def run_bot(cwd, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], **env},
    )


def test_starting_without_slack_settings_exits_2_naming_both(tmp_path):
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "SLACK_BOT_TOKEN" in result.stderr and "SLACK_SIGNING_SECRET" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # no database was created


def test_starting_with_a_malformed_token_names_it(tmp_path):
    result = run_bot(tmp_path, SLACK_BOT_TOKEN="abc", SLACK_SIGNING_SECRET="secret")
    assert result.returncode == 2 and result.stdout == ""
    assert "SLACK_BOT_TOKEN: must start with xoxb-" in result.stderr
    assert "SLACK_SIGNING_SECRET" not in result.stderr


def test_a_dotenv_file_in_the_working_directory_is_read(tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=abc\nSLACK_SIGNING_SECRET=secret\n")
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN: must start with xoxb-" in result.stderr
