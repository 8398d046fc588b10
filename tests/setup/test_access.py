"""Changes to who reads (leaders, admins, managers, the leadership channel) are announced."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.org.config import OrgConfig
from bot.setup import views
from bot.setup.importer import run_import
from storage.models import AccessChange, Delivery, Workspace
from tests.admin_kit import filled, opened, put, rows, snapshot
from tests.conftest import TEAM, seed_org
from tests.fakeslack import FakeSlack
from tests.slackreq import SlackRequests

ORG = {
    "timezone": "Europe/Berlin",
    "admins": ["UADMIN"],
    "leaders": ["UCEO"],
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2"]}],
}
NAMES = {"UADMIN": "Ann <Admin>", "UCEO": "Cleo & Co", "UMGR": "Max"}
PEOPLE = ["UADMIN", "UCEO", "UMGR", "U1", "U2", "UNOBODY"]


@pytest.fixture
def org(engine, slack: FakeSlack) -> None:
    people = [{"user_id": u, "real_name": NAMES.get(u, u), "tz": "Europe/Berlin"} for u in PEOPLE]
    seed_org(engine, ORG, people)
    for user_id in PEOPLE:
        slack.add_user(user_id, real_name=NAMES.get(user_id, user_id))
    slack.add_user("U3", real_name="Tess")
    slack.add_user("UBOT", is_bot=True, real_name="leadbot")


def changes(engine) -> list[tuple[Any, ...]]:
    return [
        (row.actor_id, row.source, row.what, row.subject, row.before, row.after)
        for row in rows(engine, AccessChange)
    ]


def dms(slack: FakeSlack) -> dict[str, str]:
    """What each person was sent as a DM (blocks as JSON), by user id."""
    found: dict[str, str] = {}
    for call in slack.of("chat.postMessage"):
        channel = call.params["channel"]
        assert channel not in found, f"{channel} was told twice"
        found[channel] = json.dumps(call.params["blocks"], ensure_ascii=False)
    return found


def leaders_form(requests: SlackRequests, slack: FakeSlack, user: str = "UADMIN") -> dict:
    requests.action("admin_open_leaders", "leaders", user=user)
    return opened(slack)


def save_leaders(requests, slack, *, user="UADMIN", **chosen: Any):
    form = leaders_form(requests, slack)
    values = filled(form)
    for block, state in chosen.items():
        values = put(values, block, **state)
    return form, requests.submit(form, values, user=user)


def team_form(requests, slack, key: str = "") -> dict:
    requests.action("admin_open_teams", "teams", user="UADMIN")
    if key:
        requests.action(views.TEAM_EDIT, key, user="UADMIN")
    else:
        requests.action(views.TEAM_CREATE, "create", user="UADMIN")
    return opened(slack, "views.push")


def test_a_leader_added_and_removed_in_app_home_is_told_to_every_leader_and_admin(
    org, engine, slack, requests, sender
):
    _, reply = save_leaders(requests, slack, leaders={"selected_users": ["UADMIN"]})
    assert reply.body == ""
    assert changes(engine) == [
        ("UADMIN", "home", "leader", None, "UCEO", None),
        ("UADMIN", "home", "leader", None, None, "UADMIN"),
    ]
    sender.drain()
    told = dms(slack)
    assert set(told) == {"UADMIN", "UCEO"}  # the leader removed, and the admin who is both now
    for text in told.values():
        assert "Ann &lt;Admin&gt;" in text and "Ann <Admin>" not in text
        assert "Cleo &amp; Co* left the leadership group" in text
        assert "Ann &lt;Admin&gt;* joined the leadership group" in text


def test_an_admin_added_in_app_home_is_told_to_admins_before_and_after(
    org, engine, slack, requests, sender
):
    save_leaders(requests, slack, admins={"selected_users": ["UADMIN", "U3"]})
    assert changes(engine) == [("UADMIN", "home", "admin", None, None, "U3")]
    sender.drain()
    told = dms(slack)
    assert set(told) == {"UADMIN", "UCEO", "U3"}
    assert "*Tess* became a leadbot admin" in told["UCEO"]


def test_a_team_manager_changed_or_created_in_app_home_is_announced(
    org, engine, slack, requests, sender
):
    form = team_form(requests, slack, "platform")
    assert (
        requests.submit(
            form, put(filled(form), "manager", selected_user="UADMIN"), user="UADMIN"
        ).body
        == ""
    )
    form = team_form(requests, slack)
    values = put(put(filled(form), "name", value="Mobile"), "manager", selected_user="U3")
    assert requests.submit(form, values, user="UADMIN").body == ""
    assert changes(engine) == [
        ("UADMIN", "home", "manager", "platform", "UMGR", "UADMIN"),
        ("UADMIN", "home", "manager", "mobile", None, "U3"),
    ]
    sender.drain()
    messages = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "UCEO"]
    assert len(messages) == 2  # one announcement per save
    text = json.dumps([m.params["blocks"] for m in messages], ensure_ascii=False)
    assert "*Platform*'s manager changed from *Max* to *Ann &lt;Admin&gt;*" in text
    assert "*Mobile* was created with *Tess* as its manager" in text
    assert {m.params["channel"] for m in slack.of("chat.postMessage")} == {"UADMIN", "UCEO"}


def test_a_new_leadership_channel_with_only_leaders_in_it_is_saved_and_announced(
    org, engine, slack, requests, sender
):
    slack.channel_members["C0LEAD"] = {"UCEO", "UBOT"}
    _, reply = save_leaders(requests, slack, channel={"selected_conversation": "C0LEAD"})
    assert reply.body == ""
    assert [c.params["channel"] for c in slack.of("conversations.members")] == ["C0LEAD"]
    assert changes(engine) == [("UADMIN", "home", "leadership_channel", None, None, "C0LEAD")]
    sender.drain()
    assert "The leadership digest now goes to <#C0LEAD>" in dms(slack)["UCEO"]


def test_unchanged_setup_saves_announce_nothing(org, engine, slack, requests, sender):
    save_leaders(requests, slack)
    form = team_form(requests, slack, "platform")
    requests.submit(form, put(filled(form), "name", value="Platform team"), user="UADMIN")
    form = team_form(requests, slack, "platform")
    requests.submit(form, put(filled(form), "members", selected_users=["U1"]), user="UADMIN")
    assert rows(engine, AccessChange) == []
    assert rows(engine, Delivery, kind="access_change") == []
    sender.drain()
    assert slack.of("chat.postMessage") == []


def test_the_leaders_modal_warns_of_non_leaders_in_the_channel_and_saves_once_confirmed(
    org, engine, slack, requests, sender
):
    slack.channel_members["C0MIXED"] = {"UCEO", "U1", "U2", "UBOT"}
    slack.page_size = 2  # the members come in pages
    before = snapshot(engine)
    form, reply = save_leaders(requests, slack, channel={"selected_conversation": "C0MIXED"})
    answer = reply.json()
    assert answer["response_action"] == "update"
    warned = answer["view"]
    text = json.dumps(warned)
    assert "2 people in <#C0MIXED> are not in the leadership group" in text
    assert warned["submit"]["text"] == "Save anyway"
    assert snapshot(engine) == before and rows(engine, AccessChange) == []
    # Saved again with the same channel (the warned modal keeps what was chosen): kept.
    warned = {**warned, "root_view_id": "VROOT"}
    assert requests.submit(warned, filled(warned), user="UADMIN").body == ""
    with Session(engine) as session:
        assert session.get(Workspace, TEAM).config["leadership_channel"] == "C0MIXED"
    assert changes(engine) == [("UADMIN", "home", "leadership_channel", None, None, "C0MIXED")]


def test_the_warned_modal_checks_again_when_another_channel_is_picked(org, engine, slack, requests):
    slack.channel_members["C0MIXED"] = {"UCEO", "U1"}
    slack.channel_members["C0OTHER"] = {"UCEO", "U2", "U3"}
    _, reply = save_leaders(requests, slack, channel={"selected_conversation": "C0MIXED"})
    warned = reply.json()["view"]
    values = put(filled(warned), "channel", selected_conversation="C0OTHER")
    again = requests.submit(warned, values, user="UADMIN").json()
    assert "2 people in <#C0OTHER>" in json.dumps(again["view"])
    assert rows(engine, AccessChange) == []


def test_a_private_channel_leadbot_is_not_in_is_refused_inline(org, engine, slack, requests):
    slack.channel_members["G0SECRET"] = {"UCEO"}
    slack.private_channels.add("G0SECRET")
    before = snapshot(engine)
    _, reply = save_leaders(requests, slack, channel={"selected_conversation": "G0SECRET"})
    assert reply.json()["response_action"] == "errors"
    assert "invite leadbot" in reply.json()["errors"]["channel"]
    assert snapshot(engine) == before


def test_a_non_admin_can_change_nothing_check_no_channel_and_announce_nothing(
    org, engine, slack, requests, sender
):
    slack.channel_members["C0MIXED"] = {"UCEO", "U1"}
    form = views.leaders_modal(OrgConfig.model_validate(ORG))
    values = put(filled(form), "leaders", selected_users=["UNOBODY"])
    values = put(values, "channel", selected_conversation="C0MIXED")
    reply = requests.submit(form, values, user="UNOBODY")
    assert "Only admins" in reply.json()["errors"]["leaders"]
    warned = {**form, "private_metadata": json.dumps({"confirm": "C0MIXED"})}
    reply = requests.submit(warned, values, user="UNOBODY")
    assert reply.json()["response_action"] == "errors"
    assert slack.of("conversations.members") == []
    assert rows(engine, AccessChange) == []
    sender.drain()
    assert slack.of("chat.postMessage") == []


def test_app_home_shows_admins_the_last_changes_and_nobody_else(
    org, engine, slack, requests, clock
):
    for leaders in (["UCEO", "UMGR"], ["UCEO", "U1"], ["UCEO", "U1", "U2"], ["UCEO"]):
        save_leaders(requests, slack, leaders={"selected_users": leaders})
    clock.set("2026-11-30T10:00:00+00:00")
    save_leaders(requests, slack, leaders={"selected_users": ["UCEO", "U3"]})
    requests.event({"type": "app_home_opened", "user": "UADMIN", "tab": "home"})
    home = json.dumps(slack.of("views.publish")[-1].params["view"], ensure_ascii=False)
    assert "Recent changes to who reads" in home
    assert "Mon 30 Nov · *Ann &lt;Admin&gt;*: *Tess* joined the leadership group" in home
    assert "Fri 27 Nov · *Ann &lt;Admin&gt;*: *U1* left the leadership group" in home
    assert home.count(" · *Ann &lt;Admin&gt;*: ") == 5  # the last five of seven
    assert "*Max*" not in home
    requests.event({"type": "app_home_opened", "user": "U1", "tab": "home"})
    assert "Recent changes" not in json.dumps(slack.of("views.publish")[-1].params["view"])


# The org file import.

FILE = """\
timezone: Europe/Berlin
admins: [UADMIN]
leaders: [UCEO]
teams:
  - {key: platform, name: Platform, manager: UMGR, members: [U1, U2]}
  - {key: web, name: Web, manager: U2, members: [U1]}
