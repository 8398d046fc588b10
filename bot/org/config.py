"""The org configuration: exactly the keys of the org file, validated and typed."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from functools import cache, cached_property
from typing import Annotated, Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

import prompts

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_GROUP_FLOOR = 5
_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """'30m', '4h', '3d', '2w' → timedelta; ValueError otherwise."""
    match = _DURATION.match(str(text))
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration like 30m, 4h, 3d or 2w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def format_duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    for suffix, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{suffix}"
    return f"{minutes}m"


def _clock_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 14:00 as the sexagesimal number 840.
        value = f"{value // 60:02d}:{value % 60:02d}"
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(value).strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f'{value!r} is not a time like "14:00"')
    return time(int(match.group(1)), int(match.group(2)))


def _daytime(value: Any) -> time:
    result = _clock_time(value)
    if result.hour < 4:
        raise ValueError(f"{result:%H:%M} is refused: pick a time from 04:00 to 23:59")
    return result


def _weekday(value: Any) -> str:
    day = str(value).strip().lower()[:3]
    if day not in WEEKDAYS or len(str(value).strip()) < 3:
        raise ValueError(f"{value!r} is not a weekday (mon, tue, wed, thu, fri, sat, sun)")
    return day


def _duration(value: Any) -> timedelta:
    return value if isinstance(value, timedelta) else parse_duration(value)


Weekday = Annotated[str, BeforeValidator(_weekday)]
DayTime = Annotated[time, BeforeValidator(_daytime), PlainSerializer(lambda t: f"{t:%H:%M}")]
ClockTime = Annotated[time, BeforeValidator(_clock_time), PlainSerializer(lambda t: f"{t:%H:%M}")]
Duration = Annotated[timedelta, BeforeValidator(_duration), PlainSerializer(format_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class At(_Strict):
    day: Weekday
    time: DayTime


class Strategy(_Strict):
    every_weeks: int = Field(default=4, ge=1, le=52)
    day: Weekday = "tue"
    time: DayTime = time(10, 0)


class Schedule(_Strict):
    checkin: At = At(day="fri", time=time(14, 0))
    reminder_after: Duration = timedelta(hours=4)
    strategy: Strategy = Strategy()
    digest: At = At(day="mon", time=time(10, 0))


class WorkingHours(_Strict):
    days: list[Weekday] = list(WEEKDAYS[:5])
    start: ClockTime = time(9, 0)
    end: ClockTime = time(17, 0)

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("end must be later than start")
        if not self.days:
            raise ValueError("name at least one working day")
        return self


class Anonymity(_Strict):
    min_group_size: int = MIN_GROUP_FLOOR

    @field_validator("min_group_size")
    @classmethod
    def _floor(cls, value: int) -> int:
        if value < MIN_GROUP_FLOOR:
            raise ValueError(
                f"must be at least {MIN_GROUP_FLOOR} (the floor that keeps people anonymous)"
            )
        return value


class Retention(_Strict):
    answers_days: int = Field(default=730, ge=1)
    concerns_days: int = Field(default=365, ge=1)
    after_uninstall_days: int = Field(default=30, ge=0)


DEFAULT_AWAY_EMOJI = (
    ":palm_tree:",
    ":beach_with_umbrella:",
    ":airplane:",
    ":face_with_thermometer:",
    ":baby:",
)
DEFAULT_AWAY_WORDS = (
    "vacation",
    "holiday",
    "out of office",
    "OOO",
    "sick",
    "on leave",
    "parental leave",
    "Urlaub",
)
_EMOJI = re.compile(r"^:?([a-z0-9_+'-]{1,80})(::skin-tone-[2-6])?:?$")


def _emoji(value: Any) -> str:
    """'palm_tree' or ':palm_tree:' → ':palm_tree:' (as Slack gives a status emoji)."""
    match = _EMOJI.match(str(value).strip().lower())
    if not isinstance(value, str) or not match:
        raise ValueError(f"{value!r} is not an emoji name like :palm_tree:")
    return f":{match.group(1)}:"


def _word(value: Any) -> str:
    text = " ".join(str(value).split()) if isinstance(value, str | int) else ""
    if not text or len(text) > 50:
        raise ValueError(f"{value!r} is not a word or phrase of 1 to 50 characters")
    return text


Emoji = Annotated[str, BeforeValidator(_emoji)]
Word = Annotated[str, BeforeValidator(_word)]


class Away(_Strict):
    """What in a Slack status says its person is away: an emoji, or a word in its text."""

    emoji: list[Emoji] = Field(default=list(DEFAULT_AWAY_EMOJI), max_length=50)
    words: list[Word] = Field(default=list(DEFAULT_AWAY_WORDS), max_length=50)


class Holidays(_Strict):
    """A country's public holidays (and a subdivision's), from the `holidays` package."""

    country: str
    subdivision: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _spelled(cls, data: Any) -> Any:
        """'de' → 'DE', and a subdivision in the package's own case ('by' → 'BY')."""
        if not isinstance(data, dict) or not isinstance(data.get("country"), str):
            return data
        country = data["country"].strip().upper()
        subdivision = data.get("subdivision")
        if isinstance(subdivision, str):
            known = {code.casefold(): code for code in _countries().get(country, [])}
            subdivision = known.get(subdivision.strip().casefold(), subdivision.strip())
        return {**data, "country": country, "subdivision": subdivision}

    @model_validator(mode="after")
    def _known(self) -> Holidays:
        supported = _countries()
        if self.country not in supported:
            raise ValueError(
                f"country {self.country!r} is not an ISO 3166 code the holidays package "
                "knows (such as DE, FR, US)"
            )
        if self.subdivision is not None and self.subdivision not in supported[self.country]:
            known = ", ".join(supported[self.country][:40]) or "none"
            raise ValueError(
                f"subdivision {self.subdivision!r} is not one of {self.country} (known: {known})"
            )
        return self


