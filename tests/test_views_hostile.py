"""Every view and message builder, fed large and hostile data, passes Slack's Block Kit rules.

The org: 200 members in one team, 30 objectives with 150-character titles, 1,500-character
answers, names with `&<>*_~`, mentions and emoji, and a second workspace with the same user
ids. Each builder's output goes through the checks the test fake applies to every call
(bot/standin/blockkit.py), so what passes here is what Slack accepts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from bot.checkin import views as checkin
from bot.concerns import answer_views as concern_answer
from bot.concerns import thread_views as concern_thread
from bot.concerns import views as concern
from bot.concerns.audience import Audience, Described
from bot.concerns.rules import Draft, Receipt
from bot.digest import delivery as digests
from bot.digest import views as digest_views
from bot.home import views as home_views
from bot.home.gather import gather
from bot.org.config import OrgConfig, Schedule
from bot.org.plan import load_config
from bot.setup import schedule_views as admin_schedule
from bot.setup import views as admin
from bot.standin.blockkit import check_message, check_view
from bot.strategy import views as strategy
from bot.views.kit import notice_modal
from bot.workspace import yourdata_views as yourdata
from bot.workspace.forget import Forgotten
from storage.models import Checkin, Concern, ConcernNote, Reflection
from tests.conftest import TEAM, seed_org

OTHER_WORKSPACE = "T0002"
HOSTILE = "&<b>*bold*_it_~x~ <@U1> <!here> `code` > quote 🎉🚀"
MEMBERS = [f"U{index:03d}" for index in range(200)]
WEEK = "2026-W48"
DIGEST_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def long(text: str, size: int) -> str:
    return (text + " ") * (size // (len(text) + 1)) + text[: size % (len(text) + 1)]


TITLE = long(HOSTILE, 150)
ANSWER = long(HOSTILE, 1500)
ORG: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "admins": ["UADMIN"],
    "leaders": ["UCEO", "UCFO"],
    "leadership_channel": "C0LEADERS",
    "objectives": [
        {"key": f"objective-{index}", "title": TITLE, "description": long(HOSTILE, 500)}
        for index in range(30)
    ],
    "teams": [
        {"key": "big", "name": TITLE, "manager": "UMGR", "members": MEMBERS},
        *(
            {
                "key": f"team-{index}",
                "name": long(HOSTILE, 150),
                "manager": f"UM{index:02d}",
                "members": [f"UX{index:02d}{n}" for n in range(6)],
                "parent": "big",
            }
            for index in range(25)
        ),
    ],
}
PEOPLE = [
    {"user_id": user, "real_name": f"{HOSTILE} {user}", "tz": "Europe/Berlin"}
    for user in [*MEMBERS, "UMGR", "UADMIN", "UCEO", "UCFO"]
    + [f"UM{index:02d}" for index in range(25)]
]


def assert_view(view: dict[str, Any]) -> None:
    assert check_view(view) == [], view.get("callback_id")


def assert_message(text: str, blocks: list[dict[str, Any]]) -> None:
    assert check_message({"text": text, "blocks": blocks}) == []


@pytest.fixture
def org(engine) -> OrgConfig:
    config = seed_org(engine, ORG, PEOPLE)
    seed_org(engine, ORG, PEOPLE, workspace_id=OTHER_WORKSPACE)
    with Session(engine) as session:
        for workspace in (TEAM, OTHER_WORKSPACE):
            for index, user in enumerate(MEMBERS):
                for period in ("2026-W45", "2026-W46", "2026-W47", WEEK):
                    session.add(
                        Checkin(
                            workspace_id=workspace,
                            user_id=user,
                            period=period,
                            team_key="big",
                            manager_id="UMGR",
                            status="answered",
                            moved=ANSWER,
                            blocked=ANSWER,
                            learned=ANSWER,
                            energy=1 + index % 5,
                            helped_users=MEMBERS[index + 1 : index + 4],
                            helped_text=ANSWER,
                            objective_key=f"objective-{index % 30}",
                        )
                    )
                session.add(
                    Reflection(
                        workspace_id=workspace,
                        user_id=user,
                        objective_keys=[f"objective-{index % 30}", f"objective-{index % 7}"],
                        other=ANSWER,
                        how=ANSWER,
                        progress=ANSWER,
                        help=ANSWER,
                    )
                )
        session.commit()
    return config


@pytest.fixture
def concerns(engine, org) -> list[Concern]:
    """Twelve delivered concerns of 3,000 characters, with follow-ups, to the big team."""
    made = []
    with Session(engine) as session:
        for index in range(12):
            item = Concern(
                workspace_id=TEAM,
                topic=("goals", "work", "culture", "other")[index % 4],
                text=long(HOSTILE, 3000),
                helps=long(HOSTILE, 1000),
                audience_kind="team" if index % 2 else "leadership",
                audience_team="big" if index % 2 else None,
                code_hash=f"{index:064d}",
                created_on=date(2026, 11, 20),
            )
            session.add(item)
            session.flush()
            for _ in range(3):
                session.add(
                    ConcernNote(
                        workspace_id=TEAM,
                        concern_id=item.id,
                        kind="followup",
                        text=long(HOSTILE, 3000),
                        created_on=date(2026, 11, 25),
                    )
                )
            made.append(item)
        session.commit()
        for item in made:
            session.refresh(item)
    return made


@pytest.mark.parametrize("user", ["UMGR", "U000", "UADMIN", "UCEO", "UM03", "UNKNOWN"])
def test_app_home_fits_slack_for_every_role(engine, org, concerns, user):
    with Session(engine) as session:
        data = gather(session, TEAM, user, DIGEST_AT)
    view = home_views.home_view(data, raise_action=concern.RAISE, check_action=concern.CHECK)
    assert_view(view)
    assert len(view["blocks"]) <= 100


def test_every_see_all_list_fits_a_modal():
    assert_view(home_views.list_modal(TITLE, TITLE, [ANSWER] * 400))


def test_every_admin_modal_and_form_fits_slack(org):
    config = org
    assert_view(admin.refused_modal())
    assert_view(admin.objectives_modal(config.objectives))
    assert_view(admin.objective_form(None))
    for objective in config.objectives[:3]:
        assert_view(admin.objective_form(objective))
    assert_view(admin.teams_modal(config.teams))
    assert_view(admin.team_form(None, config.teams))
    for team in config.teams[:3]:
        assert_view(admin.team_form(team, config.teams))
    assert_view(admin.leaders_modal(config))
    assert_view(admin_schedule.schedule_modal(config))
    assert_view(admin_schedule.schedule_modal(config, "big"))


def test_every_manager_digest_fits_in_messages(engine, org, concerns):
    with Session(engine) as session:
        config = load_config(session, TEAM)
        for manager, preview in (("UMGR", False), ("UMGR", True), ("UM04", False)):
            composed = digests.compose_manager(
                session,
                config,
                TEAM,
                manager,
                WEEK,
                digest_at=None if preview else DIGEST_AT,
                preview=preview,
            )
            parts = digest_views.split_messages(composed.blocks)
            assert parts
            for part in parts:
                assert_message("Your weekly digest", part)


def test_the_leadership_digest_fits_in_messages(engine, org, concerns):
    with Session(engine) as session:
        config = load_config(session, TEAM)
        composed = digests.compose_leadership(session, config, TEAM, WEEK, DIGEST_AT)
    for part in digest_views.split_messages(composed.blocks):
        assert_message("The leadership digest", part)


def test_the_reply_privately_modal_fits_with_a_long_quote():
    assert_view(digest_views.reply_modal(HOSTILE, "ref", quote=ANSWER, refusal=HOSTILE))
    assert_view(digest_views.reply_modal(None, "ref", refusal=ANSWER))


def test_check_in_messages_and_modal_fit_prefilled_with_long_answers(org):
    for welcome, reminder in ((True, None), (False, HOSTILE)):
        assert_message(*checkin.nudge_message(WEEK, welcome=welcome, reminder=reminder))
    assert_message(*checkin.done_message(WEEK, ANSWER, editable=True))
    assert_message(*checkin.skipped_message(WEEK))
    answer = checkin.Answer(
        moved=ANSWER,
        blocked=ANSWER,
        energy=3,
        learned=ANSWER,
        helped_users=tuple(MEMBERS[:50]),
        helped_text=ANSWER,
        objective_key="objective-29",
    )
    objectives = [(o.title, o.key) for o in org.objectives]
    for late in (False, True):
        view = checkin.checkin_modal(
            WEEK,
            answer=answer,
            who_sees=HOSTILE,
            objectives=objectives,
            last_blocker=ANSWER,
            late=late,
            until=int(DIGEST_AT.timestamp()),
        )
        assert_view(view)


def test_reflection_message_and_modal_fit_with_thirty_long_objectives(org):
    objectives = org.objectives
    assert_message(*strategy.reflection_message(objectives))
    assert_message(*strategy.reflection_message(objectives, note=ANSWER))
    previous = strategy.ReflectionAnswer(
        objective_keys=("objective-1", "objective-2"),
        other=ANSWER,
        how=ANSWER,
        progress=ANSWER,
        help=ANSWER,
        picked_other=True,
    )
    for phrasing in range(3):
        view = strategy.reflection_modal(
            objectives,
            phrasing=phrasing,
            who_sees=HOSTILE,
            quote_back=ANSWER,
            previous=previous,
        )
        assert_view(view)


def test_every_concern_view_fits_with_the_longest_words(concerns):
    long_draft = Draft(topic="culture", choice="manager", text=long(HOSTILE, 3000), helps=ANSWER)
    assert_view(concern.compose_modal())
    assert_view(concern.blank_compose_modal())
    assert_view(concern.compose_modal(long_draft, flagged=[HOSTILE] * 30))
    described = Described(
        manager=HOSTILE, team=TITLE, schedule=Schedule(), zone=ZoneInfo("Europe/Berlin")
    )
    for rolled_up in (False, True):
        receipt = Receipt(
            code="ABCD-EFGH-JKLM-NOPQ",
            audience=Audience.team("big"),
            rolled_up=rolled_up,
            described=described,
            digest_at=DIGEST_AT,
        )
        assert_view(concern.receipt_modal(receipt))
    assert_view(concern.lookup_modal())
    assert_view(concern.lookup_modal(HOSTILE))
    item = concerns[1]
    notes = [
        ConcernNote(
            workspace_id=TEAM,
            concern_id=item.id,
            kind=kind,
            text=long(HOSTILE, 3000),
            status="not_changing" if kind == "status" else None,
            user_id="UMGR" if kind != "followup" else None,
            created_on=date(2026, 11, 26),
            delivered_on=date(2026, 11, 28) if kind != "followup" else None,
        )
        for kind in ("reply", "status", "followup") * 4
    ]
    view = concern_thread.thread_modal(
        item,
        notes,
        code="ABCD-EFGH-JKLM-NOPQ",
        who=HOSTILE,
        names={"UMGR": HOSTILE},
        next_digest=HOSTILE,
        notice=HOSTILE,
    )
    assert_view(view)
    blocks = [
        block
        for index, each in enumerate(concerns)
        for block in concern_answer.concern_blocks(each, tuple(notes[2::3]), new=index % 2 == 0)
    ]
    for part in digest_views.split_messages(blocks):
        assert_message("Concerns", part)
    assert_view(concern_answer.reply_modal(item))
    assert_view(concern_answer.why_modal(item))
    assert_view(concern_answer.saved_modal(ANSWER))


def test_your_data_modals_and_notices_fit():
    assert_view(yourdata.forget_modal())
    done = Forgotten(checkins=10_000, reflections=10_000, mentions=10_000, cancelled=10_000)
    for stopped in (False, True):
        assert_view(yourdata.forgotten_modal(done, stopped=stopped))
    assert_view(notice_modal(long(HOSTILE, 3000), title=TITLE))


def test_the_other_workspace_renders_on_its_own(engine, org):
    with Session(engine) as session:
        data = gather(session, OTHER_WORKSPACE, "UMGR", DIGEST_AT + timedelta(days=1))
    view = home_views.home_view(data, raise_action=concern.RAISE, check_action=concern.CHECK)
    assert_view(view)
