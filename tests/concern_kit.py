"""An org and request helpers shared by the concern tests."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlmodel import Session

from bot.concerns import rules as concerns
from bot.concerns.audience import Audience
from bot.org.plan import load_config
from storage import queries
from tests.conftest import TEAM
from tests.fakeslack import FakeSlack, trigger_id
from tests.slackreq import Reply, SlackRequests, select_value, text_values

WRITER = "UWRITER7"
WRITER_NAME = "wanda.writer"
WRITER_REAL = "Wanda Writer"
CHANNEL = "C0WRITERCHAN"
WRITER_TRIGGERS: list[str] = []  # every trigger id the writer's requests carried


def writer_trigger() -> str:
    WRITER_TRIGGERS.append(trigger_id())
    return WRITER_TRIGGERS[-1]


# Engineering (UVP) has two sub-teams: Platform (UMGR, five members, the writer among
# them) and Mobile (UMOB, four members). The leadership group is UCEO.
ORG: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "leaders": ["UCEO"],
    "teams": [
        {"key": "eng", "name": "Engineering", "manager": "UVP", "members": []},
        {
            "key": "platform",
            "name": "Platform",
            "manager": "UMGR",
            "members": [WRITER, "UP2", "UP3", "UP4", "UP5"],
            "parent": "eng",
        },
        {
            "key": "mobile",
            "name": "Mobile",
            "manager": "UMOB",
            "members": ["UM1", "UM2", "UM3", "UM4"],
            "parent": "eng",
        },
    ],
}
PEOPLE: list[dict[str, Any]] = [
    {"user_id": WRITER, "name": WRITER_NAME, "real_name": WRITER_REAL, "tz": "Europe/Berlin"},
    {"user_id": "UCEO", "name": "cleo.ceo", "real_name": "Cleo Chief", "tz": "Europe/Berlin"},
    {"user_id": "UVP", "name": "victor.vp", "real_name": "Victor Vance", "tz": "Europe/Berlin"},
    {"user_id": "UMGR", "name": "maria.m", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "UMOB", "name": "mo.b", "real_name": "Mo Bile", "tz": "America/New_York"},
    *({"user_id": f"UP{i}", "real_name": f"Platform Person {i}"} for i in range(2, 6)),
    *({"user_id": f"UM{i}", "real_name": f"Mobile Person {i}"} for i in range(1, 5)),
]
CODE = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}")


def compose_values(
    text: str = "Our planning meetings run over every week and nothing gets decided.",
    *,
    topic: str = "work",
    audience: str = "manager",
    helps: str | None = None,
) -> dict[str, Any]:
    values = {**select_value("topic", topic), **select_value("audience", audience)}
    values.update(text_values(text=text, **({"helps": helps} if helps else {})))
    return values


def open_compose(requests: SlackRequests, slack: FakeSlack, text: str = "") -> dict[str, Any]:
    """/concern [text] as the writer, typed in a channel; the modal Slack was asked to open."""
    requests.form(
        {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "acme",
            "channel_id": CHANNEL,
            "channel_name": "general",
            "user_id": WRITER,
            "user_name": WRITER_NAME,
            "command": "/concern",
            "text": text,
            "api_app_id": "A0APP",
            "response_url": f"{requests.response_url}/commands/x",
            "trigger_id": writer_trigger(),
        }
    )
    return slack.of("views.open")[-1].params["view"]


def submit(
    requests: SlackRequests, view: dict[str, Any], values: dict[str, Any], user: str = WRITER
) -> dict[str, Any]:
    reply = requests.submit(view, values, user=user)
    assert reply.status == 200, reply.body
    return reply.json() or {}


def raise_concern(
    requests: SlackRequests, slack: FakeSlack, text: str | None = None, **choices: Any
) -> str:
    """Raise a concern (sending it anyway if reviewed); the code the receipt shows."""
    values = compose_values(text, **choices) if text else compose_values(**choices)
    answer = submit(requests, open_compose(requests, slack), values)
    if answer.get("view", {}).get("submit", {}).get("text") == "Send anyway":
        answer = submit(requests, answer["view"], values)
    assert answer.get("response_action") == "update", answer
    return code_in(answer["view"])


def code_in(view: dict[str, Any]) -> str:
    found = CODE.search(json.dumps(view))
    assert found, "no follow-up code in the view"
    return found.group()


def view_action(
    requests: SlackRequests, view: dict[str, Any], action_id: str, *, user: str = WRITER
) -> Reply:
    """A button pressed inside an open modal."""
    return requests.interactive(
        {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A0APP",
            "token": "legacy",
            "trigger_id": trigger_id(),
            "container": {"type": "view", "view_id": "V0001"},
            "view": {**view, "id": "V0001", "hash": "h1", "team_id": TEAM, "state": {"values": {}}},
            "actions": [
                {"action_id": action_id, "block_id": "withdraw", "type": "button", "value": ""}
            ],
        }
    )


def digest_select(requests: SlackRequests, value: str, *, user: str) -> Reply:
    """The status picker under a concern in a digest message."""
    return requests.interactive(
        {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A0APP",
            "token": "legacy",
            "trigger_id": trigger_id(),
            "container": {"type": "message", "message_ts": "1.2", "channel_id": "D0MGR"},
            "channel": {"id": "D0MGR", "name": "directmessage"},
            "message": {"type": "message", "ts": "1.2", "text": "", "blocks": []},
            "response_url": f"{requests.response_url}/actions/{user}",
            "actions": [
                {
                    "action_id": "concern_set_status",
                    "block_id": "concern:x",
                    "type": "static_select",
                    "selected_option": {
                        "value": value,
                        "text": {"type": "plain_text", "text": "x"},
                    },
                    "action_ts": "1700000001.000001",
                }
            ],
        }
    )


def digest_items(session: Session, audience: Audience, digest_at: Any) -> list[Any]:
    """What the digest of `audience` at `digest_at` carries, read by its manager or leaders."""
    config = load_config(session, TEAM)
    if audience.is_leadership:
        recipients = tuple(config.leaders)
    else:
        team = queries.get_team(session=session, workspace_id=TEAM, key=audience.team_key)
        recipients = (team.manager_id,) if team else ()
    return concerns.concerns_for_digest(
        session,
        workspace_id=TEAM,
        config=config,
        audience=audience,
        recipients=recipients,
        digest_at=digest_at,
    )


def deliver_all(engine: Any, audience: Audience, digest_at: Any) -> list[str]:
    """What a sent digest would do: select, then mark delivered on the digest's day; the
    refs its buttons carry."""
    with Session(engine) as session:
        items = digest_items(session, audience, digest_at)
        ids = [item.concern.ref for item in items]
        concerns.mark_delivered(session, items=items, day=digest_at.date())
        return ids