def _countries() -> dict[str, list[str]]:
    import holidays  # imported when a calendar is checked, not by every import of the config

    return holidays.list_supported_countries()


LENSES = ("work", "self", "others")
KINDS = ("short_text", "long_text", "single_choice", "multi_choice", "scale", "people")
CHOICES = ("single_choice", "multi_choice")
FIGURES = (*CHOICES, "scale")  # shown only as the team's distribution, never per person
TEXTS = ("short_text", "long_text")
# Today's answers kept in their own columns (wins, blockers, Reply privately, Raise read them).
COLUMN_KEYS = ("moved", "blocked", "learned")
# The built-in questions every check-in keeps, with their rules (energy; who helped whom).
RESERVED_KEYS = ("energy", "helped", "helped_users", "helped_text", "objective")
MAX_QUESTIONS = 10
MAX_OPTIONS = 10  # Slack's radio buttons and checkboxes take at most 10
OPTION_LIMIT = 75  # an option's text in Slack
QUESTION_LIMIT = 150
_QUESTION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_MENTION = re.compile(r"<[@!#]|@\w")


class QuestionSpec(_Strict):
    """One question of a team's check-in, in one of the three lenses.

    Privacy follows the kind: text and people answers are quoted with their writer's name;
    choice and scale answers are shown only as the team's distribution (FIGURES)."""

    key: str
    lens: str
    text: str
    kind: str
    options: list[str] = []
    required: bool = False

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        """Every refusal names the question's key, so the file (or editor) points at it."""
        if not isinstance(data, dict):
            raise ValueError("a question is a mapping with key, lens, text and kind")
        key = data.get("key")
        if not isinstance(key, str) or not _QUESTION_KEY.match(key):
            raise ValueError(
                f"question key {key!r} must be 1 to 32 lowercase letters, digits or _ "
                "(starting with a letter)"
            )
        at = f"question {key!r}"
        if key in RESERVED_KEYS:
            raise ValueError(f"{at}: {key!r} is kept for a built-in question; pick another key")
        lens, kind = data.get("lens"), data.get("kind")
        if lens not in LENSES:
            raise ValueError(f"{at}: lens {lens!r} is not one of work, self, others")
        if kind not in KINDS:
            raise ValueError(f"{at}: kind {kind!r} is not one of {', '.join(KINDS)}")
        text = data.get("text")
        if not isinstance(text, str) or not text.strip() or len(text.strip()) > QUESTION_LIMIT:
            raise ValueError(f"{at}: text must be 1 to {QUESTION_LIMIT} characters")
        if _MENTION.search(text):
            raise ValueError(f"{at}: a question can't name someone; ask about the writer's week")
        if key in COLUMN_KEYS and kind not in TEXTS:
            raise ValueError(f"{at}: {key!r} is a text question (short_text or long_text)")
        options = data.get("options") or []
        if not isinstance(options, list) or not all(isinstance(o, str | int) for o in options):
            raise ValueError(f"{at}: options must be a list of words")
        options = [" ".join(str(o).split()) for o in options]
        if kind in CHOICES and not 2 <= len(options) <= MAX_OPTIONS:
            raise ValueError(f"{at}: a choice needs 2 to {MAX_OPTIONS} options")
        if kind == "scale" and len(options) != 5:
            raise ValueError(f"{at}: a scale needs exactly 5 words, one per step (1 to 5)")
        if kind not in FIGURES and options:
            raise ValueError(f"{at}: only choice and scale questions have options")
        limit = OPTION_LIMIT - 5 if kind == "scale" else OPTION_LIMIT  # shown as "5 · word"
        if any(not o or len(o) > limit for o in options):
            raise ValueError(f"{at}: each option must be 1 to {limit} characters")
        if len(set(options)) != len(options):
            raise ValueError(f"{at}: an option is listed twice")
        required = data.get("required", False)
        if not isinstance(required, bool):
            raise ValueError(f"{at}: required is true or false")
        return {**data, "text": " ".join(text.split()), "options": options}

    @property
    def figure(self) -> bool:
        """A choice or scale: only ever a team distribution."""
        return self.kind in FIGURES


