"""The audience answers a delivered concern from its digest; the writer reads it with the code."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.concerns.answer_views import concern_blocks
from bot.concerns.audience import LEADERSHIP, Audience
from storage.models import Concern, ConcernNote
from tests.concern_kit import (
    ORG,
    PEOPLE,
    WRITER,
    deliver_all,
    digest_select,
    raise_concern,
    submit,
)
from tests.conftest import seed_org

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def org(engine):
    seed_org(engine, ORG, PEOPLE)


@pytest.fixture
def delivered(org, requests, slack, engine):
    """A concern to Platform's manager, carried by Monday's digest; its ref and code."""
    code = raise_concern(requests, slack, "Stand-ups take <!here> 45 minutes & more")
    [ref] = deliver_all(engine, Audience.team("platform"), MONDAY)
    return ref, code


def reply_text(text: str) -> dict:
    return {"reply": {"value": {"type": "plain_text_input", "value": text}}}


def notes(engine) -> list[ConcernNote]:
    with Session(engine) as session:
        return list(session.exec(select(ConcernNote)))


def concern(engine) -> Concern:
    with Session(engine) as session:
        return session.exec(select(Concern)).one()


def writer_view(requests, slack, code: str) -> str:
    requests.command("/concern", f"status {code}", user=WRITER)
    return json.dumps(slack.of("views.open")[-1].params["view"]["blocks"], ensure_ascii=False)


def test_the_digest_shows_the_concern_escaped_with_reply_and_status(delivered, engine):
    blocks = concern_blocks(concern(engine))
    assert blocks[1]["text"] == {
        "type": "mrkdwn",
        "text": "Stand-ups take &lt;!here&gt; 45 minutes &amp; more",
        "verbatim": True,
    }
    reply, status = blocks[-1]["elements"]
    assert reply["action_id"] == "concern_reply" and reply["value"] == str(delivered[0])
    assert [o["value"].split(":")[1] for o in status["options"]] == [
        "acknowledged",
        "discussed",
        "changed",
        "not_changing",
    ]


def test_the_audience_replies_and_the_writer_reads_it_with_the_code(
    delivered, requests, slack, engine
):
    ref, code = delivered
    requests.action("concern_reply", ref, user="UMGR")
    modal = slack.of("views.open")[-1].params["view"]
    assert modal["callback_id"] == "concern_reply_modal"
    assert "&lt;!here&gt;" in json.dumps(modal["blocks"])
    answer = submit(requests, modal, reply_text("Let's cap them at 15."), user="UMGR")
    assert answer["response_action"] == "update"
    [note] = notes(engine)
    assert note.kind == "reply" and note.user_id == "UMGR" and note.text == "Let's cap them at 15."
    shown = writer_view(requests, slack, code)
    assert "Maria Manager replied" in shown and "Let's cap them at 15." in shown


def test_someone_outside_the_audience_gets_a_kind_refusal_and_nothing_changes(
    delivered, requests, slack, engine
):
    ref, _ = delivered
    opened = len(slack.of("views.open"))
    for user in ("UVP", "UP2", "UCEO"):
        requests.action("concern_reply", ref, user=user)
        digest_select(requests, f"{ref}:changed", user=user)
    assert len(slack.of("views.open")) == opened
    refusals = [r["text"] for r in slack.responses()]
    assert len(refusals) == 6 and all("Only the people" in text for text in refusals)
    assert notes(engine) == [] and concern(engine).status == "new"


def test_a_forged_reply_submission_from_outside_the_audience_is_refused(
    delivered, requests, slack, engine
):
    ref, _ = delivered
    requests.action("concern_reply", ref, user="UMGR")
    modal = slack.of("views.open")[-1].params["view"]
    answer = submit(requests, modal, reply_text("I'm not the manager"), user="UP2")
    assert "Only the people" in answer["errors"]["reply"]
    assert notes(engine) == []


def test_the_audience_sets_the_status_and_the_writer_sees_it(delivered, requests, slack, engine):
    ref, code = delivered
    digest_select(requests, f"{ref}:acknowledged", user="UMGR")
    assert "Status set to *Acknowledged*" in slack.responses()[-1]["text"]
    digest_select(requests, f"{ref}:discussed", user="UMGR")
    assert concern(engine).status == "discussed"
    assert "*Status:* Discussed" in writer_view(requests, slack, code)


def test_not_changing_asks_why_and_the_writer_reads_the_reason(delivered, requests, slack, engine):
    ref, code = delivered
    digest_select(requests, f"{ref}:not_changing", user="UMGR")
    modal = slack.of("views.open")[-1].params["view"]
    assert modal["callback_id"] == "concern_why_modal"
    assert concern(engine).status == "new"  # nothing changes until the why is given
    values = {"why": {"value": {"type": "plain_text_input", "value": "Clients need them."}}}
    submit(requests, modal, values, user="UMGR")
    row = concern(engine)
    assert row.status == "not_changing" and row.reason == "Clients need them."
    assert "Not changing — “Clients need them.”" in writer_view(requests, slack, code)


def test_a_concern_not_yet_delivered_cannot_be_answered(org, requests, slack, engine):
    raise_concern(requests, slack)
    requests.action("concern_reply", concern(engine).ref, user="UMGR")
    assert [c.params["view"]["callback_id"] for c in slack.of("views.open")] == ["concern_compose"]
    assert "Only the people" in slack.responses()[-1]["text"]


def test_the_leadership_group_answers_concerns_addressed_to_it(org, requests, slack, engine):
    raise_concern(requests, slack, audience="leadership")
    [ref] = deliver_all(engine, LEADERSHIP, MONDAY)
    digest_select(requests, f"{ref}:acknowledged", user="UMGR")
    assert concern(engine).status == "new"
    digest_select(requests, f"{ref}:acknowledged", user="UCEO")
    assert concern(engine).status == "acknowledged"
