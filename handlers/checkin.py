"""The weekly check-in: DM buttons, the modal, and /checkin."""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import replace
from datetime import datetime

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

import prompts
from bot.checkin import rules as checkins
from bot.checkin import views
from bot.checkin.rules import Window
from bot.org import questions
from bot.org.plan import Plan, plan_for
from bot.runtime import inbox
from bot.runtime.deps import Deps
from bot.runtime.outage import database_unavailable, why
from bot.views.kit import metadata, notice_modal, slack_date
from bot.web import failsafe
from handlers.home import publish_home
from storage import queries
from storage.models import Checkin, Inbox

logger = logging.getLogger(__name__)

CHECKIN = "checkin"  # the inbox kind of a handed-on answer


def register(app: App) -> None:
    """Register the listeners but `submit_checkin`, which `handlers.register_all` puts first."""
    app.action(views.OPEN)(open_checkin)
    app.action(views.EDIT)(edit_checkin)
    app.action(views.SKIP)(skip_week)
    app.action(views.LATER)(remind_later)
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
        view = _modal(session, plan, label, existing, state)
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
    session: Session, plan: Plan, label: str, existing: Checkin | None, state: Window | None
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
            answers=dict(existing.answers or {}),
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
        late=state is Window.LATE,
        until=int(ends.timestamp()) if (ends := _ends(plan, label, state)) else None,
        questions=_asked(session, plan, label, existing),
        min_group=plan.config.anonymity.min_group_size,
    )


def _asked(
    session: Session, plan: Plan, label: str, existing: Checkin | None = None
) -> questions.Questions:
    """What the period asks the person: their team's questions as the period froze them (an
    answer already given keeps the team it was written to)."""
    team_key = existing.team_key if existing is not None else plan.team.key
    return questions.for_period(session, plan.config, plan.person.workspace_id, team_key, label)


def _ends(plan: Plan, label: str, state: Window | None) -> datetime | None:
    return checkins.window_ends(plan, label, state) if state is not None else None


def _objectives(plan: Plan) -> list[tuple[str, str]]:
    return [(o.key, o.title) for o in plan.config.objectives if not o.archived]


def submit_checkin(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, view: dict
) -> None:
    """Check the answer, acknowledge, hand it on through the inbox, and store it unless this
    process only acknowledges (a worker then stores it within a second or so)."""
    deps = _deps(context)
    now = deps.clock()
    meta = metadata(view)
    label = str(meta.get("period", ""))
    answer = views.read_submission(view.get("state", {}).get("values", {}), _blocks(view))
    errors = _errors_in_time(view, meta, answer, now)
    if errors is None:  # the modal's window has ended (or it predates `until`): ask the database
        errors = _errors_now(deps, context, label, answer, now, _blocks(view))
    if errors:
        ack(response_action="errors", errors=errors)
        return
    if deps.outages.database.down:  # it can't be stored now: the modal stays open, words and all
        ack(**failsafe.submission_answer(view, kept=False))
        return
    ack()  # the answer is valid: the modal closes now
    handed_on = {"period": label, "answer": views.answer_data(answer), "home": "home" in meta}
    row = {"workspace_id": context.team_id, "user_id": context.user_id, "kind": CHECKIN}

    def give_back() -> None:
        not_stored(client, context.user_id, label, prompts.text("checkin.not_saved"), answer)

    if deps.handoff is not None:  # a worker stores it
        deps.handoff.put(**row, body=handed_on, now=now, lost=give_back)
        return
    try:
        row_id = inbox.put(deps.engine, **row, body=handed_on, now=now)
    except SQLAlchemyError as error:  # the person gets their words back by DM
        if database_unavailable(error):
            deps.outages.database.failed("listener submit_checkin", now, why(error))
        else:
            logger.exception("could not hand a check-in on to be stored")
        give_back()
        return
    with contextlib.suppress(Exception):  # logged by inbox.handle; its job retries the row
        inbox.handle(deps.engine, row_id, INBOX, client, now)


def _errors_in_time(
    view: dict, meta: dict, answer: views.Answer, now: datetime
) -> dict[str, str] | None:
    """The answer's errors from the submission alone, while the modal's window lasts (no
    database); None once it has ended, or when the modal does not say when it ends."""
    until = meta.get("until")
    if not isinstance(until, int) or now.timestamp() >= until:
        return None
    return views.answer_errors(answer, views.offered_objectives(view), _blocks(view))


