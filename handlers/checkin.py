"""The weekly check-in: DM buttons, the modal, and /checkin."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

import prompts
from bot import checkins
from bot.checkins import Window
from bot.deps import Deps
from bot.org import Plan, plan_for
from bot.views import checkin as views
from bot.views.kit import metadata, notice_modal, slack_date
from handlers.home import publish_home
from storage import queries
from storage.models import Checkin

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(views.OPEN)(open_checkin)
    app.action(views.EDIT)(edit_checkin)
    app.action(views.SKIP)(skip_week)
    app.action(views.LATER)(remind_later)
    app.view(views.MODAL)(submit_checkin)
    app.command("/checkin")(checkin_command)


def _deps(context: BoltContext) -> Deps:
    return context["deps"]


def open_checkin(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond
) -> None:
    ack()
    _open(body, client, context, respond, body["actions"][0].get("value", ""), editing=False)


def edit_checkin(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond
) -> None:
    ack()
    _open(body, client, context, respond, body["actions"][0].get("value", ""), editing=True)


def checkin_command(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond
) -> None:
    ack()
    deps = _deps(context)
    now = deps.clock()
    with Session(deps.engine) as session:
        plan = plan_for(session, context.team_id, context.user_id)
        if plan is None:
            respond(text=prompts.text("checkin.not_in_team"), response_type="ephemeral")
            return
    current = plan.current(now)
    if current is None:
        upcoming = plan.upcoming(now)
        respond(
            text=prompts.text("checkin.none_open", next=slack_date(upcoming.opens_at, plan.zone)),
            response_type="ephemeral",
        )
        return
    _open(body, client, context, respond, current.label, editing=False)


def _open(
    body: dict,
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    label: str,
    *,
    editing: bool,
) -> None:
    deps = _deps(context)
    now = deps.clock()
    with Session(deps.engine) as session:
        plan = plan_for(session, context.team_id, context.user_id)
        if plan is None:
            tell(body, client, respond, prompts.text("checkin.not_in_team"))
            return
        state = _window_or_none(plan, label, now)
        existing = queries.get_checkin(
            session=session, workspace_id=context.team_id, user_id=context.user_id, period=label
        )
        answered = existing is not None and existing.status == "answered"
        refusal = _refusal(plan, label, state, answered=answered, editing=editing, now=now)
        if refusal:
            tell(body, client, respond, refusal)
            return
        view = _modal(session, plan, label, existing, late=state is Window.LATE)
    if (body.get("view") or {}).get("type") == "home":
        view["private_metadata"] = json.dumps({**metadata(view), "home": True})
    client.views_open(trigger_id=body["trigger_id"], view=view)


def tell(body: dict, client: WebClient, respond: Respond, text: str) -> None:
    """A kind word where the click came from: ephemeral in a DM, a small modal from App Home."""
    if body.get("response_url") or body.get("response_urls"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=notice_modal(text))


def _window_or_none(plan: Plan, label: str, now: datetime) -> Window | None:
    try:
        return checkins.window(plan, label, now)
    except ValueError:
        return None


def _refusal(
    plan: Plan, label: str, state: Window | None, *, answered: bool, editing: bool, now: datetime
) -> str | None:
    """Why this period can't be opened now, in kind words; None when it can."""
    if state is Window.OPEN:
        return None
    if state is Window.LATE and not answered:
        return None
    if state is Window.LATE or (editing and state is not None):
        return prompts.text("checkin.edit_locked", week=label)
    upcoming = plan.upcoming(now)
    return prompts.text("checkin.closed", week=label, next=slack_date(upcoming.opens_at, plan.zone))


def _modal(
    session: Session, plan: Plan, label: str, existing: Checkin | None, *, late: bool
) -> dict:
    answer = views.Answer()
    if existing is not None and existing.status == "answered":
        answer = views.Answer(
            moved=existing.moved,
            blocked=existing.blocked,
            energy=existing.energy,
            learned=existing.learned,
            helped_users=tuple(existing.helped_users),
            helped_text=existing.helped_text,
            objective_key=existing.objective_key,
        )
    manager = queries.get_person(
        session=session, workspace_id=plan.person.workspace_id, user_id=plan.manager_id
    )
    who = "" if plan.reports_to_self else (manager.display if manager else "Your manager")
    return views.checkin_modal(
        label,
        answer=answer,
        who_sees=who,
        objectives=_objectives(plan),
        last_blocker=checkins.last_blocker(session, plan, label),
        late=late,
    )


