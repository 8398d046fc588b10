"""`/concern`: raise a concern anonymously, and check on it with the private code.

Everything the writer sees is a modal (never a DM or a message in a channel), and nothing
about the writer is stored or logged (DESIGN 4): their user id is used only to find their
team and to count them under the in-memory keyed hash of bot/concerns/throttle.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

import prompts
from bot.concerns import audience as audiences
from bot.concerns import rules as concerns
from bot.concerns import thread_views as concern_thread
from bot.concerns import views
from bot.concerns.identifying import identifying_details, matcher_for
from bot.concerns.throttle import CONCERNS_PER_DAY, FOLLOWUPS_PER_DAY, Limits
from bot.org.config import OrgConfig
from bot.org.plan import load_config
from bot.runtime.deps import Clock, Deps
from bot.runtime.recently import Recently
from bot.views.kit import metadata
from handlers import concern_answer
from storage import queries
from storage.models import Concern

LIMITS = "concern_limits"
SET_UP = "concern_set_up"  # the workspaces this process saw set up lately
SET_UP_AGAIN = 60.0  # seconds
Response = dict[str, Any]


def register(app: App, clock: Clock) -> dict[str, object]:
    """Register the listeners but `concern_command`, which `handlers.register_all` puts
    first; what they keep per app (so per process), for their context."""
    app.action(views.RAISE)(open_compose)
    app.action(views.CHECK)(open_lookup)
    app.view(views.COMPOSE)(submit_concern)
    app.view(views.LOOKUP)(submit_code)
    app.view(views.THREAD)(submit_followup)
    app.action(views.WITHDRAW)(withdraw_concern)
    concern_answer.register(app)
    return {LIMITS: Limits(), SET_UP: Recently(SET_UP_AGAIN, clock)}  # only in memory


def _t(key: str, **values: object) -> str:
    return prompts.text(f"concern.{key}", **values)


def _deps(context: BoltContext) -> Deps:
    return context["deps"]


def _errors(block_id: str, text: str) -> Response:
    return {"response_action": "errors", "errors": {block_id: text}}


def _update(view: dict) -> Response:
    return {"response_action": "update", "view": view}


def concern_command(
    ack: Ack, command: dict, client: WebClient, context: BoltContext, respond: Respond
) -> None:
    ack()
    text = (command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    code = rest.strip()  # "/concern status quo is harmful" is a concern, not a code
    if word.lower() == "status" and (not code or concerns.normalise_code(code)):
        view = _code_view(context, code) if code else views.lookup_modal()
    else:
        if not _set_up(context):
            respond(text=_t("compose.not_set_up"), response_type="ephemeral")
            return
        draft = concerns.Draft("", "", text)
        view = views.compose_modal(draft) if text else views.blank_compose_modal()
    client.views_open(trigger_id=command["trigger_id"], view=view)


def _set_up(context: BoltContext) -> bool:
    """Whether the workspace has imported its org (remembered a minute once it has)."""
    set_up: Recently = context[SET_UP]
    if context.team_id in set_up:
        return True
    with Session(_deps(context).engine) as session:
        if load_config(session, context.team_id) is None:
            return False
    set_up.add(context.team_id)
    return True


def open_compose(ack: Ack, body: dict, client: WebClient) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=views.blank_compose_modal())


def open_lookup(ack: Ack, body: dict, client: WebClient) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=views.lookup_modal())


def submit_concern(ack: Ack, context: BoltContext, view: dict) -> None:
    draft = views.read_draft(view.get("state", {}).get("values", {}))
    errors = views.draft_errors(draft)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(**_send(context, draft, reviewed=metadata(view).get("reviewed")))


def _send(context: BoltContext, draft: concerns.Draft, *, reviewed: str | None) -> Response:
    """Review, refuse or store: the response to a concern's submission."""
    deps, limits = _deps(context), context[LIMITS]
    now = deps.clock()
    workspace_id, user_id = context.team_id, context.user_id
    with Session(deps.engine) as session:
        config = load_config(session, workspace_id)
        if config is None:
            return _errors("text", _t("compose.not_set_up"))
        if reviewed != views.fingerprint(draft):
            flagged = identifying_details(
                f"{draft.text}\n{draft.helps or ''}", matcher_for(session, workspace_id)
            )
            if flagged:
                return _update(views.compose_modal(draft, flagged=flagged))
        if not limits.concerns.allows(workspace_id, user_id, now):
            return _errors("text", _t("compose.limit", limit=CONCERNS_PER_DAY))
        try:  # a failing database is answered in the modal by bot/web/failsafe.py
            receipt = concerns.submit(
                session,
                workspace_id=workspace_id,
                config=config,
                user_id=user_id,
                draft=draft,
                now=now,
            )
        except audiences.NoAudience:
            return _errors("audience", _t("compose.no_leaders"))
    limits.concerns.record(workspace_id, user_id, now)
    return _update(views.receipt_modal(receipt))


