"""The digests' charts: shared after the text into the same conversation, with alt text, drawn
from the digest's own figures, never from fewer answers than the group size allows, and never
shared twice or in the digest's way."""

from __future__ import annotations

import json
import logging

import pytest
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.digest import charts, drawing
from bot.digest import delivery as digests
from bot.digest.summary import Figure
from bot.org.plan import load_config
from bot.outbox.sender import Sender
from storage.models import Checkin, Delivery
from tests.conftest import TEAM, seed_org

MEMBERS = ["U1", "U2", "U3", "U4", "U5", "U6"]
ORG = {
    "timezone": "Europe/Berlin",
    "leaders": ["UCEO"],
    "leadership_channel": "C0LEADERS",
    "objectives": [{"key": "eu-launch", "title": "Launch in the EU"}],
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": MEMBERS}],
}
PEOPLE = [
    {"user_id": u, "real_name": f"Person {u}", "tz": "Europe/Berlin"}
    for u in ["UMGR", "UCEO", *MEMBERS]
]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def org(engine, clock):
    seed_org(engine, ORG, PEOPLE)
    clock.set("2026-11-26T12:00:00+00:00")  # Thursday
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["UMGR", *MEMBERS], clock())
        session.commit()
    return engine


def answers(engine, period, energies, objective=None):
    with Session(engine) as session:
        for user, level in zip(MEMBERS, energies, strict=False):
            session.add(
                Checkin(
                    workspace_id=TEAM,
                    user_id=user,
                    period=period,
                    team_key="platform",
                    manager_id="UMGR",
                    status="answered",
                    moved=f"Work of {user}",
                    energy=level,
                    objective_key=objective,
                )
            )
        session.commit()


def send_week(org, clock, app):
    clock.set("2026-11-27T13:00:00+00:00")  # Friday 14:00 Berlin: the nudges go out
    Sender(org, lambda _w: app.client, clock).drain()
    clock.set("2026-11-30T09:00:00+00:00")  # Monday 10:00 Berlin: the digests
    Sender(org, lambda _w: app.client, clock).drain()


def test_the_managers_charts_follow_the_digest_into_the_same_dm_with_alt_text(
    org, clock, app, slack
):
    answers(org, "2026-W47", [3, 4])  # two answers: below the group size, never drawn
    answers(org, "2026-W48", [1, 2, 4, 4, 5], objective="eu-launch")
    send_week(org, clock, app)
    shared = [f for f in slack.shared() if f["channel"] == "DMGR"]
    assert [f["filename"] for f in shared] == ["platform-participation.png", "platform-energy.png"]
    assert all(f["content"].startswith(PNG) for f in shared)
    assert shared[0]["comment"] and shared[1]["comment"] is None  # one line introduces them
    participation, energy = shared
    assert "2026-W48 5 of 6" in participation["alt"] and "2026-W47 2 of 2" in participation["alt"]
    assert "2026-W48 1, 1, 0, 2, 1" in energy["alt"] and "W47" not in energy["alt"]
    calls = [c.method for c in slack.calls]
    digest_at = next(
        i
        for i, c in enumerate(slack.calls)
        if c.method == "chat.postMessage" and c.params["channel"] == "UMGR"
    )
    assert calls.index("files.getUploadURLExternal") > digest_at  # the text never waits


def test_what_a_chart_draws_is_the_digests_own_figures(org, clock):
    answers(org, "2026-W47", [3, 4, 4, 5, 5])
    answers(org, "2026-W48", [1, 2, 4, 4, 5])
    with Session(org) as session:
        config = load_config(session, TEAM)
        composed = digests.compose_manager(
            session, config, TEAM, "UMGR", "2026-W48", digest_at=None
        )
        [team] = [digests.team_digest(session, config, TEAM, "platform", "2026-W48")]
    participation, energy = composed.charts
    assert participation.weeks == tuple(f.period for f in team.figures)
    assert participation.rows[0][1] == tuple(float(f.answered) for f in team.figures)
    assert participation.rows[1][1] == tuple(float(f.expected) for f in team.figures)
    assert energy.weeks == ("2026-W47", "2026-W48")
    drawn = {week: [row[1][i] for row in energy.rows] for i, week in enumerate(energy.weeks)}
    assert drawn == {
        week: [float(counts[level]) for level in range(1, 6)]
        for week, counts in team.energy_weeks.items()
        if counts
    }
    assert team.energy == {1: 1, 2: 1, 3: 0, 4: 2, 5: 1}  # the digest's text shows the same


