"""Distribution: install by OAuth, tokens encrypted at rest, each workspace with its own token."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet

from bot.outbox.tokens import client_factory
from bot.settings import SettingsError, load_settings
from bot.workspace.oauth import installation_store
from tests.slackreq import SlackRequests
from tests.tenancy_kit import (
    CLIENT_SECRET,
    KEY,
    ONE,
    TOKENS,
    TWO,
    dump,
    install,
)

OAUTH_ENV = {
    "SLACK_CLIENT_ID": "1111.2222",
    "SLACK_CLIENT_SECRET": "secret",
    "SLACK_SIGNING_SECRET": "signing",
    "LEADBOT_ENCRYPTION_KEY": KEY,
}
INSTALLED = "xoxb-installed-by-oauth-0123456789"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def home_opened(user: str = "U1") -> dict:
    return {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}


def test_oauth_mode_needs_no_bot_token_but_a_signing_secret_and_a_key():
    settings = load_settings(OAUTH_ENV)
    assert settings.oauth and settings.bot_token == "" and settings.client_id == "1111.2222"
    assert "secret" not in repr(settings) and KEY not in repr(settings)
    with pytest.raises(SettingsError) as error:
        load_settings({**OAUTH_ENV, "LEADBOT_ENCRYPTION_KEY": "", "SLACK_SIGNING_SECRET": ""})
    named = [problem.split(":")[0] for problem in error.value.problems]
    assert named == ["LEADBOT_ENCRYPTION_KEY", "SLACK_SIGNING_SECRET"]
    assert "Fernet.generate_key()" in error.value.problems[0]


@pytest.mark.parametrize("key", ["not-a-key", "x" * 44, Fernet.generate_key().decode()[:-4]])
def test_a_malformed_encryption_key_is_named(key):
    with pytest.raises(SettingsError) as error:
        load_settings({**OAUTH_ENV, "LEADBOT_ENCRYPTION_KEY": key})
    [problem] = error.value.problems
    assert problem.startswith("LEADBOT_ENCRYPTION_KEY: must be a Fernet key")


def test_oauth_mode_needs_both_credentials_and_http():
    with pytest.raises(SettingsError) as error:
        load_settings({**OAUTH_ENV, "SLACK_CLIENT_SECRET": "", "SLACK_APP_TOKEN": "xapp-1"})
    named = [problem.split(":")[0] for problem in error.value.problems]
    assert named == ["SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN"]


def test_starting_in_oauth_mode_with_a_bad_key_exits_2_naming_it(tmp_path):
    env = {"PATH": os.environ["PATH"], **OAUTH_ENV, "LEADBOT_ENCRYPTION_KEY": "short"}
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "LEADBOT_ENCRYPTION_KEY: must be a Fernet key" in result.stderr
    assert "SLACK_BOT_TOKEN" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_install_then_redirect_stores_an_encrypted_token_and_authorizes_the_workspace(
    oauth_server, slack, engine, oauth_settings, tenants
):
    slack.on["oauth.v2.access"] = lambda params: {
        "ok": True,
        "app_id": "A0APP",
        "authed_user": {"id": "UINSTALLER"},
        "scope": "chat:write,commands",
        "token_type": "bot",
        "access_token": INSTALLED,
        "bot_user_id": "UBOT2",
        "team": {"id": TWO, "name": "Beta"},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    base = oauth_server.url.removesuffix("/slack/events")
    status, page, headers = get(f"{base}/slack/install")
    assert status == 200
    authorize = re.search(r'href="(https://slack.com/oauth[^"]+)"', page).group(1)
    authorize = authorize.replace("&amp;", "&")
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == ["1111.2222"] and "files:write" in query["scope"][0]
    state = query["state"][0]
    cookie = headers["Set-Cookie"].split(";")[0]

    status, _, _ = get(f"{base}/slack/oauth_redirect?code=abc&state={state}", {"Cookie": cookie})
    assert status == 200
    [exchange] = slack.of("oauth.v2.access")
    assert exchange.params["code"] == "abc"
    stored = dump(engine)
    assert INSTALLED not in stored and CLIENT_SECRET not in stored  # encrypted at rest
    bot = installation_store(oauth_settings, engine).find_bot(enterprise_id=None, team_id=TWO)
    assert bot is not None and bot.bot_token == INSTALLED

    assert tenants[TWO].event(home_opened()).status == 200
    [published] = slack.of("views.publish")
    assert published.token == INSTALLED


def test_a_redirect_without_the_browsers_state_installs_nothing(oauth_server, slack, engine):
    base = oauth_server.url.removesuffix("/slack/events")
    status, _, _ = get(f"{base}/slack/oauth_redirect?code=abc&state=forged")
    assert status == 400
    assert slack.of("oauth.v2.access") == []
    assert "xoxb" not in dump(engine)


def test_a_request_from_a_workspace_that_never_installed_runs_no_listener(
    oauth_deps, engine, slack, tenants
):
    install(oauth_deps.settings, engine, ONE)
    tenants[TWO].event(home_opened())
    assert slack.of("views.publish") == []
    tenants[ONE].event(home_opened())
    assert [call.token for call in slack.of("views.publish")] == [TOKENS[ONE]]


def test_each_workspace_sends_with_its_own_installed_token(oauth_settings, engine, slack):
    install(oauth_settings, engine, ONE)
    install(oauth_settings, engine, TWO)
    client_for = client_factory(oauth_settings, engine)
    client_for(ONE).chat_postMessage(channel="U1", text="one")
    client_for(TWO).chat_postMessage(channel="U1", text="two")
    assert [(c.params["text"], c.token) for c in slack.of("chat.postMessage")] == [
        ("one", TOKENS[ONE]),
        ("two", TOKENS[TWO]),
    ]
    assert client_for("T0NONE").token is None  # Slack refuses it: only that workspace's rows fail


def test_a_token_encrypted_with_another_key_is_not_used(oauth_settings, engine, caplog):
    install(oauth_settings, engine, ONE)
    other = oauth_settings.__class__(
        **{**oauth_settings.__dict__, "encryption_key": Fernet.generate_key().decode()}
    )
    assert installation_store(other, engine).find_bot(enterprise_id=None, team_id=ONE) is None
    assert "does not decrypt" in caplog.text and TOKENS[ONE] not in caplog.text


def test_single_workspace_requests_still_use_the_bot_token(requests: SlackRequests, slack):
    requests.event(home_opened())
    assert [call.token for call in slack.of("views.publish")] == ["xoxb-test-token"]
