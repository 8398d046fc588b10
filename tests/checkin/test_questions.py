"""A team's own questions, inside the three lenses: from the org file to the modal, stored with
the key and wording they were asked with, and read back in the digest, the export and App Home
(text with its writer's name; a choice or scale only as the team's spread, from the group size)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.home.gather import gather
from bot.home.views import home_view
from bot.org.config import OrgConfig, QuestionSpec
from bot.org.export import export_org
from bot.org.plan import load_config
from bot.setup.apply import apply_config
from bot.setup.importer import run_import
from bot.workspace.export import person_export, team_export, to_csv
from storage.models import Checkin, QuestionSet
from tests.conftest import TEAM, seed_org
from tests.org.test_orgfile import problems_of
from tests.slackreq import select_value, text_values

MEMBERS = ["U1", "U2", "U3", "U4", "U5", "U6"]
NAMES = ["Ana", "Ben", "Cleo", "Dev", "Eli", "Fay"]
CLARITY = ["Lost", "Unclear", "Okay", "Clear", "Crystal"]
QUESTIONS = [
    {"key": "moved", "lens": "work", "text": "What shipped?", "kind": "long_text"},
    {
        "key": "customer",
        "lens": "work",
        "text": "Which customer did you talk to?",
        "kind": "short_text",
        "required": True,
    },
    {
        "key": "clarity",
        "lens": "self",
        "text": "How clear are priorities?",
        "kind": "scale",
        "options": CLARITY,
    },  # fmt: skip
    {
        "key": "focus",
        "lens": "self",
        "text": "Where did your time go?",
        "kind": "multi_choice",
        "options": ["Deep work", "Meetings", "Support"],
    },  # fmt: skip
    {"key": "paired", "lens": "others", "text": "Who did you pair with?", "kind": "people"},
]
ORG = {
    "timezone": "Europe/Berlin",
    "teams": [
        {
            "key": "platform",
            "name": "Platform",
            "manager": "UMGR",
            "members": MEMBERS,
            "questions": QUESTIONS,
        },
        {"key": "mobile", "name": "Mobile", "manager": "UMOB", "members": ["U9"]},
    ],
}
PEOPLE = [
    {"user_id": "UMGR", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "UMOB", "real_name": "Mo Bile", "tz": "Europe/Berlin"},
    {"user_id": "U9", "real_name": "Nia", "tz": "Europe/Berlin"},
    *(
        {"user_id": u, "real_name": n, "tz": "Europe/Berlin"}
        for u, n in zip(MEMBERS, NAMES, strict=True)
    ),
]
OPENS = "2026-11-27T13:00:00+00:00"  # Friday 14:00 in Berlin: 2026-W48 opens
DIGEST = "2026-11-30T09:00:00+00:00"  # Monday 10:00 in Berlin: it closes, the digest goes


@pytest.fixture
def org(engine, clock):
    seed_org(engine, ORG, PEOPLE)
    with Session(engine) as session:
        checkins.replan(session, TEAM, [*MEMBERS, "U9", "UMGR", "UMOB"], clock())
        session.commit()


def radio(block_id: str, value: str, view: dict) -> dict:
    """A radio button picked as Slack sends it back: the option the view offered."""
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    picked = next(o for o in block["element"]["options"] if o["value"] == value)
    return {block_id: {"value": {"type": "radio_buttons", "selected_option": picked}}}


def boxes(block_id: str, values: list[str], view: dict) -> dict:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    picked = [o for o in block["element"]["options"] if o["value"] in values]
    return {block_id: {"value": {"type": "checkboxes", "selected_options": picked}}}


def people(block_id: str, users: list[str]) -> dict:
    return {block_id: {"value": {"type": "multi_users_select", "selected_users": users}}}


def answer(view: dict, *, moved: str, customer: str, clarity: int, focus: list[str], **more):
    values = text_values(moved=moved, customer=customer, **more)
    values.update(select_value("energy", "3"))
    values.update(radio("clarity", f"s{clarity}", view))
    values.update(boxes("focus", focus, view))
    values.update(people("paired", ["U2"]))
    return values


def opened(slack, requests, user: str) -> dict:
    requests.action("checkin_open", "2026-W48", user=user)
    return slack.of("views.open")[-1].params["view"]


def block_ids(view: dict) -> list[str]:
    return [b.get("block_id") for b in view["blocks"] if b["type"] == "input"]


def stored(engine, user: str) -> Checkin:
    with Session(engine) as session:
        return session.exec(select(Checkin).where(Checkin.user_id == user)).one()


# --- the modal, as a member sees it --------------------------------------------------------


def test_the_modal_asks_the_teams_questions_under_their_lens(org, clock, sender, slack, requests):
    clock.set(OPENS)
    sender.drain()
    view = opened(slack, requests, "U1")
    assert block_ids(view) == [
        "moved", "customer",  # manage work
        "energy", "clarity", "focus",  # manage yourself: energy stays built in
        "helped_users", "helped_text", "paired",  # lead others: who helped whom stays too
    ]  # fmt: skip
    headings = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert headings == ["*Manage work*", "*Manage yourself*", "*Lead others*"]
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id["moved"]["label"]["text"] == "What shipped?"
    assert by_id["customer"]["optional"] is False and by_id["moved"]["optional"] is True
    assert by_id["customer"]["element"]["multiline"] is False
    clarity = by_id["clarity"]["element"]
    assert clarity["type"] == "radio_buttons"
    assert [o["text"]["text"] for o in clarity["options"]][0] == "1 · Lost"
    assert by_id["focus"]["element"]["type"] == "checkboxes"
    assert by_id["paired"]["element"]["type"] == "multi_users_select"
    for figure in ("clarity", "focus"):  # the privacy note beside each choice or scale
        assert "only as the team's spread, from 5 answers" in by_id[figure]["hint"]["text"]
    assert "hint" not in by_id["customer"]
    # Another team keeps leadbot's template.
    nia = opened(slack, requests, "U9")
    assert block_ids(nia) == [
        "moved", "blocked", "energy", "learned", "helped_users", "helped_text",
    ]  # fmt: skip


def test_an_answer_is_stored_by_key_and_edit_shows_it_again(
    org, clock, sender, slack, requests, engine
):
    clock.set(OPENS)
    sender.drain()
    view = opened(slack, requests, "U1")
    values = answer(
        view, moved="Shipped *refunds*", customer="ACME <@U2>", clarity=4, focus=["c0", "c2"]
    )
    assert requests.submit(view, values, user="U1").body == ""
    row = stored(engine, "U1")
    assert row.moved == "Shipped *refunds*"  # a column, as wins read it
    assert row.answers == {
        "customer": "ACME <@U2>",
        "clarity": 4,
        "focus": ["Deep work", "Support"],
        "paired": ["U2"],
    }
    with Session(engine) as session:  # the period keeps the wording it asked with
        [kept] = session.exec(select(QuestionSet)).all()
    assert (kept.team_key, kept.period) == ("platform", "2026-W48")
    assert [q["text"] for q in kept.questions][1] == "Which customer did you talk to?"

    again = opened(slack, requests, "U1")
    by_id = {b.get("block_id"): b for b in again["blocks"]}
    assert by_id["customer"]["element"]["initial_value"] == "ACME <@U2>"
    assert by_id["clarity"]["element"]["initial_option"]["value"] == "s4"
    assert [o["value"] for o in by_id["focus"]["element"]["initial_options"]] == ["c0", "c2"]
    assert by_id["paired"]["element"]["initial_users"] == ["U2"]


def test_a_required_question_left_empty_is_asked_for_and_nothing_is_stored(
    org, clock, sender, slack, requests, engine
):
    clock.set(OPENS)
    sender.drain()
    view = opened(slack, requests, "U1")
    values = answer(view, moved="x", customer="", clarity=3, focus=[])
    reply = requests.submit(view, values, user="U1").json()
    assert reply["response_action"] == "errors"
    assert reply["errors"] == {"customer": "Your team asks this one; please answer it."}
    with Session(engine) as session:
        assert session.exec(select(Checkin)).all() == []


def test_an_option_the_modal_never_offered_is_not_stored(
    org, clock, sender, slack, requests, engine
):
    clock.set(OPENS)
    sender.drain()
    view = opened(slack, requests, "U1")
    values = answer(view, moved="x", customer="ACME", clarity=3, focus=["c1"])
    forged = {"text": {"type": "plain_text", "text": "Rate Ben"}, "value": "s9"}
    values["clarity"] = {"value": {"type": "radio_buttons", "selected_option": forged}}
    requests.submit(view, values, user="U1")
    assert "clarity" not in stored(engine, "U1").answers


# --- the open period keeps its questions ---------------------------------------------------


def test_an_edit_applies_from_the_next_period_and_old_weeks_keep_their_words(
    org, clock, sender, slack, requests, engine
):
    clock.set(OPENS)
    sender.drain()
    first = opened(slack, requests, "U1")  # the week begins with the questions of the file
    requests.submit(first, answer(first, moved="a", customer="ACME", clarity=2, focus=["c0"]),
                    user="U1")  # fmt: skip
    clock.set("2026-11-28T10:00:00+00:00")  # Saturday: the period is still open
    renamed = [dict(q) for q in QUESTIONS]
    renamed[1] = {**renamed[1], "text": "Which customer did you meet?"}
    renamed.append({"key": "risk", "lens": "work", "text": "Any risk ahead?", "kind": "long_text"})
    with Session(engine) as session:
        config = load_config(session, TEAM)
        data = config.model_dump(mode="json")
        data["teams"][0]["questions"] = renamed
        apply_config(session, TEAM, "Acme", OrgConfig.model_validate(data), clock())
        session.commit()
    ben = opened(slack, requests, "U2")  # same open period: the questions it began with
    assert "risk" not in block_ids(ben)
    assert "Which customer did you talk to?" in json.dumps(ben)

    clock.set("2026-12-04T13:00:00+00:00")  # the next period: the new questions
    sender.drain()
    requests.action("checkin_open", "2026-W49", user="U2")
    later = slack.of("views.open")[-1].params["view"]
    assert "risk" in block_ids(later)
    assert "Which customer did you meet?" in json.dumps(later)
    # Ana's export of the old week shows the question as it was asked.
    with Session(engine) as session:
        [row] = person_export(session, TEAM, "U1")["my_checkins"]
    customer = next(a for a in row["answers"] if a["key"] == "customer")
    assert customer["question"] == "Which customer did you talk to?"


# --- what the manager reads ----------------------------------------------------------------


def everyone_answers(slack, requests, count: int, clarity=(2, 4, 4, 5, 3, 4)) -> None:
    for user, level in list(zip(MEMBERS, clarity, strict=False))[:count]:
        view = opened(slack, requests, user)
        values = answer(view, moved=f"moved by {user}", customer=f"customer of {user}",
                        clarity=level, focus=["c0"] if level > 3 else ["c1"])  # fmt: skip
        requests.submit(view, values, user=user)


def digest_text(slack, manager="UMGR") -> str:
    sent = [c for c in slack.of("chat.postMessage") if c.params["channel"] == manager]
    return json.dumps([c.params.get("blocks") for c in sent], ensure_ascii=False)


def digest_lines(slack, manager="UMGR") -> list[str]:
    sent = [c for c in slack.of("chat.postMessage") if c.params["channel"] == manager]
    texts = [b["text"]["text"] for c in sent for b in c.params.get("blocks") or [] if "text" in b]
    return [line for text in texts if isinstance(text, str) for line in text.split("\n")]


def test_the_digest_quotes_text_under_its_lens_and_shows_a_scale_only_as_the_spread(
    org, clock, sender, slack, requests
):
    clock.set(OPENS)
    sender.drain()
    everyone_answers(slack, requests, 6)
    clock.set(DIGEST)
    sender.drain()
    text = digest_text(slack)
    assert "Manage work · Which customer did you talk to?" in text
    assert "“customer of U1” — Ana" in text
    assert "Lead others · Who did you pair with?" in text and "Ana ↔ Ben" in text
    assert "*How clear are priorities?* (6 answers): 2 Unclear 1 · 3 Okay 1 · 4 Clear 3 · " \
        "5 Crystal 1" in text  # fmt: skip
    assert "*Where did your time go?* (6 answers): Deep work 4 · Meetings 2" in text
    spreads = [line for line in digest_lines(slack) if "answers):" in line]
    assert len(spreads) == 2  # never a person's choice: no name on a spread line
    assert not any(name in line for name in NAMES for line in spreads)


def test_below_the_group_size_a_spread_is_hidden_and_alike_answers_are_too(
    org, clock, sender, slack, requests
):
    clock.set(OPENS)
    sender.drain()
    everyone_answers(slack, requests, 4)  # four answers, the group size is five
    clock.set(DIGEST)
    sender.drain()
    text = digest_text(slack)
    assert "How clear are priorities?*: shown once at least 5 people answer" in text
    assert "Okay 1" not in text and "Deep work" not in text
    assert "“customer of U4” — Dev" in text  # words are quoted as ever


def test_alike_answers_are_not_shown_as_a_spread(org, clock, sender, slack, requests):
    clock.set(OPENS)
    sender.drain()
    everyone_answers(slack, requests, 5, clarity=(4, 4, 4, 4, 4))
    clock.set(DIGEST)
    sender.drain()
    text = digest_text(slack)
    assert "How clear are priorities?*: not shown this week; everyone answered alike" in text
    assert "4 Clear 5" not in text


def test_a_renamed_scale_keeps_its_trend(org, clock, sender, slack, requests, engine):
    clock.set(OPENS)
    sender.drain()
    everyone_answers(slack, requests, 6)
    clock.set(DIGEST)
    sender.drain()
    renamed = [dict(q) for q in QUESTIONS]
    renamed[2] = {**renamed[2], "text": "How clear is the plan?"}
    with Session(engine) as session:
        data = load_config(session, TEAM).model_dump(mode="json")
        data["teams"][0]["questions"] = renamed
        apply_config(session, TEAM, "Acme", OrgConfig.model_validate(data), clock())
        session.commit()
    clock.set("2026-12-04T13:00:00+00:00")
    sender.drain()
    for user, level in zip(MEMBERS, (1, 2, 2, 3, 3, 2), strict=True):
        requests.action("checkin_open", "2026-W49", user=user)
        view = slack.of("views.open")[-1].params["view"]
        values = answer(view, moved="m", customer="c", clarity=level, focus=["c2"])
        requests.submit(view, values, user=user)
    clock.set("2026-12-07T09:00:00+00:00")
    sender.drain()
    trends = [line for line in digest_lines(slack) if "weeks:*" in line and "plan" in line]
    assert trends == ["*How clear is the plan?, 8 weeks:* `······▆▃`"]


def test_what_my_manager_sees_has_my_words_and_never_my_choice(
    org, clock, sender, slack, requests, engine
):
    clock.set(OPENS)
    sender.drain()
    everyone_answers(slack, requests, 6)
    with Session(engine) as session:
        view = home_view(gather(session, TEAM, "U1", clock()), raise_action="r", check_action="c")
    text = json.dumps(view, ensure_ascii=False)
    assert "“customer of U1”" in text
    assert "How clear are priorities?: your manager sees this only as the team's spread" in text
    assert "4 Clear" not in text and "Deep work" not in text


def test_exports_keep_choices_for_their_writer_only(org, clock, sender, slack, requests, engine):
    clock.set(OPENS)
    sender.drain()
    everyone_answers(slack, requests, 2)
    with Session(engine) as session:
        mine = person_export(session, TEAM, "U1")["my_checkins"][0]["answers"]
        team = team_export(session, TEAM, "UMGR")["team_checkins"]
    assert {a["key"]: a["answer"] for a in mine} == {
        "moved": "moved by U1",
        "customer": "customer of U1",
        "clarity": "2 Unclear",
        "focus": ["Meetings"],
        "paired": ["U2"],
    }
    theirs = {a["key"] for row in team for a in row["answers"]}
    assert theirs == {"moved", "customer", "paired"}  # never a choice or scale per person
    assert "Which customer did you talk to?" in to_csv("team_checkins", team)


# --- the org file --------------------------------------------------------------------------


def spec(**changes) -> dict:
    return {"key": "mood", "lens": "self", "text": "Mood?", "kind": "single_choice",
            "options": ["Up", "Down"], **changes}  # fmt: skip


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (spec(kind="slider"), "question 'mood': kind 'slider' is not one of"),
        (spec(lens="team"), "question 'mood': lens 'team' is not one of work, self, others"),
        (spec(options=[]), "question 'mood': a choice needs 2 to 10 options"),
        (spec(options=[str(k) for k in range(11)]), "question 'mood': a choice needs 2 to 10"),
        (spec(options=["Up", "x" * 76]), "question 'mood': each option must be 1 to 75"),
        (spec(kind="scale"), "question 'mood': a scale needs exactly 5 words"),
        (spec(kind="short_text"), "question 'mood': only choice and scale questions have options"),
        (spec(key="energy"), "question 'energy': 'energy' is kept for a built-in question"),
        (spec(key="blocked"), "question 'blocked': 'blocked' is a text question"),
        (
            spec(text="Rate <@U2> from 1 to 5", kind="scale", options=CLARITY),
            "question 'mood': a question can't name someone",
        ),  # fmt: skip
        (spec(text="x" * 151), "question 'mood': text must be 1 to 150 characters"),
    ],
)
def test_a_bad_question_is_refused_with_its_key(question, message):
    with pytest.raises(ValidationError) as refused:
        QuestionSpec.model_validate(question)
    assert message in str(refused.value)


def work(key: str) -> dict:
    return {"key": key, "lens": "work", "text": f"About {key}?", "kind": "short_text"}


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ([spec()], "the lens 'work' (manage work) needs at least one question"),
        ([work("a"), work("a")], "question 'a' is listed twice"),
        (
            [work(f"q{k}") for k in range(11)],
            "has 11 questions; a check-in asks at most 10 (question 'q10' is one too many)",
        ),  # fmt: skip
    ],
)
def test_a_bad_list_is_refused_with_the_key_at_fault(questions, message):
    text = yaml.safe_dump({"teams": [
        {"key": "p", "name": "P", "manager": "U1", "questions": questions}]})  # fmt: skip
    [problem] = problems_of(text)
    assert problem.startswith("org.yml:") and "teams[0].questions" in problem
    assert message in problem


@pytest.fixture
def client(slack) -> WebClient:
    for user_id in ("U0MANAGER", "U01"):
        slack.add_user(user_id)
    return WebClient(token="xoxb-test-token", base_url=slack.url)


FILE = """\
timezone: Europe/Berlin
questions:
  - {key: moved, lens: work, text: "What moved?", kind: long_text}
  - {key: learned, lens: self, text: "What did you learn?", kind: short_text, required: true}
