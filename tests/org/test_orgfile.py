"""Reading org files: every key, the defaults, and precise, line-numbered problems."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.org.file import OrgFileError, load_org

EVERY_KEY = """\
workspace: T0123456
timezone: Europe/Berlin
admins: [U0ADMIN]
leaders: [U0CEO, U0HR]
objectives:
  - {key: eu-launch, title: Launch in the EU, description: Live in three EU markets by Q3,
     archived: false}
teams:
  - key: engineering
    name: Engineering
    manager: U0CTO
  - key: platform
    name: Platform
    manager: U0MANAGER
    members: [U01, U02, someone@example.com]
    parent: engineering
    schedule:
      checkin: {day: thu, time: "15:00"}
schedule:
  checkin: {day: fri, time: "14:00"}
  reminder_after: 4h
  strategy: {every_weeks: 4, day: tue, time: "10:00"}
  digest: {day: mon, time: "10:00"}
working_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}
anonymity: {min_group_size: 5}
retention: {answers_days: 730, concerns_days: 365, after_uninstall_days: 30}
leadership_channel: C0LEADERS
"""

ONLY_TEAMS = """\
teams:
  - key: platform
    name: Platform
    manager: U0MANAGER
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(OrgFileError) as raised:
        load_org(text, "org.yml")
    return raised.value.problems


def test_a_file_with_every_key_loads_into_the_config() -> None:
    config = load_org(EVERY_KEY, "org.yml")
    assert config.workspace == "T0123456"
    assert config.admins == ["U0ADMIN"] and config.leaders == ["U0CEO", "U0HR"]
    assert config.objectives[0].description == "Live in three EU markets by Q3"
    platform = config.teams[1]
    assert platform.members == ["U01", "U02", "someone@example.com"]
    assert platform.parent == "engineering"
    assert config.schedule_of("platform").checkin.time == time(15, 0)
    assert config.schedule_of("engineering").checkin.day == "fri"
    assert config.schedule.reminder_after == timedelta(hours=4)
    assert config.working_hours.end == time(17, 0)
    assert config.anonymity.min_group_size == 5
    assert config.retention.after_uninstall_days == 30
    assert config.leadership_channel == "C0LEADERS"


def test_only_teams_gives_every_default() -> None:
    config = load_org(ONLY_TEAMS, "org.yml")
    assert config.workspace is None and config.timezone == "Europe/Berlin"
    assert config.admins == [] and config.leaders == [] and config.objectives == []
    assert (config.schedule.checkin.day, config.schedule.checkin.time) == ("fri", time(14, 0))
    assert (config.schedule.digest.day, config.schedule.digest.time) == ("mon", time(10, 0))
    assert config.working_hours.days == ["mon", "tue", "wed", "thu", "fri"]
    assert config.anonymity.min_group_size == 5
    assert config.teams[0].members == [] and config.teams[0].schedule is None


def test_an_unquoted_time_that_yaml_reads_as_a_number_still_loads() -> None:
    config = load_org(ONLY_TEAMS + "schedule: {checkin: {day: fri, time: 14:30}}\n", "org.yml")
    assert config.schedule.checkin.time == time(14, 30)


def test_the_example_org_file_loads() -> None:
    path = Path(__file__).parents[2] / "examples" / "org.yml"
    config = load_org(path.read_text(), str(path))
    assert [team.key for team in config.teams] == ["engineering", "platform", "mobile"]
    assert [q.key for q in config.questions_of("platform")][2:] == ["customer", "clarity", "paired"]
    assert [q.key for q in config.questions_of("mobile")] == ["moved", "blocked", "learned"]


def test_an_unknown_key_is_named_with_its_line_and_the_keys_allowed_there() -> None:
    [problem] = problems_of(ONLY_TEAMS + "    colour: blue\n")
    assert problem.startswith("org.yml:5 teams[0].colour: unknown key")
    assert "manager" in problem


def test_a_bad_time_is_named_with_its_line_and_key_path() -> None:
    [problem] = problems_of(ONLY_TEAMS + 'schedule:\n  checkin: {day: fri, time: "25:00"}\n')
    assert problem.startswith("org.yml:6 schedule.checkin.time: '25:00' is not a time")


def test_an_unknown_weekday_is_named_with_its_line() -> None:
    [problem] = problems_of(ONLY_TEAMS + "working_hours:\n  days: [mon, tue, fry]\n")
    assert problem.startswith("org.yml:6 working_hours.days[2]: 'fry' is not a weekday")


def test_a_key_given_twice_is_refused_although_yaml_would_keep_the_last() -> None:
    [problem] = problems_of("timezone: Europe/Berlin\n" + ONLY_TEAMS + "timezone: Asia/Tokyo\n")
    assert problem == "org.yml:6 timezone: this key is given twice (first on line 1)"


def test_two_teams_with_the_same_key_are_refused_naming_both_lines() -> None:
    [problem] = problems_of(ONLY_TEAMS + "  - {key: platform, name: Again, manager: U2}\n")
    assert problem.startswith("org.yml:5 teams[1].key: 'platform' is already the key of teams[0]")
    assert "(line 2)" in problem


def test_a_time_before_four_in_the_morning_is_refused() -> None:
    [problem] = problems_of(ONLY_TEAMS + "schedule: {digest: {day: mon, time: '02:00'}}\n")
    assert problem.startswith("org.yml:5 schedule.digest.time: 02:00 is refused")


def test_a_minimum_group_below_five_is_refused() -> None:
    [problem] = problems_of(ONLY_TEAMS + "anonymity:\n  min_group_size: 4\n")
    assert problem.startswith("org.yml:6 anonymity.min_group_size: must be at least 5")


def test_a_missing_team_name_points_at_the_team() -> None:
    [problem] = problems_of("teams:\n  - key: platform\n    manager: U1\n")
    assert problem == "org.yml:2 teams[0].name: is required"


def test_a_parent_that_is_no_team_points_at_the_parent_key() -> None:
    [problem] = problems_of(ONLY_TEAMS + "    parent: nowhere\n")
    assert problem.startswith("org.yml:5 teams[0].parent: team 'platform': parent 'nowhere'")


def test_several_problems_are_all_reported_in_line_order() -> None:
    problems = problems_of(
        "colour: blue\n" + ONLY_TEAMS + "schedule: {checkin: {day: fry, time: '9am'}}\n"
    )
    lines = [problem.split(" ")[0] for problem in problems]
    assert lines == ["org.yml:1", "org.yml:6", "org.yml:6"]


def test_broken_yaml_names_the_line() -> None:
    [problem] = problems_of("teams:\n  - key: platform\n    name: [Platform\n")
    assert problem.startswith("org.yml:4 is not valid YAML")


def test_an_empty_file_or_a_list_is_refused() -> None:
    assert "is empty" in problems_of("")[0]
    assert "must be a mapping" in problems_of("- teams\n")[0]