def _objectives(plan: Plan) -> list[tuple[str, str]]:
    return [(o.key, o.title) for o in plan.config.objectives if not o.archived]


def submit_checkin(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, view: dict
) -> None:
    deps = _deps(context)
    now = deps.clock()
    meta = metadata(view)
    label = str(meta.get("period", ""))
    answer = views.read_submission(view.get("state", {}).get("values", {}))
    with Session(deps.engine) as session:
        plan = plan_for(session, context.team_id, context.user_id)
        if plan is None:
            ack(
                response_action="errors",
                errors={"energy": prompts.text("checkin.not_in_team")[:150]},
            )
            return
        errors = views.answer_errors(answer, {key for key, _ in _objectives(plan)})
        state = _window_or_none(plan, label, now)
        existing = queries.get_checkin(
            session=session, workspace_id=context.team_id, user_id=context.user_id, period=label
        )
        answered = existing is not None and existing.status == "answered"
        refusal = _refusal(plan, label, state, answered=answered, editing=answered, now=now)
        if refusal:
            errors = {"moved": refusal}
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()  # the answer is valid: the modal closes now; storing it is the listener's work
        checkins.record_answer(session, plan, label, answer, late=state is Window.LATE, now=now)
        refresh_messages(session, client, plan, label, now)
        if meta.get("home"):  # opened from App Home, which shows the new state at once
            publish_home(client, session, context.team_id, context.user_id, now)


def _open_plan(
    session: Session, context: BoltContext, respond: Respond, label: str, now: datetime
) -> Plan | None:
    """The person's plan while `label` is open; otherwise say kindly that it has closed."""
    plan = plan_for(session, context.team_id, context.user_id)
    if plan is None or _window_or_none(plan, label, now) is not Window.OPEN:
        text = prompts.text("checkin.edit_locked", week=label)
        respond(text=text, response_type="ephemeral", replace_original=False)
        return None
    return plan


def skip_week(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond
) -> None:
    ack()
    deps = _deps(context)
    now = deps.clock()
    label = body["actions"][0].get("value", "")
    with Session(deps.engine) as session:
        plan = _open_plan(session, context, respond, label, now)
        if plan is None:
            return
        checkins.record_skip(session, plan, label, now)
        refresh_messages(session, client, plan, label, now)


def remind_later(ack: Ack, body: dict, context: BoltContext, respond: Respond) -> None:
    ack()
    deps = _deps(context)
    now = deps.clock()
    label = body["actions"][0].get("value", "")
    with Session(deps.engine) as session:
        plan = _open_plan(session, context, respond, label, now)
        if plan is None:
            return
        due = checkins.snooze(session, plan, label, now)
        closes = slack_date(checkins.period_of(plan, label).closes_at, plan.zone)
    text = (
        prompts.text("checkin.snoozed", when=slack_date(due, plan.zone))
        if due
        else prompts.text("checkin.snooze_none", closes=closes)
    )
    respond(text=text, response_type="ephemeral", replace_original=False)


def refresh_messages(
    session: Session, client: WebClient, plan: Plan, label: str, now: datetime
) -> None:
    """Turn every check-in DM of the period into its answered (or skipped) state."""
    row = queries.get_checkin(
        session=session,
        workspace_id=plan.person.workspace_id,
        user_id=plan.person.user_id,
        period=label,
    )
    if row is None:
        return
    text, blocks = _state_message(plan, label, row, now)
    for delivery in queries.deliveries_for(
        session=session,
        workspace_id=plan.person.workspace_id,
        subject=plan.person.user_id,
        period=label,
    ):
        if delivery.kind in checkins.CHECKIN_KINDS and delivery.ts and delivery.posted_channel:
            client.chat_update(
                channel=delivery.posted_channel, ts=delivery.ts, text=text, blocks=blocks
            )


def _state_message(plan: Plan, label: str, row: Checkin, now: datetime) -> tuple[str, list[dict]]:
    if row.status == "skipped":
        return views.skipped_message(label)
    closes = checkins.period_of(plan, label).closes_at
    if row.late:
        return views.done_message(
            label, prompts.text("checkin.done_late", week=label), editable=False
        )
    line = prompts.text("checkin.done", week=label, closes=slack_date(closes, plan.zone))
    return views.done_message(
        label, line, editable=checkins.window(plan, label, now) is Window.OPEN
    )