"""


@pytest.fixture
def imported(tmp_path: Path, session: Session, slack: FakeSlack, clock):
    for user_id in PEOPLE + ["U3"]:
        slack.add_user(user_id, real_name=NAMES.get(user_id, user_id))
    client = WebClient(token="xoxb-test-token", base_url=slack.url)

    def run(text: str) -> int:
        path, out = tmp_path / "org.yml", io.StringIO()
        path.write_text(text)
        code = run_import(path, yes=True, session=session, client=client, now=clock(), out=out)
        run.out = out.getvalue()
        return code

    assert run(FILE) == 0
    return run


def test_an_org_file_import_announces_each_kind_of_change_to_readers_before_and_after(
    imported, engine, slack, sender
):
    sender.drain()
    slack.calls.clear()
    first = len(rows(engine, AccessChange))
    changed = (
        FILE.replace("admins: [UADMIN]", "admins: [U3]")
        .replace("leaders: [UCEO]", "leaders: [UCEO, U1]\nleadership_channel: C0LEAD")
        .replace("manager: UMGR", "manager: UCEO")
        .replace("  - {key: web, name: Web, manager: U2, members: [U1]}\n", "")
    )
    assert imported(changed) == 0
    assert "6 change(s) to who reads" in imported.out
    assert changes(engine)[first:] == [
        (None, "orgfile", "leader", None, None, "U1"),
        (None, "orgfile", "admin", None, "UADMIN", None),
        (None, "orgfile", "admin", None, None, "U3"),
        (None, "orgfile", "manager", "platform", "UMGR", "UCEO"),
        (None, "orgfile", "manager", "web", "U2", None),
        (None, "orgfile", "leadership_channel", None, None, "C0LEAD"),
    ]
    sender.drain()
    told = dms(slack)
    assert set(told) == {"UADMIN", "UCEO", "U1", "U3"}
    text = told["UADMIN"]
    assert "An org file import changed who reads" in text
    assert "*Ann &lt;Admin&gt;* is no longer a leadbot admin" in text
    assert "*web* was removed (its manager was *U2*)" in text
    assert "<#C0LEAD>" in text


def test_the_first_import_is_announced_and_the_same_file_again_is_not(
    imported, engine, slack, sender
):
    assert changes(engine) == [
        (None, "orgfile", "leader", None, None, "UCEO"),
        (None, "orgfile", "admin", None, None, "UADMIN"),
        (None, "orgfile", "manager", "platform", None, "UMGR"),
        (None, "orgfile", "manager", "web", None, "U2"),
    ]
    sender.drain()
    assert set(dms(slack)) == {"UADMIN", "UCEO"}
    slack.calls.clear()
    assert imported(FILE) == 0
    assert len(rows(engine, AccessChange)) == 4
    sender.drain()
    assert slack.of("chat.postMessage") == []


# The stand-in's conversations.members, as Slack answers it.


def test_the_fake_lists_channel_members_in_pages_and_refuses_what_slack_refuses(slack):
    slack.channel_members.update({"C0PUB": {"U1", "U2", "U3"}, "G0PRIV": {"U1"}, "G0IN": {"UBOT"}})
    slack.private_channels |= {"G0PRIV", "G0IN"}
    client = WebClient(token="xoxb-test-token", base_url=slack.url)
    first = client.conversations_members(channel="C0PUB", limit=2)
    assert first["members"] == ["U1", "U2"]
    rest = client.conversations_members(
        channel="C0PUB", cursor=first["response_metadata"]["next_cursor"]
    )
    assert rest["members"] == ["U3"] and rest["response_metadata"]["next_cursor"] == ""
    assert client.conversations_members(channel="G0IN")["members"] == ["UBOT"]
    for channel in ("C0NONE", "G0PRIV"):
        with pytest.raises(SlackApiError) as refused:
            client.conversations_members(channel=channel)
        assert refused.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as refused:
        client.conversations_members(channel="C0PUB", cursor="garbage")
    assert refused.value.response["error"] == "invalid_cursor"