teams:
  - key: platform
    name: Platform
    manager: U0MANAGER
    members: [U01]
    questions:
      - {key: shipped, lens: work, text: "What shipped?", kind: long_text}
      - key: clarity
        lens: self
        text: How clear are priorities?
        kind: scale
        options: [Lost, Unclear, Okay, Clear, Crystal]
      - {key: mood, lens: self, text: "Mood?", kind: single_choice, options: [Up, Down]}
      - {key: paired, lens: others, text: "Who did you pair with?", kind: people}
"""


def imported(path: Path, text: str, session, client, clock) -> tuple[int, str]:
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    code = run_import(path, yes=False, session=session, client=client, now=clock(), out=out)
    return code, out.getvalue()


def test_questions_round_trip_through_the_org_file(tmp_path, session, client, clock):
    code, said = imported(tmp_path / "org.yml", FILE, session, client, clock)
    assert code == 0
    text = export_org(session, TEAM)
    data = yaml.safe_load(text)
    assert data["questions"][1] == {
        "key": "learned", "lens": "self", "text": "What did you learn?", "kind": "short_text",
        "required": True,
    }  # fmt: skip
    own = data["teams"][0]["questions"]
    assert [q["key"] for q in own] == ["shipped", "clarity", "mood", "paired"]
    assert own[1]["options"] == ["Lost", "Unclear", "Okay", "Clear", "Crystal"]
    assert "required" not in own[0] and "options" not in own[0]
    assert imported(tmp_path / "exported.yml", text, session, client, clock) == (
        0,
        "No changes.\n",
    )
    changed = text.replace("text: Mood?", "text: How is your mood?").replace(
        "  - key: paired\n", "  - key: pairing\n"
    )
    code, said = imported(tmp_path / "changed.yml", changed, session, client, clock)
    assert code == 0
    assert '~ question mood in team platform: text "Mood?" → "How is your mood?"' in said
    assert "+ question pairing in team platform (others, people)" in said
    assert "~ question paired removed from team platform (its answers keep their words)" in said


def test_a_bad_question_in_the_file_changes_nothing(tmp_path, session, client, clock):
    assert imported(tmp_path / "org.yml", FILE, session, client, clock)[0] == 0
    before = export_org(session, TEAM)
    bad = FILE.replace("kind: people", "kind: rating")
    path = tmp_path / "bad.yml"
    path.write_text(bad, encoding="utf-8")
    out = io.StringIO()
    assert run_import(path, yes=False, session=session, client=client, now=clock(), out=out) == 2
    assert "question 'paired': kind 'rating' is not one of" in out.getvalue()
    assert "Nothing was changed." in out.getvalue()
    assert export_org(session, TEAM) == before


def test_the_org_default_applies_to_teams_without_their_own(engine):
    config = OrgConfig.model_validate(
        {
            "questions": [work("shipped")],
            "teams": [
                {"key": "a", "name": "A", "manager": "U1"},
                {"key": "b", "name": "B", "manager": "U2", "questions": [work("b_only")]},
            ],
        }
    )
    assert [q.key for q in config.questions_of("a")] == ["shipped"]
    assert [q.key for q in config.questions_of("b")] == ["b_only"]
    assert [q.key for q in OrgConfig.model_validate({"teams": []}).questions_of("x")] == [
        "moved",
        "blocked",
        "learned",
    ]


def test_the_cli_prints_the_answers_and_its_preview_of_an_open_week_shows_no_spread(
    org, clock, sender, slack, requests, engine, capsys
):
    from bot.digest.cli import print_digest

    clock.set(OPENS)
    sender.drain()
    everyone_answers(slack, requests, 6)
    clock.set("2026-11-28T10:00:00+00:00")  # the week still open: a preview
    args = {"as_json": False, "workspace": None}
    assert print_digest(engine, "platform", "2026-W48", now=clock(), **args) == 0
    preview = capsys.readouterr().out
    assert "Which customer did you talk to?" in preview and "“customer of U3” — Cleo" in preview
    assert "How clear are priorities?" not in preview  # a spread waits for the digest
    clock.set(DIGEST)
    assert print_digest(engine, "platform", "2026-W48", now=clock(), **args) == 0
    closed = capsys.readouterr().out
    assert "How clear are priorities?* (6 answers)" in closed


def test_a_key_asked_as_a_choice_one_week_is_never_quoted_as_text_the_next():
    from bot.digest.week import said_to_own_questions

    choice = QuestionSpec.model_validate(spec())  # mood: a single choice in W48
    text = QuestionSpec.model_validate(spec(kind="short_text", options=[]))  # … text in W49
    late = Checkin(workspace_id=TEAM, user_id="U1", period="2026-W48", team_key="platform",
                   status="answered", late=True, answers={"mood": "Up"})  # fmt: skip
    on_time = Checkin(workspace_id=TEAM, user_id="U2", period="2026-W49", team_key="platform",
                      status="answered", answers={"mood": "Fine, thanks"})  # fmt: skip
    asked = {"2026-W48": (choice,), "2026-W49": (text,)}
    [said] = said_to_own_questions([late, on_time], asked, "2026-W49", {"U1": "Ana", "U2": "Ben"})
    assert said.question.kind == "short_text"
    assert [(q.name, q.text) for q in said.quotes] == [("Ben", "Fine, thanks")]
    assert said.answers == 1 and said.writers == {"U2"}


def test_forget_me_takes_the_person_out_of_others_people_answers(
    org, clock, sender, slack, requests, engine
):
    from bot.workspace.forget import forget_person

    clock.set(OPENS)
    sender.drain()
    everyone_answers(slack, requests, 1)  # Ana paired with Ben (U2)
    assert stored(engine, "U1").answers["paired"] == ["U2"]
    with Session(engine) as session:
        forgotten = forget_person(session, TEAM, "U2", clock(), stop=False)
    assert forgotten.mentions == 1
    kept = stored(engine, "U1").answers
    assert kept["paired"] == [] and kept["customer"] == "customer of U1"
