"""Raising a concern over HTTP: the modal, the review step, the receipt, the code, the limits."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from bot.concerns.audience import Audience
from storage.models import Concern, ConcernNote
from tests.concern_kit import (
    ORG,
    PEOPLE,
    WRITER,
    code_in,
    compose_values,
    deliver_all,
    open_compose,
    raise_concern,
    submit,
    view_action,
)
from tests.conftest import seed_org


@pytest.fixture
def org(engine):
    seed_org(engine, ORG, PEOPLE)


def stored(engine) -> list[Concern]:
    with Session(engine) as session:
        return list(session.exec(select(Concern)))


def blocks_text(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_concern_command_opens_the_modal_prefilled_with_its_text(org, requests, slack):
    view = open_compose(requests, slack, "The release process is chaotic")
    assert view["callback_id"] == "concern_compose"
    text = next(b for b in view["blocks"] if b.get("block_id") == "text")
    assert text["element"]["initial_value"] == "The release process is chaotic"
    assert text["element"]["max_length"] == 3000
    audience = next(b for b in view["blocks"] if b.get("block_id") == "audience")
    assert [o["value"] for o in audience["element"]["options"]] == [
        "manager",
        "skip",
        "leadership",
    ]
    assert "fine to choose someone else" in blocks_text(view)
    topics = next(b for b in view["blocks"] if b.get("block_id") == "topic")
    assert [o["value"] for o in topics["element"]["options"]] == [
        "goals",
        "work",
        "culture",
        "other",
    ]


def test_before_the_org_is_imported_concern_says_so_and_opens_nothing(
    engine, requests, slack, clock
):
    requests.command("/concern", "Too many meetings", user=WRITER)
    assert slack.of("views.open") == []
    assert "isn't set up for this workspace yet" in slack.responses()[-1]["text"]
    seed_org(engine, ORG, PEOPLE)  # once imported, it opens at once (and is remembered)
    requests.command("/concern", "Too many meetings", user=WRITER)
    assert len(slack.of("views.open")) == 1


def test_app_home_buttons_open_the_concern_and_the_code_modals(org, requests, slack):
    requests.action("concern_raise", "home", user=WRITER)
    requests.action("concern_check", "home", user=WRITER)
    opened = [call.params["view"]["callback_id"] for call in slack.of("views.open")]
    assert opened == ["concern_compose", "concern_lookup"]


def test_receipt_shows_the_code_who_hears_it_and_the_digest_date_inside_the_modal(
    org, requests, slack, engine, clock
):
    clock.set("2026-11-27T12:00:00+00:00")  # Friday
    answer = submit(requests, open_compose(requests, slack), compose_values())
    assert answer["response_action"] == "update"
    view = answer["view"]
    assert "submit" not in view
    text = blocks_text(view)
    assert "Maria Manager (Platform)" in text
    # Monday 30 November, 10:00 in Berlin: the first digest two days after Friday.
    assert "<!date^1796029200^{date_long_pretty}|Monday 30 November 2026>" in text
    assert "People & Culture" in text  # where urgent matters belong
    code = code_in(view)
    assert len(code.replace("-", "")) == 16  # 80 bits in base32
    [row] = stored(engine)
    assert row.audience_kind == "team" and row.audience_team == "platform"
    assert code not in json.dumps(row.model_dump(mode="json"))
    # Nothing reached Slack but the modal itself: no message, no DM, no ephemeral.
    assert slack.of("chat.postMessage") == [] and slack.responses() == []


def test_a_concern_picked_for_the_skip_level_goes_to_the_managers_manager(
    org, requests, slack, engine
):
    answer = submit(requests, open_compose(requests, slack), compose_values(audience="skip"))
    assert "Victor Vance (Engineering)" in blocks_text(answer["view"])
    assert stored(engine)[0].audience_team == "eng"


def test_identifying_details_get_a_review_step_and_send_anyway_sends_them(
    org, requests, slack, engine
):
    words = "Since my 1:1 on Tuesday with <@UMGR>, Maria Manager ignores me. wanda@acme.com"
    answer = submit(requests, open_compose(requests, slack), compose_values(words))
    assert answer["response_action"] == "update"
    review = answer["view"]
    assert review["submit"]["text"] == "Send anyway"
    flagged = next(b for b in review["blocks"] if "May identify you" in json.dumps(b))
    shown = flagged["elements"][0]["text"]
    for fragment in ("my 1:1", "on Tuesday", "&lt;@UMGR&gt;", "Maria Manager", "wanda@acme.com"):
        assert fragment in shown
    text = next(b for b in review["blocks"] if b.get("block_id") == "text")
    assert text["element"]["initial_value"] == words  # the same inputs, pre-filled
    assert stored(engine) == []  # nothing is stored until the final send

    answer = submit(requests, review, compose_values(words))
    assert answer["view"]["callback_id"] == "concern_receipt"
    assert stored(engine)[0].text == words


def test_editing_the_text_in_review_checks_it_again(org, requests, slack, engine):
    first = submit(requests, open_compose(requests, slack), compose_values("I'm the only designer"))
    review = first["view"]
    edited = submit(requests, review, compose_values("As the only designer here, I'm ignored"))
    assert edited["view"]["submit"]["text"] == "Send anyway"
    assert "As the only designer" in blocks_text(edited["view"])
    cleaned = submit(requests, edited["view"], compose_values("Design input is ignored."))
    assert cleaned["view"]["callback_id"] == "concern_receipt"
    assert [row.text for row in stored(engine)] == ["Design input is ignored."]


def test_an_empty_or_unpicked_concern_gets_inline_errors_and_nothing_is_stored(
    org, requests, slack, engine
):
    view = open_compose(requests, slack)
    answer = submit(requests, view, compose_values(" ", audience="", topic="x"))
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"text", "audience", "topic"}
    answer = submit(requests, view, compose_values("x" * 3001))
    assert "3000 characters" in answer["errors"]["text"]
    assert stored(engine) == []


def test_at_most_three_concerns_per_person_per_day(org, requests, slack, engine, clock):
    for _ in range(3):
        raise_concern(requests, slack)
    answer = submit(requests, open_compose(requests, slack), compose_values())
    assert answer["response_action"] == "errors"
    assert "3 concerns today" in answer["errors"]["text"]
    assert len(stored(engine)) == 3
    clock.set("2026-11-28T00:00:01+00:00")  # a new UTC day, a new key
    raise_concern(requests, slack)
    assert len(stored(engine)) == 4


def test_status_by_code_shows_the_concern_and_its_answers(org, requests, slack, engine, clock):
    code = raise_concern(requests, slack)
    requests.command("/concern", f"status {code.lower()}", user=WRITER)
    view = slack.of("views.open")[-1].params["view"]
    assert view["callback_id"] == "concern_thread"
    text = blocks_text(view)
    assert "planning meetings run over" in text and "Not answered yet" in text
    assert "Not delivered yet" in text
    assert any(b.get("block_id") == "withdraw" for b in view["blocks"])


def test_a_concern_that_starts_with_the_word_status_is_a_concern(org, requests, slack):
    requests.command("/concern", "status quo meetings are harmful", user=WRITER)
    view = slack.of("views.open")[-1].params["view"]
    assert view["callback_id"] == "concern_compose"
    text = next(b for b in view["blocks"] if b.get("block_id") == "text")
    assert text["element"]["initial_value"] == "status quo meetings are harmful"


def test_a_wrong_code_answers_exactly_like_an_unknown_one(org, requests, slack):
    code = raise_concern(requests, slack)
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    requests.action("concern_check", "home", user=WRITER)
    lookup = slack.of("views.open")[-1].params["view"]
    answers = [
        submit(requests, lookup, {"code": {"value": {"type": "plain_text_input", "value": c}}})
        for c in (wrong, "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "not a code")
    ]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["errors"]["code"].startswith("No concern matches that code")


def test_code_guessing_is_throttled_to_five_wrong_codes_an_hour(org, requests, slack, clock):
    code = raise_concern(requests, slack)
    requests.action("concern_check", "home", user=WRITER)
    lookup = slack.of("views.open")[-1].params["view"]

    def attempt(value: str) -> dict:
        values = {"code": {"value": {"type": "plain_text_input", "value": value}}}
        return submit(requests, lookup, values)

    for _ in range(5):
        assert "No concern matches" in attempt("AAAA-AAAA-AAAA-AAAA")["errors"]["code"]
    assert "Too many tries" in attempt(code)["errors"]["code"]  # even the right one
    assert "Too many tries" not in str(submit(requests, lookup, {}, user="UP2"))
    clock.set("2026-11-27T13:00:01+00:00")
    assert attempt(code)["view"]["callback_id"] == "concern_thread"


def test_the_writer_adds_an_anonymous_follow_up(org, requests, slack, engine):
    code = raise_concern(requests, slack)
    requests.command("/concern", f"status {code}", user=WRITER)
    thread = slack.of("views.open")[-1].params["view"]
    values = {"followup": {"value": {"type": "plain_text_input", "value": "It got worse."}}}
    answer = submit(requests, thread, values)
    assert answer["response_action"] == "update"
    assert "Follow-up saved" in blocks_text(answer["view"])
    assert "It got worse." in blocks_text(answer["view"])
    with Session(engine) as session:
        [note] = session.exec(select(ConcernNote)).all()
    assert note.kind == "followup" and note.user_id is None and note.text == "It got worse."


def test_withdrawing_before_delivery_erases_the_concern(org, requests, slack, engine, clock):
    code = raise_concern(requests, slack, "Please stop the Friday deploys.")
    requests.command("/concern", f"status {code}", user=WRITER)
    thread = slack.of("views.open")[-1].params["view"]
    view_action(requests, thread, "concern_withdraw")
    [update] = slack.of("views.update")
    assert update.params["view_id"] == "V0001"
    assert "You withdrew this concern" in blocks_text(update.params["view"])
    [row] = stored(engine)
    assert row.status == "withdrawn" and row.text == ""
    clock.set("2026-12-07T12:00:00+00:00")
    assert deliver_all(engine, Audience.team("platform"), clock()) == []


def test_a_delivered_concern_can_no_longer_be_withdrawn(org, requests, slack, engine, clock):
    code = raise_concern(requests, slack)
    clock.set("2026-11-30T09:00:00+00:00")
    assert len(deliver_all(engine, Audience.team("platform"), clock())) == 1
    requests.command("/concern", f"status {code}", user=WRITER)
    thread = slack.of("views.open")[-1].params["view"]
    assert not any(b.get("block_id") == "withdraw" for b in thread["blocks"])
    view_action(requests, thread, "concern_withdraw")
    assert "can no longer be withdrawn" in blocks_text(slack.of("views.update")[0].params["view"])
    assert stored(engine)[0].status == "new"