def _question_list(questions: list[QuestionSpec] | None) -> list[QuestionSpec] | None:
    """At most 10, keys unique, and the work lens never empty (energy keeps "self" and who
    helped whom keeps "others")."""
    if questions is None:
        return None
    if len(questions) > MAX_QUESTIONS:
        raise ValueError(
            f"has {len(questions)} questions; a check-in asks at most {MAX_QUESTIONS} "
            f"(question {questions[MAX_QUESTIONS].key!r} is one too many)"
        )
    seen: set[str] = set()
    for question in questions:
        if question.key in seen:
            raise ValueError(f"question {question.key!r} is listed twice")
        seen.add(question.key)
    if not any(q.lens == "work" for q in questions):
        raise ValueError("the lens 'work' (manage work) needs at least one question")
    return questions


Questions = Annotated[list[QuestionSpec] | None, AfterValidator(_question_list)]


class ObjectiveSpec(_Strict):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = Field(min_length=1, max_length=150)
    description: str = Field(default="", max_length=500)
    archived: bool = False


class TeamSpec(_Strict):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str = Field(min_length=1, max_length=150)
    manager: str = Field(min_length=1)
    members: list[str] = []
    parent: str | None = None
    schedule: Schedule | None = None
    holidays: Holidays | None = None  # instead of the organisation's
    days_off: list[date] = []  # besides the organisation's
    questions: Questions = None  # instead of the organisation's