def _blocks(view: dict) -> list:
    blocks = view.get("blocks")
    return blocks if isinstance(blocks, list) else []


def _errors_now(
    deps: Deps,
    context: BoltContext,
    label: str,
    answer: views.Answer,
    now: datetime,
    blocks: list,
) -> dict[str, str]:
    """The answer's errors against what is stored now: the person's team and the period."""
    with Session(deps.engine) as session:
        plan = plan_for(session, context.team_id, context.user_id)
        if plan is None:
            return {"energy": prompts.text("checkin.not_in_team")[:150]}
        errors = views.answer_errors(answer, {key for key, _ in _objectives(plan)}, blocks)
        refusal = _refusal_at(session, plan, label, now)
    return {"moved": refusal} if refusal else errors


def _refusal_at(session: Session, plan: Plan, label: str, now: datetime) -> str | None:
    """Why an answer for `label` can't be stored at `now`; None when it can."""
    state = _window_or_none(plan, label, now)
    existing = queries.get_checkin(
        session=session,
        workspace_id=plan.person.workspace_id,
        user_id=plan.person.user_id,
        period=label,
    )
    answered = existing is not None and existing.status == "answered"
    return _refusal(plan, label, state, answered=answered, editing=answered, now=now)


def store_answer(engine: Engine, client: WebClient, row: Inbox, now: datetime) -> None:
    """The inbox handler: store a handed-on answer as of when it arrived, then show it as done
    in the person's DMs (and Home). An answer that can no longer be stored (the person left
    the team, or the week closed while the modal was open) is sent back to them by DM.

    Handling it again is harmless: an answer stored at or after this one's arrival (this one,
    on a retry, or a later edit) is left as it is, and only the DMs are shown again."""
    label = str(row.body.get("period", ""))
    answer = views.answer_from_data(row.body.get("answer") or {})
    arrived = row.received_at
    with Session(engine, expire_on_commit=False) as session:  # nothing reloaded after commit
        plan = plan_for(session, row.workspace_id, row.user_id)
        if plan is None:
            not_stored(client, row.user_id, label, prompts.text("checkin.not_in_team"), answer)
            return
        stored = queries.get_checkin(
            session=session, workspace_id=row.workspace_id, user_id=row.user_id, period=label
        )
        answered = stored is not None and stored.status == "answered"
        if not (answered and stored is not None and stored.updated_at >= arrived):
            state = _window_or_none(plan, label, arrived)
            refusal = _refusal(plan, label, state, answered=answered, editing=answered, now=arrived)
            if refusal:
                not_stored(client, row.user_id, label, refusal, answer)
                return
            if answer.objective_key not in {o.key for o in plan.config.objectives}:
                answer = replace(answer, objective_key=None)  # removed while the modal was open
            answer = _to_asked(answer, _asked(session, plan, label, stored))
            late = state is Window.LATE
            stored = checkins.record_answer(
                session, plan, label, answer, late=late, now=arrived, stored=stored
            )
        refresh_messages(session, client, plan, label, now, stored)
        if row.body.get("home"):  # opened from App Home, which shows the new state at once
            publish_home(client, session, row.workspace_id, row.user_id, now)


def _to_asked(answer: views.Answer, asked: questions.Questions) -> views.Answer:
    """Only the answers to what the period asks, each as its question's kind takes it."""
    kinds = {question.key: question for question in asked}
    kept = {
        key: given
        for key, given in answer.answers.items()
        if key in kinds and views.fits(kinds[key], given)
    }
    return replace(answer, answers=kept)


def not_stored(
    client: WebClient, user_id: str, label: str, reason: str, answer: views.Answer
) -> None:
    """Tell the person their answer was not stored, and give it back to them."""
    text = prompts.text("checkin.not_stored", week=label, reason=reason)
    summary = views.answer_summary(answer)
    client.chat_postMessage(channel=user_id, text=f"{text}\n\n{summary}".strip())


INBOX: dict[str, inbox.Handler] = {CHECKIN: store_answer}


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
    session: Session,
    client: WebClient,
    plan: Plan,
    label: str,
    now: datetime,
    row: Checkin | None = None,
) -> None:
    """Turn every check-in DM of the period into its answered (or skipped) state; `row` is
    the period's check-in when the caller has it."""
    row = row or queries.get_checkin(
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
