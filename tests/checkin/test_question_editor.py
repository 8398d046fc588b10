"""App Home → Questions: a team's manager (and admins, for any team and the organisation's)
add, edit, remove, reorder and preview the check-in's questions in Slack; every view passes
the strict fake, a refusal changes nothing, and an edit reaches the next period's modal, the
stored answer, the digest, the export and App Home."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session

from bot.home.gather import gather
from bot.home.views import home_view
from bot.setup import question_views as qviews
from bot.workspace.export import person_export
from storage.models import Checkin, Workspace
from tests.admin_kit import filled, opened, pick, put, rows, snapshot
from tests.conftest import TEAM
from tests.setup.test_admin import org  # noqa: F401 (a fixture: UADMIN, UMGR's Platform)
from tests.slackreq import select_value, text_values

pytestmark = pytest.mark.usefixtures("org")


def stored(engine) -> dict:
    with Session(engine) as session:
        return session.get(Workspace, TEAM).config


def team_questions(engine, key: str = "platform") -> list[dict] | None:
    return next(t for t in stored(engine)["teams"] if t["key"] == key).get("questions")


def in_modal(requests, view: dict, action: dict[str, Any], *, user: str):
    """A click inside an open modal, as Slack sends it: the view with its id and metadata."""
    return requests.interactive(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0APP",
            "trigger_id": requests.new_trigger(),
            "view": {**view, "id": "VLIST", "team_id": TEAM, "state": {"values": {}}},
            "container": {"type": "view", "view_id": "VLIST"},
            "actions": [{"block_id": "b", "action_ts": "1.1", **action}],
        }
    )


def menu(requests, view: dict, move: str, key: str, *, user: str = "UMGR"):
    value = f"{move}:{key}"
    option = {"text": {"type": "plain_text", "text": move}, "value": value}
    action = {"action_id": qviews.MENU, "type": "overflow", "selected_option": option}
    return in_modal(requests, view, action, user=user)


def button_in(requests, view: dict, action_id: str, value: str, *, user: str = "UMGR"):
    return in_modal(requests, view, {"action_id": action_id, "type": "button", "value": value},
                    user=user)  # fmt: skip


def questions_list(requests, slack, user: str = "UMGR") -> dict:
    requests.home_action(qviews.OPEN, "platform", user=user)
    return opened(slack)


def form_values(
    form: dict, *, text: str, lens="work", kind="short_text", options="", required=False
):
    values = put(filled(form), "text", value=text)
    values = put(values, "lens", selected_option=pick(lens))
    values = put(values, "kind", selected_option=pick(kind))
    values = put(values, "options", value=options)
    boxes = [{"text": {"type": "plain_text", "text": "yes"}, "value": "yes"}] if required else []
    return put(values, "required", selected_options=boxes)


def add(requests, slack, listing: dict, user: str = "UMGR", **fields) -> tuple[dict, Any]:
    button_in(requests, listing, qviews.ADD, "platform", user=user)
    form = {**opened(slack, "views.push"), "previous_view_id": "VLIST"}
    return form, requests.submit(form, form_values(form, **fields), user=user)


def test_the_manager_opens_the_list_from_app_home(engine, slack, requests, clock):
    with Session(engine) as session:
        home = home_view(gather(session, TEAM, "UMGR", clock()), raise_action="r", check_action="c")
    buttons = [b.get("accessory", {}).get("action_id") for b in home["blocks"]]
    assert qviews.OPEN in buttons
    listing = questions_list(requests, slack)
    text = json.dumps(listing, ensure_ascii=False)
    assert listing["callback_id"] == qviews.LIST
    assert "What moved forward this week?" in text and "What is blocked" in text
    assert "Built in: How is your energy this week?" in text
    assert "These are leadbot's questions; a change here makes them your own." in text


def test_someone_else_cannot_open_or_change_a_teams_questions(engine, slack, requests):
    requests.home_action(qviews.OPEN, "platform", user="U1")
    refused = opened(slack)
    assert "Only this team's manager and leadbot's admins" in json.dumps(refused)
    listing = questions_list(requests, slack)
    before = snapshot(engine)
    menu(requests, listing, "remove", "moved", user="U1")
    button_in(requests, listing, qviews.ADD, "platform", user="U1")
    assert "Only this team's manager" in json.dumps(slack.of("views.push")[-1].params["view"])
    button_in(requests, listing, qviews.ADD, "platform")  # the manager's form …
    form = opened(slack, "views.push")
    reply = requests.submit(form, form_values(form, text="Sneaky?"), user="U1")  # … sent by U1
    assert "Only this team's manager" in reply.json()["errors"]["text"]
    assert snapshot(engine) == before
    requests.action("admin_open_questions", "questions", user="UMGR")  # not an admin
    assert opened(slack)["callback_id"] == "admin_refused"


def test_adding_a_question_saves_it_and_redraws_the_list(engine, slack, requests):
    listing = questions_list(requests, slack)
    form, reply = add(requests, slack, listing, text="Which customer did you talk to?",
                      required=True)  # fmt: skip
    assert reply.body == ""
    own = team_questions(engine)
    assert [q["key"] for q in own] == ["moved", "blocked", "learned", "which_customer_did_you_talk"]
    assert own[-1] == {
        "key": "which_customer_did_you_talk", "lens": "work", "kind": "short_text",
        "text": "Which customer did you talk to?", "options": [], "required": True,
    }  # fmt: skip
    [update] = slack.of("views.update")
    assert update.params["view_id"] == "VLIST"
    redrawn = json.dumps(update.params["view"], ensure_ascii=False)
    assert "Which customer did you talk to?" in redrawn and "Saved." in redrawn


def test_a_bad_question_is_refused_on_its_field_and_nothing_changes(engine, slack, requests):
    listing = questions_list(requests, slack)
    before = snapshot(engine)
    _, reply = add(requests, slack, listing, text="How clear?", lens="self", kind="scale",
                   options="Lost\nOkay\nClear")  # fmt: skip
    assert reply.json() == {
        "response_action": "errors",
        "errors": {"options": "A scale needs exactly 5 words, one per step (1 to 5)"},
    }
    _, reply = add(requests, slack, listing, text="Rate <@U2> please", kind="short_text")
    assert "can't name someone" in reply.json()["errors"]["text"]
    assert snapshot(engine) == before and slack.of("views.update") == []


def test_edit_reorder_and_remove_from_the_menu(engine, slack, requests):
    listing = questions_list(requests, slack)
    menu(requests, listing, "down", "moved")
    assert [q["key"] for q in team_questions(engine)] == ["blocked", "moved", "learned"]
    menu(requests, listing, "edit", "learned")
    form = {**opened(slack, "views.push"), "previous_view_id": "VLIST"}
    assert form["blocks"][0]["element"]["initial_value"] == "One thing you learned"
    values = form_values(form, text="How clear are priorities?", lens="self", kind="scale",
                         options="Lost\nUnclear\nOkay\nClear\nCrystal")  # fmt: skip
    refused = requests.submit(form, values, user="UMGR").json()["errors"]  # wins read it
    assert refused == {"text": "'learned' is a text question (short_text or long_text)"}
    values = form_values(form, text="What did you learn?", lens="self", kind="long_text")
    assert requests.submit(form, values, user="UMGR").body == ""
    assert team_questions(engine)[2]["text"] == "What did you learn?"
    menu(requests, listing, "remove", "blocked")
    assert [q["key"] for q in team_questions(engine)] == ["moved", "learned"]
    removed = json.dumps(slack.of("views.update")[-1].params["view"], ensure_ascii=False)
    assert "Removed “What is blocked or slowing you down?”" in removed


def test_removing_the_last_work_question_is_refused_in_the_list(engine, slack, requests):
    listing = questions_list(requests, slack)
    menu(requests, listing, "remove", "moved")
    before = snapshot(engine)
    menu(requests, listing, "remove", "blocked")
    assert snapshot(engine) == before
    text = json.dumps(slack.of("views.update")[-1].params["view"], ensure_ascii=False)
    assert "The lens 'work' (manage work) needs at least one question" in text


def test_preview_opens_the_modal_as_a_member_sees_it_with_nothing_to_save(engine, slack, requests):
    listing = questions_list(requests, slack)
    add(requests, slack, listing, text="Which customer did you talk to?")
    listing = questions_list(requests, slack)
    button_in(requests, listing, qviews.PREVIEW, "platform")
    preview = slack.of("views.push")[-1].params["view"]
    assert preview["callback_id"] == qviews.PREVIEWED
    ids = [b.get("block_id") for b in preview["blocks"] if b["type"] == "input"]
    assert ids == ["moved", "blocked", "which_customer_did_you_talk", "energy", "learned",
                   "helped_users", "helped_text", "objective"]  # fmt: skip
    assert "exactly as a member of Platform will see it" in json.dumps(preview)
    before = snapshot(engine)
    preview = {**preview, "previous_view_id": "VLIST"}
    assert requests.submit(preview, filled(preview), user="UMGR").body == ""  # closes only
    assert snapshot(engine) == before


def test_admins_edit_the_organisations_default_and_any_team(engine, slack, requests):
    requests.action("admin_open_questions", "questions", user="UADMIN")
    listing = opened(slack)
    assert "The organisation's check-in questions" in json.dumps(listing)
    button_in(requests, listing, qviews.ADD, "", user="UADMIN")
    form = {**opened(slack, "views.push"), "previous_view_id": "VLIST"}
    values = form_values(form, text="What will you focus on next week?")
    assert requests.submit(form, values, user="UADMIN").body == ""
    assert [q["key"] for q in stored(engine)["questions"]][-1] == "what_will_you_focus_on_next"
    assert team_questions(engine) is None  # the team follows the organisation's
    platform = questions_list(requests, slack, user="UADMIN")
    assert "This team follows the organisation's questions" in json.dumps(platform)
    add(requests, slack, platform, user="UADMIN", text="Any risk ahead?")
    assert [q["key"] for q in team_questions(engine)][-1] == "any_risk_ahead"
    button_in(requests, platform, qviews.RESET, "platform", user="UADMIN")
    assert team_questions(engine) is None


def test_an_edit_reaches_the_next_period_end_to_end(engine, slack, requests, sender, clock):
    clock.set("2026-11-27T13:00:00+00:00")  # W48 opens with leadbot's questions
    sender.drain()
    requests.action("checkin_open", "2026-W48", user="U1")
    first = slack.of("views.open")[-1].params["view"]
    listing = questions_list(requests, slack)
    add(requests, slack, listing, text="Which customer did you talk to?")
    requests.action("checkin_open", "2026-W48", user="U2")  # W48 keeps its questions
    assert "which_customer_did_you_talk" not in json.dumps(slack.of("views.open")[-1].params)
    requests.submit(first, text_values(moved="x") | select_value("energy", "3"), user="U1")

    clock.set("2026-12-04T13:00:00+00:00")  # W49: the team's new question
    sender.drain()
    requests.action("checkin_open", "2026-W49", user="U1")
    view = slack.of("views.open")[-1].params["view"]
    values = text_values(moved="Shipped", which_customer_did_you_talk="ACME")
    assert requests.submit(view, values | select_value("energy", "4"), user="U1").body == ""
    [row] = rows(engine, Checkin, user_id="U1", period="2026-W49")
    assert row.answers == {"which_customer_did_you_talk": "ACME"}
    with Session(engine) as session:
        exported = person_export(session, TEAM, "U1")["my_checkins"]
        home = home_view(gather(session, TEAM, "U1", clock()), raise_action="r", check_action="c")
    moved = {"key": "moved", "lens": "work", "question": "What moved forward this week?"}
    assert exported[0]["answers"] == [{**moved, "answer": "x"}]  # W48 asked no customer
    assert exported[1]["answers"] == [{**moved, "answer": "Shipped"}, {
        "key": "which_customer_did_you_talk", "lens": "work",
        "question": "Which customer did you talk to?", "answer": "ACME",
    }]  # fmt: skip
    assert "“ACME”" in json.dumps(home, ensure_ascii=False)
    clock.set("2026-12-07T09:00:00+00:00")
    sender.drain()
    digest = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "UMGR"][-1]
    text = json.dumps(digest.params["blocks"], ensure_ascii=False)
    assert "Manage work · Which customer did you talk to?" in text and "“ACME” — U1" in text