class OrgConfig(_Strict):
    workspace: str | None = None
    timezone: str = "Europe/Berlin"
    admins: list[str] = []
    leaders: list[str] = []
    objectives: list[ObjectiveSpec] = []
    teams: list[TeamSpec]
    schedule: Schedule = Schedule()
    working_hours: WorkingHours = WorkingHours()
    anonymity: Anonymity = Anonymity()
    retention: Retention = Retention()
    leadership_channel: str | None = None
    away: Away = Away()
    holidays: Holidays | None = None
    days_off: list[date] = Field(default=[], max_length=366)
    questions: Questions = None  # None: leadbot's default template

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value not in _zones():
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin")
        return value

    @model_validator(mode="after")
    def _unique_and_linked(self) -> OrgConfig:
        for kind, items in (("objective", self.objectives), ("team", self.teams)):
            seen: set[str] = set()
            for item in items:
                if item.key in seen:
                    raise ValueError(f"duplicate {kind} key {item.key!r}")
                seen.add(item.key)
        keys = {team.key for team in self.teams}
        for team in self.teams:
            if team.parent is not None and team.parent not in keys:
                raise ValueError(
                    f"team {team.key!r}: parent {team.parent!r} is not a team in this file"
                )
            if len(set(team.members)) != len(team.members):
                raise ValueError(f"team {team.key!r}: a member is listed twice")
        _refuse_parent_cycles(self.teams)
        return self

    def everyone(self) -> set[str]:
        """Every manager and member of every team."""
        return {user_id for team in self.teams for user_id in (team.manager, *team.members)}

    def schedule_of(self, team_key: str) -> Schedule:
        return self._own_schedules.get(team_key, self.schedule)

    def calendar_of(self, team_key: str) -> tuple[Holidays | None, frozenset[date]]:
        """The team's public holidays (its own, else the organisation's) and its days off
        (the organisation's and its own)."""
        return self._calendars.get(team_key, (self.holidays, frozenset(self.days_off)))

    def questions_of(self, team_key: str) -> tuple[QuestionSpec, ...]:
        """The team's questions of today: its own, else the organisation's, else leadbot's."""
        own = self._own_questions.get(team_key)
        if own is not None:
            return own
        if self.questions is not None:
            return tuple(self.questions)
        return default_questions()

    @cached_property
    def _own_questions(self) -> dict[str, tuple[QuestionSpec, ...]]:
        return {team.key: tuple(team.questions) for team in self.teams if team.questions}

    @cached_property
    def _calendars(self) -> dict[str, tuple[Holidays | None, frozenset[date]]]:
        return {
            team.key: (team.holidays or self.holidays, frozenset([*self.days_off, *team.days_off]))
            for team in self.teams
            if team.holidays is not None or team.days_off
        }

    @cached_property
    def _own_schedules(self) -> dict[str, Schedule]:
        """The teams with a schedule of their own, by key: every check-in asks, and a look
        through every team took 0.1 ms at 1,000 teams (the config is frozen, so this holds)."""
        return {team.key: team.schedule for team in self.teams if team.schedule is not None}

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@cache
def default_questions() -> tuple[QuestionSpec, ...]:
    """Leadbot's template: what moved, what is blocked, what you learned (with energy and who
    helped whom, built in, that makes today's three lenses)."""
    p = "checkin.modal."
    return tuple(
        QuestionSpec(key=key, lens=lens, text=prompts.text(p + key + "_label"), kind=kind)
        for key, lens, kind in (
            ("moved", "work", "long_text"),
            ("blocked", "work", "long_text"),
            ("learned", "self", "long_text"),
        )
    )


def _refuse_parent_cycles(teams: list[TeamSpec]) -> None:
    parents = {team.key: team.parent for team in teams}
    for start in parents:
        seen, key = {start}, parents[start]
        while key is not None:
            if key in seen:
                raise ValueError(f"team {start!r}: its parents form a loop")
            seen.add(key)
            key = parents.get(key)


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


def zone_or(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The person's IANA zone if Slack gave a valid one, else the org default."""
    if name and name in _zones():
        return ZoneInfo(name)
    return default
