"""Away lists, holidays and days off edited in Slack, in the Schedule modal (the default, or a
team's own): saved like an import, re-planned, and refused inline when wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from bot.setup import views
from storage.models import Delivery, Workspace
from tests.admin_kit import filled, opened, pick, put, rows, snapshot
from tests.conftest import TEAM
from tests.setup.test_admin import org, schedule_form, team_form  # noqa: F401 (org: a fixture)

pytestmark = pytest.mark.usefixtures("org")


def stored_config(engine) -> dict:
    with Session(engine) as session:
        return session.get(Workspace, TEAM).config


def test_the_schedule_modal_edits_away_lists_holidays_and_days_off(engine, slack, requests):
    form = schedule_form(requests, slack)
    text = json.dumps(form)
    assert ":palm_tree:, :beach_with_umbrella:" in text and "out of office" in text
    values = put(filled(form), "away_emoji", value=":palm_tree:, surfer")
    values = put(values, "away_words", value="vacation,\nSabbatical")
    values = put(values, "holidays", value="de-by")
    values = put(values, "days_off", value="2026-11-27")
    assert requests.submit(form, values, user="UADMIN").body == ""
    config = stored_config(engine)
    assert config["away"] == {
        "emoji": [":palm_tree:", ":surfer:"],
        "words": ["vacation", "Sabbatical"],
    }
    assert config["holidays"] == {"country": "DE", "subdivision": "BY"}
    assert config["days_off"] == ["2026-11-27"]
    # Friday 27 November is now a day off: the nudge moved to Thursday, 14:00 in Berlin.
    [nudge] = rows(engine, Delivery, kind="nudge", subject="U1", period="2026-W48")
    assert nudge.due_at == datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
    again = schedule_form(requests, slack)
    assert "DE-BY" in json.dumps(again) and "surfer" in json.dumps(again)


def test_bad_away_and_holiday_values_in_the_schedule_modal_are_refused_inline(
    engine, slack, requests
):
    before = snapshot(engine)
    form = schedule_form(requests, slack)
    reply = requests.submit(form, put(filled(form), "holidays", value="XX"), user="UADMIN")
    assert "XX" in reply.json()["errors"]["holidays"]
    reply = requests.submit(form, put(filled(form), "days_off", value="2026-02-30"), user="UADMIN")
    assert "days_off" in reply.json()["errors"]
    reply = requests.submit(
        form, put(filled(form), "away_emoji", value="not an emoji!"), user="UADMIN"
    )
    assert "emoji name" in reply.json()["errors"]["away_emoji"]
    assert snapshot(engine) == before


def test_a_team_keeps_its_own_holidays_and_days_off(engine, slack, requests):
    team_form(requests, slack, key="platform")
    requests.action(views.TEAM_SCHEDULE, "platform", user="UADMIN")
    form = {**opened(slack, "views.push"), "previous_view_id": "VTEAM"}
    values = put(filled(form), "follow", selected_option=pick("org"))
    values = put(values, "holidays", value="US NY")
    values = put(values, "days_off", value="2026-11-27, 2026-12-04")
    assert requests.submit(form, values, user="UADMIN").body == ""
    [team] = [t for t in stored_config(engine)["teams"] if t["key"] == "platform"]
    assert team["holidays"] == {"country": "US", "subdivision": "NY"}
    assert team["days_off"] == ["2026-11-27", "2026-12-04"]
    [nudge] = rows(engine, Delivery, kind="nudge", subject="U1", period="2026-W48")
    assert nudge.due_at == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # Thanksgiving too: Wednesday
