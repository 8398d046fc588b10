"""The concern services without Slack: codes, the two-day hold, selection, limits, matching."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.concerns import identifying
from bot.concerns import rules as concerns
from bot.concerns.audience import LEADERSHIP, Audience, eligible, next_digest
from bot.concerns.identifying import NameMatcher, identifying_details, matcher_for
from bot.concerns.rules import Draft
from bot.concerns.throttle import Throttle
from bot.org.config import OrgConfig
from bot.setup.apply import apply_config
from storage.models import Concern, Person
from tests.concern_kit import ORG, PEOPLE, WRITER, deliver_all, digest_items
from tests.conftest import TEAM, seed_org

PLATFORM = Audience.team("platform")


@pytest.fixture
def config(engine) -> OrgConfig:
    return seed_org(engine, ORG, PEOPLE)


def raise_on(engine, clock, config, when: str, choice: str = "manager", text: str = "x"):
    clock.set(when)
    with Session(engine) as session:
        return concerns.submit(
            session,
            workspace_id=TEAM,
            config=config,
            user_id=WRITER,
            draft=Draft("work", choice, text),
            now=clock(),
        )


def selected(engine, audience: Audience, when: str) -> list[str]:
    digest_at = datetime.fromisoformat(when).astimezone(UTC)
    with Session(engine) as session:
        items = digest_items(session, audience, digest_at)
    return [item.concern.text for item in items]


# --- codes ----------------------------------------------------------------------------


def test_a_code_is_eighty_random_bits_in_four_groups_easy_to_copy(monkeypatch):
    asked: list[int] = []
    real = concerns.secrets.token_bytes
    monkeypatch.setattr(concerns.secrets, "token_bytes", lambda n: asked.append(n) or real(n))
    code = concerns.new_code()
    assert asked == [10]
    assert len(code) == 19 and code.count("-") == 3
    assert concerns.new_code() != code


def test_a_code_is_read_in_any_case_with_spaces_and_look_alike_digits():
    letters = "ABCDEFGHIJKLMNOP"
    assert concerns.normalise_code("abcd efgh-ijkl mnop") == letters
    assert concerns.normalise_code("ABCD-EFGH-1JKL-MN0P") == letters  # 1 → I, 0 → O
    assert concerns.normalise_code("ABCD-EFGH") is None
    assert concerns.normalise_code("ABCD-EFGH-IJKL-MNO9") is None


def test_only_the_sha256_of_the_code_is_stored(engine, clock, config):
    receipt = raise_on(engine, clock, config, "2026-11-27T12:00:00+00:00")
    letters = concerns.normalise_code(receipt.code)
    with Session(engine) as session:
        row = session.exec(select(Concern)).one()
        assert row.code_hash == hashlib.sha256(letters.encode()).hexdigest()
        assert concerns.find(session, workspace_id=TEAM, code=receipt.code.lower()) == row
        assert concerns.find(session, workspace_id="T0THER", code=receipt.code) is None
    assert letters not in str(row.model_dump())


# --- the two-day hold and digest-only selection -----------------------------------------


def test_a_concern_from_sunday_waits_for_the_digest_a_week_later(engine, clock, config):
    raise_on(engine, clock, config, "2026-11-29T22:00:00+00:00", text="sunday")
    assert selected(engine, PLATFORM, "2026-11-30T09:00:00+00:00") == []
    assert selected(engine, PLATFORM, "2026-12-07T09:00:00+00:00") == ["sunday"]


def test_a_concern_from_saturday_night_reaches_mondays_digest_over_a_day_later(
    engine, clock, config
):
    receipt = raise_on(engine, clock, config, "2026-11-28T23:59:00+00:00", text="saturday")
    assert receipt.digest_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert selected(engine, PLATFORM, "2026-11-30T09:00:00+00:00") == ["saturday"]


def test_held_concerns_are_always_more_than_a_day_old():
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for hours in range(0, 24 * 14, 5):
        written = start + timedelta(hours=hours, minutes=59)
        for later in range(0, 24 * 5):
            digest_at = written + timedelta(hours=later)
            if eligible(written.date(), digest_at):
                assert digest_at - written > timedelta(hours=24)


def test_the_receipts_digest_date_is_the_first_that_may_carry_it(engine, clock, config):
    for day in range(23, 30):
        receipt = raise_on(engine, clock, config, f"2026-11-{day}T12:00:00+00:00")
        assert eligible(date(2026, 11, day), receipt.digest_at)
        assert not eligible(date(2026, 11, day), receipt.digest_at - timedelta(days=7))


def test_each_audience_receives_only_its_own_concerns(engine, clock, config):
    raise_on(engine, clock, config, "2026-11-27T12:00:00+00:00", "manager", "for maria")
    raise_on(engine, clock, config, "2026-11-27T12:00:00+00:00", "skip", "for victor")
    raise_on(engine, clock, config, "2026-11-27T12:00:00+00:00", "leadership", "for cleo")
    monday = "2026-11-30T09:00:00+00:00"
    assert selected(engine, PLATFORM, monday) == ["for maria"]
    assert selected(engine, Audience.team("eng"), monday) == ["for victor"]
    assert selected(engine, LEADERSHIP, monday) == ["for cleo"]
    assert selected(engine, Audience.team("mobile"), monday) == []


def test_a_concern_to_a_team_removed_since_goes_to_the_leadership_digest(engine, clock, config):
    raise_on(engine, clock, config, "2026-11-27T12:00:00+00:00", "manager", "for maria")
    without_platform = {**ORG, "teams": [t for t in ORG["teams"] if t["key"] != "platform"]}
    config = OrgConfig.model_validate(without_platform)
    with Session(engine) as session:  # re-imported without the team
        apply_config(session, TEAM, "Acme", config, clock())
        session.commit()
    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert selected(engine, LEADERSHIP, monday.isoformat()) == ["for maria"]
    deliver_all(engine, LEADERSHIP, monday)
    with Session(engine) as session:  # the leaders it was delivered to may answer it
        concern = session.exec(select(Concern)).one()
        assert concern.delivered_to == ["UCEO"]
        assert concerns.answerable(session, workspace_id=TEAM, ref=concern.ref, user_id="UCEO")


def test_a_delivered_concern_comes_again_only_with_new_follow_ups(engine, clock, config):
    receipt = raise_on(engine, clock, config, "2026-11-27T12:00:00+00:00", text="first")
    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    with Session(engine) as session:
        items = digest_items(session, PLATFORM, monday)
        concerns.mark_delivered(session, items=items, day=monday.date())
        concern = concerns.find(session, workspace_id=TEAM, code=receipt.code)
        assert concern.delivered_on == date(2026, 11, 30)
        concerns.add_followup(
            session, concern=concern, text="later", now=clock.set("2026-12-06T10:00:00+00:00")
        )
    assert selected(engine, PLATFORM, "2026-12-07T09:00:00+00:00") == []  # held two days
    with Session(engine) as session:
        [item] = digest_items(session, PLATFORM, datetime(2026, 12, 14, 9, tzinfo=UTC))
    assert not item.is_new and [note.text for note in item.followups] == ["later"]


def test_withdrawn_concerns_are_never_selected(engine, clock, config):
    receipt = raise_on(engine, clock, config, "2026-11-27T12:00:00+00:00", text="gone")
    with Session(engine) as session:
        concern = concerns.find(session, workspace_id=TEAM, code=receipt.code)
        assert concerns.withdraw(session, concern=concern)
        assert not concerns.withdraw(session, concern=concern)
    assert selected(engine, PLATFORM, "2026-11-30T09:00:00+00:00") == []


def test_next_digest_uses_the_managers_zone(engine, clock, config):
    receipt = raise_on(engine, clock, config, "2026-11-27T12:00:00+00:00")
    later = next_digest(receipt.described, date(2026, 11, 27), clock())
    assert later == receipt.digest_at
    assert str(receipt.described.zone) == "Europe/Berlin"


# --- limits -------------------------------------------------------------------------------


def test_the_daily_limit_counts_under_a_keyed_hash_that_holds_no_user_id():
    throttle = Throttle(3)
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    for _ in range(3):
        assert throttle.allows(TEAM, WRITER, now)
        throttle.record(TEAM, WRITER, now)
    assert not throttle.allows(TEAM, WRITER, now)
    assert throttle.allows(TEAM, "UP2", now)
    state = repr(vars(throttle)) + repr(list(throttle._events))
    assert WRITER not in state and TEAM not in state
    assert all(len(token) == 32 for token in throttle._events)  # HMAC-SHA256 digests
    key = throttle._key
    tomorrow = now + timedelta(hours=12)
    assert throttle.allows(TEAM, WRITER, tomorrow)
    assert throttle._key != key and len(throttle._key) == 32  # a new random key each day


def test_the_wrong_code_limit_is_a_sliding_hour():
    throttle = Throttle(5, timedelta(hours=1))
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    for minute in range(5):
        throttle.record(TEAM, WRITER, now + timedelta(minutes=minute))
    assert not throttle.allows(TEAM, WRITER, now + timedelta(minutes=59))
    assert throttle.allows(TEAM, WRITER, now + timedelta(minutes=60, seconds=1))


# --- identifying details ----------------------------------------------------------------------


NAMES = NameMatcher.build([("maria.m", "Maria Manager"), ("will", "Will Smith"), ("", "Ana")])


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("ping @maria about it", ["@maria"]),
        ("after <@U0123|maria> said so", ["<@U0123|maria>"]),
        ("write to ana@acme.com", ["ana@acme.com"]),
        ("on 2026-11-03 we", ["2026-11-03"]),
        ("on 3/11/2026 we", ["3/11/2026"]),
        ("on 3 March we", ["3 March"]),
        ("on March 3rd we", ["March 3rd"]),
        ("last Tuesday we", ["last Tuesday"]),
        ("yesterday we", ["yesterday"]),
        ("in my 1:1 she said", ["my 1:1"]),
        ("in my weekly one-on-one", ["my weekly one-on-one"]),
        ("as the only woman in the team", ["as the only woman"]),
        ("Maria Manager ignores it", ["Maria Manager"]),
        ("maria manager ignores it", ["maria manager"]),
        ("Ana is overloaded", ["Ana"]),
        ("ask maria.m", ["maria.m"]),
        ("I will not, we may stop", []),
        ("Meetings run over and nothing is decided.", []),
    ],
)
def test_identifying_details_are_flagged(text, flagged):
    assert identifying_details(text, NAMES) == flagged


def test_the_name_matcher_is_built_once_and_rebuilt_only_when_people_change(
    engine, config, monkeypatch
):
    built: list[int] = []
    real = NameMatcher.build.__func__

    def counting(cls, people):
        built.append(1)
        return real(cls, people)

    monkeypatch.setattr(NameMatcher, "build", classmethod(counting))
    monkeypatch.setattr(identifying, "_CACHE", {})
    with Session(engine) as session:
        first = matcher_for(session, TEAM)
        assert matcher_for(session, TEAM) is first
        assert len(built) == 1 and "Maria Manager".casefold() in first.phrases
        session.add(Person(workspace_id=TEAM, user_id="UNEW", real_name="Nora New"))
        session.commit()
        assert "nora new" in matcher_for(session, TEAM).phrases
    assert len(built) == 2
