"""Strategy reflections: cadence per zone, rotation, quote-back, re-ask on change."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.org.plan import plan_for
from bot.outbox.sender import Sender
from bot.runtime.deps import utcnow
from bot.strategy import rules as strategy
from storage.models import Delivery, Reflection
from tests.conftest import TEAM, seed_org

ORG = {
    "timezone": "Europe/Berlin",
    "objectives": [
        {"key": "eu-launch", "title": "Launch in the EU", "description": "Three markets by Q3"},
        {"key": "retention", "title": "Keep customers"},
    ],
    "schedule": {"strategy": {"every_weeks": 4, "day": "tue", "time": "10:00"}},
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2"]}],
}
PEOPLE = [
    {"user_id": "UMGR", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "U1", "real_name": "Ana", "tz": "Asia/Kolkata"},
    {"user_id": "U2", "real_name": "Ben", "tz": "America/New_York"},
]


@pytest.fixture
def org(engine):
    seed_org(engine, ORG, PEOPLE)


def reflection_values(keys, how="I build the EU payment rails", progress="First market live"):
    options = [{"value": k, "text": {"type": "plain_text", "text": k}} for k in keys]
    return {
        "objectives": {"value": {"type": "multi_static_select", "selected_options": options}},
        "how": {"value": {"type": "plain_text_input", "value": how}},
        "progress": {"value": {"type": "plain_text_input", "value": progress}},
    }


def strategy_rows(engine, user_id):
    with Session(engine) as session:
        return list(
            session.exec(
                select(Delivery).where(
                    Delivery.subject == user_id, Delivery.kind.in_(["strategy", "reask"])
                )
            )
        )


def test_first_reflection_comes_on_the_next_strategy_day_then_every_n_iso_weeks(org, engine, app):
    with freeze_time("2026-11-25 12:00:00"), Session(engine) as session:  # a Wednesday
        checkins.replan(session, TEAM, ["U1"], utcnow())
        session.commit()
    [first] = strategy_rows(engine, "U1")
    # Tuesday 1 Dec, 10:00 in Kolkata (UTC+5:30), whatever the cadence week.
    assert first.due_at == datetime(2026, 12, 1, 4, 30, tzinfo=UTC)
    with freeze_time("2026-12-01 04:30:00"):
        Sender(engine, lambda _w: app.client, utcnow).drain()
    rows = sorted(strategy_rows(engine, "U1"), key=lambda r: r.due_at)
    assert [r.status for r in rows] == ["sent", "pending"]
    due = rows[1].due_at
    assert due.astimezone(plan_zone(engine, "U1")).strftime("%a %H:%M") == "Tue 10:00"
    assert strategy.week_index(due.date()) % 4 == 0


def plan_zone(engine, user_id):
    with Session(engine) as session:
        return plan_for(session, TEAM, user_id).zone


def test_cadence_counts_iso_weeks_so_reimporting_never_shifts_it():
    tuesdays = [
        datetime(2027, 1, 5),
        datetime(2027, 1, 12),
        datetime(2027, 1, 19),
        datetime(2027, 1, 26),
        datetime(2027, 2, 2),
    ]
    due = [d for d in tuesdays if strategy.week_index(d.date()) % 4 == 0]
    assert len(due) == 1 or len(due) == 2
    assert strategy.week_index(datetime(2027, 1, 4).date()) == strategy.week_index(
        datetime(2027, 1, 10).date()
    )


def test_reflection_dm_lists_objectives_and_the_modal_stores_the_answer(
    org, engine, clock, app, slack, requests
):
    clock.set("2026-11-30T12:00:00+00:00")
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["U1"], clock())
        session.commit()
    clock.set("2026-12-01T04:30:00+00:00")
    Sender(engine, lambda _w: app.client, clock).drain()
    [dm] = [
        c
        for c in slack.of("chat.postMessage")
        if "what we want to achieve" in json.dumps(c.params["blocks"])
    ]
    assert "Launch in the EU" in json.dumps(dm.params["blocks"])
    requests.action("strategy_open", "reflect", user="U1")
    view = slack.of("views.open")[-1].params["view"]
    assert view["callback_id"] == "strategy_modal"
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert "How might your role move it?" in labels
    reply = requests.submit(view, reflection_values(["eu-launch"]), user="U1")
    assert reply.status == 200
    with Session(engine) as session:
        row = session.exec(select(Reflection)).one()
    assert row.user_id == "U1" and row.objective_keys == ["eu-launch"]
    assert row.how == "I build the EU payment rails" and row.phrasing == 0
    [thanks] = slack.of("chat.update")  # the DM turns into a thank-you
    assert thanks.params["ts"] == "1700000000.000001" and "saved" in thanks.params["text"]
    assert slack.of("views.publish") == []  # Home is rebuilt when opened, not from a DM


def test_phrasing_rotates_and_the_last_progress_is_quoted_back(org, engine, clock, slack, requests):
    for turn in range(3):
        requests.action("strategy_open", "home", user="U1")
        view = slack.of("views.open")[-1].params["view"]
        assert json.loads(view["private_metadata"])["phrasing"] == turn % strategy.phrasing_count()
        if turn:
            assert f"“progress {turn - 1}”" in json.dumps(view["blocks"], ensure_ascii=False)
        requests.submit(
            view, reflection_values(["retention"], progress=f"progress {turn}"), user="U1"
        )
    with Session(engine) as session:
        phrasings = [r.phrasing for r in session.exec(select(Reflection).order_by(Reflection.id))]
    assert all(a != b for a, b in zip(phrasings, phrasings[1:], strict=False))


def test_reflect_from_home_by_someone_in_no_team_answers_in_a_small_modal(org, slack, requests):
    requests.home_action("strategy_open", "home", user="UOUTSIDE")
    [notice] = [c.params["view"] for c in slack.of("views.open")]
    assert "not in any team" in json.dumps(notice) and "callback_id" not in notice


def test_the_managers_name_is_escaped_in_the_who_sees_line(engine, clock, slack, requests):
    people = [
        {**p, "real_name": "Maria <!channel> & Co"} if p["user_id"] == "UMGR" else p for p in PEOPLE
    ]
    seed_org(engine, ORG, people)
    requests.action("strategy_open", "home", user="U1")
    requests.command("/checkin", user="U1")  # the check-in modal has the same line
    lines = [
        json.dumps(c.params["view"])
        for c in slack.of("views.open")
        if "sees your" in json.dumps(c.params["view"])
    ]
    assert len(lines) == 2
    for text in lines:
        assert "Maria &lt;!channel&gt; &amp; Co" in text and "<!channel>" not in text


def test_a_reflection_needs_an_objective_or_words_and_bad_input_changes_nothing(
    org, engine, slack, requests
):
    requests.action("strategy_open", "home", user="U1")
    view = slack.of("views.open")[-1].params["view"]
    reply = requests.submit(view, reflection_values([], how=""), user="U1")
    errors = reply.json()["errors"]
    assert set(errors) == {"objectives", "how"}
    reply = requests.submit(view, reflection_values(["nope"]), user="U1")
    assert "objectives" in reply.json()["errors"]
    with Session(engine) as session:
        assert session.exec(select(Reflection)).all() == []


def test_reask_on_a_changed_objective_reaches_those_who_named_it_once(org, engine, clock):
    clock.set("2026-11-24T12:00:00+00:00")
    with Session(engine) as session:
        session.add(
            Reflection(
                workspace_id=TEAM,
                user_id="U1",
                objective_keys=["eu-launch"],
                how="x",
                progress="y",
                created_at=clock(),
            )
        )
        session.add(
            Reflection(
                workspace_id=TEAM,
                user_id="U2",
                objective_keys=["retention"],
                how="x",
                progress="y",
                created_at=clock(),
            )
        )
        session.commit()
        change = [strategy.ObjectiveChange("eu-launch", "Launch in Europe", "retitled")]
        made = strategy.reask(session, TEAM, change, {"U1", "U2", "UMGR"}, clock())
        again = strategy.reask(session, TEAM, change, {"U1", "U2", "UMGR"}, clock())
        session.commit()
    assert (made, again) == (1, 0)
    [row] = strategy_rows(engine, "U1")
    assert row.kind == "reask" and "renamed: Launch in Europe" in row.note
    # Next working morning in Kolkata: Wednesday 09:00 IST.
    assert row.due_at == datetime(2026, 11, 25, 3, 30, tzinfo=UTC)
    assert strategy_rows(engine, "U2") == []


def test_a_new_objective_reasks_everyone_at_their_next_working_morning(org, engine, clock):
    clock.set("2026-11-27T18:00:00+00:00")  # Friday evening in Berlin
    with Session(engine) as session:
        change = [strategy.ObjectiveChange("ai", "Use AI well", "added")]
        assert strategy.reask(session, TEAM, change, {"U1", "U2", "UMGR"}, clock()) == 3
        session.commit()
    [row] = strategy_rows(engine, "UMGR")
    assert row.due_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 09:00 Berlin


def test_a_reask_after_many_changes_keeps_its_note_within_the_column(org, engine, clock):
    clock.set("2026-11-24T12:00:00+00:00")
    changes = [
        strategy.ObjectiveChange(f"o{i}", "A long objective title " * 3, "added") for i in range(30)
    ]
    with Session(engine) as session:
        strategy.reask(session, TEAM, changes, {"U1"}, clock())
        session.commit()
    [row] = strategy_rows(engine, "U1")
    assert len(row.note) == 500 and row.note.endswith("…")
