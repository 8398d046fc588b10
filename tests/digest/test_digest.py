"""The weekly manager digest: content for a realistic week, limits, energy, late answers."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot.digest import delivery as digests
from bot.digest import summary as weekly
from bot.digest.views import as_text, split_messages
from bot.org.plan import load_config
from bot.workspace.forget import forget_person
from storage.models import Checkin, Delivery, Membership, Reflection, TeamEnergy
from tests.conftest import TEAM, seed_org

MEMBERS = ["U1", "U2", "U3", "U4", "U5", "U6"]
ORG = {
    "timezone": "Europe/Berlin",
    "objectives": [
        {"key": "eu-launch", "title": "Launch in the EU"},
        {"key": "retention", "title": "Keep customers"},
        {"key": "hiring", "title": "Hire well"},
    ],
    "teams": [
        {"key": "platform", "name": "Platform", "manager": "UMGR", "members": MEMBERS},
        {
            "key": "mobile",
            "name": "Mobile",
            "manager": "UM2",
            "members": ["U7"],
            "parent": "platform",
        },
    ],
}
NAMES = {
    "UMGR": "Maria",
    "UM2": "Mo",
    "U1": "Ana",
    "U2": "Ben",
    "U3": "Cem",
    "U4": "Dana",
    "U5": "Eli",
    "U6": "Finn",
    "U7": "Gus",
}
PEOPLE = [{"user_id": u, "real_name": n, "tz": "Europe/Berlin"} for u, n in NAMES.items()]
WEEK = "2026-W48"
DIGEST_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 10:00 Berlin


def sent_nudge(session, user_id, period):
    session.add(
        Delivery(
            workspace_id=TEAM,
            subject=user_id,
            kind="nudge",
            period=period,
            channel=user_id,
            due_at=DIGEST_AT,
            expires_at=DIGEST_AT,
            status="sent",
            ts="1.1",
        )
    )


def answer(session, user_id, period, **fields):
    fields.setdefault("energy", 4)
    session.add(
        Checkin(
            workspace_id=TEAM,
            user_id=user_id,
            period=period,
            team_key="platform",
            manager_id=fields.pop("manager_id", "UMGR"),
            status=fields.pop("status", "answered"),
            **fields,
        )
    )


@pytest.fixture
def week(engine):
    """A realistic week: five answers, a skip, a quiet person, a late answer, reflections."""
    seed_org(engine, ORG, PEOPLE)
    with Session(engine) as session:
        for period in ("2026-W46", "2026-W47", WEEK):
            for user_id in MEMBERS:
                sent_nudge(session, user_id, period)
        answer(
            session,
            "U1",
            WEEK,
            moved="Shipped the <!channel> importer",
            blocked="Legal review",
            energy=2,
            helped_users=["U2"],
            helped_text="pairing",
        )
        answer(session, "U1", "2026-W47", blocked="Legal review")
        answer(session, "U2", WEEK, moved="Fixed the build", energy=5, learned="Ask earlier")
        answer(session, "U3", WEEK, moved="Wrote docs", energy=3)
        answer(session, "U4", WEEK, energy=4)
        answer(session, "U5", "2026-W47", moved="Late but here", energy=1, late=True)
        answer(session, "U6", WEEK, status="skipped", energy=None)
        session.add(
            Reflection(
                workspace_id=TEAM,
                user_id="U1",
                objective_keys=["eu-launch"],
                how="payments",
                progress="First market live",
            )
        )
        session.add(
            Reflection(
                workspace_id=TEAM,
                user_id="U2",
                objective_keys=["eu-launch"],
                how="infra",
                progress="Latency under 100 ms in Frankfurt",
            )
        )
        session.commit()
    return engine


def compose(engine, label=WEEK, manager="UMGR", **kwargs):
    with Session(engine) as session:
        config = load_config(session, TEAM)
        return digests.compose_manager(
            session,
            config,
            TEAM,
            manager,
            label,
            digest_at=kwargs.pop("digest_at", DIGEST_AT),
            **kwargs,
        )


def test_a_realistic_week_reads_as_leadership_with_quotes_and_team_figures(week):
    text = as_text(compose(week).blocks)
    assert "Participation:* 5 of 6 checked in" in text  # U5's late answer counts, U6 skipped
    assert "Late but here" in text
    assert not re.search(r"\blate\b", text.lower().replace("late but here", ""))
    assert "“Shipped the <!channel> importer” — Ana" in text
    assert "• *Launch in the EU* — 2 connect their role to it" in text
    assert "“Latency under 100 ms in Frankfurt” — Ben" in text
    assert "• *Keep customers* — nobody connects their role to it yet" in text
    assert "“Legal review” — Ana _(blocking for 2 weeks)_" in text
    assert "Ana ↔ Ben — “pairing”" in text  # lead others: who helped whom
    assert "Conversations worth having" in text
    assert "Ana* has been blocked for 2 weeks" in text
    assert "Teams under Platform" in text and "*Mobile*: 0 of 0" in text


def test_user_text_is_escaped_in_the_blocks_slack_receives(week):
    blocks = json.dumps(compose(week).blocks)
    assert "&lt;!channel&gt;" in blocks and "<!channel>" not in blocks


def test_energy_is_a_distribution_only_with_five_answers_and_never_per_person(week):
    blocks = compose(week).blocks
    energy = [
        b["text"]["text"]
        for b in blocks
        if b["type"] == "section" and b["text"]["text"].startswith("*Energy*")
    ]
    assert energy and "(5 answers)" in energy[0]
    assert "Running on empty 1" in energy[0] and "Full of energy 1" in energy[0]
    for name in NAMES.values():
        assert name not in energy[0]
    with Session(week) as session:  # one answer fewer, in a week no digest has shown yet
        session.delete(
            session.exec(
                __import__("sqlmodel").select(Checkin).where(Checkin.user_id == "U4")
            ).one()
        )
        for kept in session.exec(__import__("sqlmodel").select(TeamEnergy)):
            session.delete(kept)
        session.commit()
    text = as_text(compose(week).blocks)
    assert "Energy*" not in text and "shown once at least 5 people answer" in text


def test_a_past_weeks_energy_never_changes_when_someone_leaves_the_team(week):
    def trend() -> str | None:
        with Session(week) as session:
            config = load_config(session, TEAM)
            return weekly.team_digest(session, config, TEAM, "platform", WEEK).energy_trend

    before = trend()
    assert before is not None and before[-1] != "·"  # W48: five answers, U5's late one too
    with week.begin() as connection:  # Eli leaves: comparing digests must not reveal them
        connection.execute(sa.delete(Membership).where(Membership.user_id == "U5"))
    assert trend() == before


def test_someone_not_heard_from_for_two_weeks_is_a_conversation_not_a_list(week):
    text = as_text(compose(week, label="2026-W47").blocks)
    # W47: U3, U4 and U6 said nothing in W46 or W47.
    assert "haven't heard from *Cem* in 2 weeks" in text
    assert "missed" not in text.lower()


def test_an_empty_week_still_gets_a_short_digest_that_says_so(week):
    text = as_text(compose(week, label="2026-W40").blocks)
    assert "Nothing to report from Platform this week" in text


def test_a_preview_has_no_concerns_and_no_energy(week):
    text = as_text(compose(week, digest_at=None, preview=True).blocks)
    assert "Energy" not in text and "Concerns for you" not in text
    assert "Preview of the week so far" in text


def test_a_long_digest_is_split_within_50_blocks_in_a_stable_order_and_nothing_is_cut(engine):
    members = [f"U{i:03d}" for i in range(60)]
    objectives = [{"key": f"o{i}", "title": f"Objective {i}"} for i in range(20)]
    seed_org(
        engine,
        {
            "objectives": objectives,
            "teams": [{"key": "big", "name": "Big", "manager": "UMGR", "members": members}],
        },
        [{"user_id": "UMGR", "real_name": "M"}]
        + [{"user_id": m, "real_name": f"P{m}"} for m in members],
    )
    with Session(engine) as session:
        for index, member in enumerate(members):
            session.add(
                Checkin(
                    workspace_id=TEAM,
                    user_id=member,
                    period=WEEK,
                    team_key="big",
                    manager_id="UMGR",
                    status="answered",
                    moved=f"win {index} " + "w" * 250,
                    blocked=f"block {index}",
                    energy=3,
                )
            )
            session.add(
                Reflection(
                    workspace_id=TEAM,
                    user_id=member,
                    objective_keys=[f"o{index % 20}"],
                    how="h",
                    progress="p" * 300,
                )
            )
        session.commit()
    composed = compose(engine)
    parts = split_messages(composed.blocks)
    assert len(parts) > 1
    assert all(len(part) <= 50 for part in parts)
    for block in (b for part in parts for b in part):
        for text in _texts(block):
            assert len(text) <= 3000
    flat = json.dumps(parts)
    positions = [flat.index(f"win {i} ") for i in range(60)]
    assert positions == sorted(positions)  # stable order, every win present
    assert all(f"block {i}" in flat for i in range(60))
    assert "part 2 of" in flat
    assert split_messages(compose(engine).blocks) == parts


def _texts(block):
    if "text" in block and isinstance(block["text"], dict):
        yield block["text"]["text"]
    for element in block.get("elements", []):
        if isinstance(element, dict) and "text" in element and isinstance(element["text"], str):
            yield element["text"]


def test_the_digest_is_planned_once_per_manager_at_their_local_digest_time(week, clock):
    clock.set("2026-11-25T12:00:00+00:00")
    with Session(week) as session:
        config = load_config(session, TEAM)
        first = digests.plan_manager_digest(session, config, TEAM, "UMGR", clock())
        again = digests.plan_manager_digest(session, config, TEAM, "UMGR", clock())
        session.commit()
        row = session.exec(
            __import__("sqlmodel").select(Delivery).where(Delivery.kind == "digest")
        ).one()
    assert (first, again) == (1, 0)
    assert row.period == WEEK and row.due_at == DIGEST_AT
    assert row.expires_at == DIGEST_AT + timedelta(weeks=1)


# --- energy that could tell one person's answer (issue 17) ------------------------


def energies(engine, period: str, levels: list[int]) -> None:
    with Session(engine) as session:
        for user_id, level in zip(MEMBERS, levels, strict=False):
            answer(session, user_id, period, moved="m", energy=level)
        session.commit()


def test_energy_everyone_answered_alike_is_not_shown_nor_its_trend_point(engine):
    seed_org(engine, ORG, PEOPLE)
    energies(engine, "2026-W47", [4, 4, 4, 4, 4])  # five alike: each person's would be plain
    energies(engine, WEEK, [4, 4, 4, 4, 3])
    alike = as_text(compose(engine, label="2026-W47").blocks)
    assert "Energy*" not in alike and "everyone answered alike" in alike
    with Session(engine) as session:
        config = load_config(session, TEAM)
        digest = weekly.team_digest(session, config, TEAM, "platform", WEEK)
    assert digest.energy == {1: 0, 2: 0, 3: 1, 4: 4, 5: 0}
    assert digest.energy_trend.endswith("·▆")  # W47 hidden, W48 shown (3.8)
    assert weekly.energy([], 5) is None


def test_a_forgotten_persons_past_week_keeps_the_energy_a_digest_showed(engine, clock):
    seed_org(engine, ORG, PEOPLE)
    energies(engine, "2026-W47", [1, 2, 3, 4, 5])
    energies(engine, WEEK, [3, 3, 4, 4, 5])

    def trend() -> str | None:
        with Session(engine) as session:
            config = load_config(session, TEAM)
            return weekly.team_digest(session, config, TEAM, "platform", WEEK).energy_trend

    shown = trend()
    assert shown.endswith("▅▆")  # W47 averages 3, W48 3.8
    with Session(engine) as session:
        forget_person(session, TEAM, "U1", clock(), stop=True)  # their 1 in W47, 3 in W48
        assert session.exec(select(TeamEnergy)).all()  # kept as team figures, no person
    assert trend() == shown
    week_again = as_text(compose(engine).blocks)
    assert "(5 answers)" in week_again  # the week's own distribution, as first shown


# --- quoted words cannot imitate the digest's layout (issue 17) --------------------

FORMATTING = "*bold* _it_ ~gone~ `code`\n> *Blockers*\n• fake line"


def test_formatting_in_every_quoted_field_is_shown_as_text(engine):
    seed_org(engine, ORG, PEOPLE)
    with Session(engine) as session:
        for user_id in MEMBERS[:5]:
            answer(
                session,
                user_id,
                WEEK,
                moved=FORMATTING,
                blocked=FORMATTING,
                learned=FORMATTING,
                helped_text=FORMATTING,
                helped_users=["U2"],
            )
        session.add(
            Reflection(
                workspace_id=TEAM,
                user_id="U1",
                team_key="platform",
                manager_id="UMGR",
                objective_keys=["eu-launch"],
                how=FORMATTING,
                progress=FORMATTING,
            )
        )
        session.commit()
    texts = [
        value
        for block in compose(engine).blocks
        for value in re.findall(
            r'"text": "((?:[^"\\]|\\.)*)"', json.dumps(block, ensure_ascii=False)
        )
    ]
    quoted = [t for t in texts if "bold" in t]
    assert len(quoted) >= 5  # wins, blockers, learned, helped, alignment
    for text in quoted:
        assert not re.search(r"\*bold\*|_it_|~gone~|`code`", text), text
        assert "∗bold∗" in text and "ˍitˍ" in text and "∼gone∼" in text and "ˋcodeˋ" in text
        assert "\\n" not in text.split("bold", 1)[1].split("fake line", 1)[0]  # one line


def test_a_week_kept_by_another_process_first_is_read_not_overwritten(engine):
    """Two digests racing for the same week: the first kept counts stand for both."""
    from storage import queries

    with Session(engine) as session:
        first = queries.keep_team_energies(
            session=session,
            workspace_id=TEAM,
            team_key="platform",
            counts={"2026-W10": [0, 1, 2, 2, 0]},
        )
    with Session(engine) as session:
        second = queries.keep_team_energies(
            session=session,
            workspace_id=TEAM,
            team_key="platform",
            counts={"2026-W10": [5, 0, 0, 0, 0], "2026-W11": [1, 1, 1, 1, 1]},
        )
        stored = session.exec(select(TeamEnergy).order_by(TeamEnergy.period)).all()
    assert first == {"2026-W10": [0, 1, 2, 2, 0]}
    assert second == {"2026-W10": [0, 1, 2, 2, 0], "2026-W11": [1, 1, 1, 1, 1]}
    assert [(row.period, row.counts) for row in stored] == [
        ("2026-W10", [0, 1, 2, 2, 0]),
        ("2026-W11", [1, 1, 1, 1, 1]),
    ]