def _code_view(context: BoltContext, code: str) -> dict:
    """The writer's thread for `code`, or the code form saying why it didn't open."""
    found = _open_code(context, code)
    return found if isinstance(found, dict) else views.lookup_modal(found)


def _open_code(context: BoltContext, code: str) -> dict | str:
    """The thread view, or the notice for the code form (one notice for every wrong code)."""
    deps = _deps(context)
    with Session(deps.engine) as session:
        found = _by_code(context, session, code)
        if isinstance(found, str):
            return found
        concern, config = found
        return thread_view(session, config, concern, code, deps.clock())


def _by_code(context: BoltContext, session: Session, code: str) -> tuple[Concern, OrgConfig] | str:
    """The concern a code opens, or the notice why not. Every path that takes a code (the
    code form, and the follow-up and withdraw forms whose metadata carry one) passes here, so
    every wrong code counts toward the guess throttle, whichever way it came."""
    limits, now = context[LIMITS], _deps(context).clock()
    workspace_id, user_id = context.team_id, context.user_id
    if not limits.wrong_codes.allows(workspace_id, user_id, now):
        return _t("lookup.too_many")
    config = load_config(session, workspace_id)
    concern = concerns.find(session, workspace_id=workspace_id, code=code)
    if concern is None or config is None:
        limits.wrong_codes.record(workspace_id, user_id, now)
        return _t("lookup.no_match")
    return concern, config


def thread_view(
    session: Session,
    config: OrgConfig,
    concern: Concern,
    code: str,
    now: datetime,
    notice: str | None = None,
) -> dict:
    """The writer's view of their concern, its answers and what they can still do."""
    described = audiences.describe(
        session,
        workspace_id=concern.workspace_id,
        config=config,
        audience=concerns.audience_of(concern),
    )
    next_digest = None
    if concern.delivered_on is None:
        when = audiences.next_digest(described, concern.created_on, now)
        next_digest = views.slack_day(when, described.zone)
    notes = concerns.notes(session, concern)
    people = queries.people_by_id(
        session=session,
        workspace_id=concern.workspace_id,
        user_ids={note.user_id for note in notes if note.user_id},
    )
    return concern_thread.thread_modal(
        concern,
        notes,
        code=concerns.normalise_code(code) or "",
        who=views.audience_name(described),
        names={user_id: person.display for user_id, person in people.items()},
        next_digest=next_digest,
        notice=notice,
    )


def submit_code(ack: Ack, context: BoltContext, view: dict) -> None:
    code = views.text_of(view.get("state", {}).get("values", {}), "code")
    found = _open_code(context, code)
    ack(**(_update(found) if isinstance(found, dict) else _errors("code", found)))


def submit_followup(ack: Ack, context: BoltContext, view: dict) -> None:
    text = views.text_of(view.get("state", {}).get("values", {}), "followup")
    if len(text) > concerns.NOTE_LIMIT:
        too_long = _t("compose.too_long", limit=concerns.NOTE_LIMIT, length=len(text))
        ack(**_errors("followup", too_long))
        return
    ack(**_follow_up(context, str(metadata(view).get("code", "")), text))


def _follow_up(context: BoltContext, code: str, text: str) -> Response:
    deps, limits = _deps(context), context[LIMITS]
    now = deps.clock()
    workspace_id, user_id = context.team_id, context.user_id
    if not text:
        return _errors("followup", _t("compose.missing"))
    if not limits.followups.allows(workspace_id, user_id, now):
        return _errors("followup", _t("thread.followup_limit", limit=FOLLOWUPS_PER_DAY))
    with Session(deps.engine) as session:
        found = _by_code(context, session, code)
        if isinstance(found, str):
            return _update(views.lookup_modal(found))
        concern, config = found
        if concern.status == concerns.WITHDRAWN:
            return _update(views.lookup_modal(_t("lookup.no_match")))
        concerns.add_followup(session, concern=concern, text=text, now=now)
        limits.followups.record(workspace_id, user_id, now)
        described = audiences.describe(
            session,
            workspace_id=workspace_id,
            config=config,
            audience=concerns.audience_of(concern),
        )
        when = audiences.next_digest(described, concerns.today(now), now)
        notice = _t(
            "thread.followup_saved",
            who=views.audience_name(described),
            date=views.slack_day(when, described.zone),
        )
        return _update(thread_view(session, config, concern, code, now, notice))


def withdraw_concern(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    deps = _deps(context)
    now = deps.clock()
    code = str(metadata(body.get("view") or {}).get("code", ""))
    with Session(deps.engine) as session:
        found = _by_code(context, session, code)
        if isinstance(found, str):
            view = views.lookup_modal(found)
        else:
            concern, config = found
            done = concerns.withdraw(session, concern=concern)
            notice = _t("thread.too_late") if not done and concern.delivered_on else None
            view = thread_view(session, config, concern, code, now, notice)
    client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)