def test_no_energy_chart_when_no_week_has_enough_answers_or_all_answered_alike(org, clock):
    answers(org, "2026-W47", [3, 4, 4])  # below the group size of five
    answers(org, "2026-W48", [4, 4, 4, 4, 4])  # all alike: it would tell each one's answer
    with Session(org) as session:
        config = load_config(session, TEAM)
        composed = digests.compose_manager(
            session, config, TEAM, "UMGR", "2026-W48", digest_at=None
        )
    assert [c.kind for c in composed.charts] == ["participation"]


def test_a_failed_upload_leaves_the_digest_and_a_retry_shares_only_the_missing_chart(
    org, clock, app, slack, caplog
):
    answers(org, "2026-W48", [1, 2, 4, 4, 5])
    failed = []

    def energy_fails_once(params):  # the file service fails the energy chart's upload once
        if params["filename"] == "platform-energy.png" and not failed:
            failed.append(params["file_id"])
            return {"_status": 500}
        return None

    slack.on["upload"] = energy_fails_once
    with caplog.at_level(logging.INFO):
        send_week(org, clock, app)
    assert [f["filename"] for f in slack.shared() if f["channel"] == "DMGR"] == [
        "platform-participation.png"
    ]
    to_manager = [
        c.params["text"] for c in slack.of("chat.postMessage") if c.params["channel"] == "UMGR"
    ]
    assert sum("Your week in leadership" in text for text in to_manager) == 1  # it went, once
    # said once, at warning level or above (here: Slack's file service is failing)
    [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "unavailable" in warning and "HTTPError" in warning
    clock.set("2026-11-30T10:00:00+00:00")  # past the retry's wait
    Sender(org, lambda _w: app.client, clock).drain()
    Sender(org, lambda _w: app.client, clock).drain()  # and again: nothing more
    assert [f["filename"] for f in slack.shared() if f["channel"] == "DMGR"] == [
        "platform-participation.png",
        "platform-energy.png",
    ]
    with Session(org) as session:
        row = session.exec(select(Delivery).where(Delivery.kind == "digest_charts")).one()
    assert row.status == "sent" and row.parts_sent == 2


def test_a_chart_that_cannot_be_drawn_is_left_out_with_a_warning(
    org, clock, app, slack, caplog, monkeypatch
):
    answers(org, "2026-W48", [1, 2, 4, 4, 5])
    draw = drawing.render

    def broken(chart):
        if chart.kind == "energy":
            raise ValueError("no fonts today")
        return draw(chart)

    monkeypatch.setattr(drawing, "render", broken)
    with caplog.at_level(logging.WARNING):
        send_week(org, clock, app)
    assert [f["filename"] for f in slack.shared() if f["channel"] == "DMGR"] == [
        "platform-participation.png"
    ]
    assert [r.getMessage() for r in caplog.records if "could not draw" in r.getMessage()] == [
        "could not draw the chart platform-energy.png of 2026-W48"
    ]


def test_the_leadership_charts_go_to_the_leadership_channel(org, clock, app, slack):
    answers(org, "2026-W48", [1, 2, 4, 4, 5], objective="eu-launch")
    send_week(org, clock, app)
    shared = [f for f in slack.shared() if f["channel"] == "C0LEADERS"]
    assert [f["filename"] for f in shared] == ["momentum.png", "participation-by-team.png"]
    momentum, heatmap = shared
    assert "Launch in the EU 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5" in momentum["alt"]
    assert "Platform 0/0, " in heatmap["alt"] and heatmap["alt"].endswith("5/6")
    text = json.dumps(
        [
            c.params["blocks"]
            for c in slack.of("chat.postMessage")
            if c.params["channel"] == "C0LEADERS"
        ]
    )
    assert "moved by 5 this week" in text and "*Platform*: 5 of 6 checked in" in text


def test_a_heatmap_of_many_teams_draws_the_20_largest_and_the_others_as_one_row():
    teams = [
        (f"Team {n}", [Figure(f"2026-W{37 + w}", n % 3, 3 + n) for w in range(12)])
        for n in range(25)
    ]
    chart = charts.heatmap(teams)
    names = [name for name, _ in chart.rows]
    assert len(names) == 21 and names[0] == "Team 24" and names[-1] == "5 other teams"
    others = chart.rows[-1][1][-1]
    small = [Figure("", n % 3, 3 + n) for n in range(5)]
    assert others == sum(f.answered for f in small) / sum(f.expected for f in small)
    assert len(chart.alt) <= charts.ALT_LIMIT and "more" in chart.alt
    assert drawing.render(chart).startswith(PNG)


def test_the_fake_refuses_alt_text_over_slacks_limit(app, slack):
    with pytest.raises(Exception, match="alt_txt_too_large"):
        app.client.files_upload_v2(
            channel="C0LEADERS", content=b"x", filename="x.png", alt_txt="a" * 1001
        )
    slack.refusals.clear()
