"""The strategy reflection: its DM button and its modal."""

from __future__ import annotations

import json

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

import prompts
from bot.org.plan import Plan, plan_for
from bot.runtime.deps import Deps
from bot.strategy import rules as strategy
from bot.strategy import views
from bot.views.kit import section
from handlers.checkin import tell
from handlers.home import publish_home
from storage import queries


def register(app: App) -> None:
    app.action(views.OPEN)(open_reflection)
    app.view(views.MODAL)(submit_reflection)


def open_reflection(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond
) -> None:
    ack()
    deps: Deps = context["deps"]
    with Session(deps.engine) as session:
        plan = plan_for(session, context.team_id, context.user_id)
        objectives = [o for o in plan.config.objectives if not o.archived] if plan else []
        if plan is None or not objectives:
            text = prompts.text("checkin.not_in_team" if plan is None else "strategy.no_objectives")
            tell(body, client, respond, text)  # from App Home there is no message to answer
            return
        view = reflection_view(session, plan)
    container = body.get("container") or {}
    meta = json.loads(view["private_metadata"])
    if container.get("type") == "message":  # the DM turns into a thank-you once answered
        meta.update(channel=container.get("channel_id"), ts=container.get("message_ts"))
    if (body.get("view") or {}).get("type") == "home":  # Home shows the new words at once
        meta.update(home=True)
    view["private_metadata"] = json.dumps(meta)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def reflection_view(session: Session, plan: Plan) -> dict:
    """The modal in the person's next phrasing, quoting their last "progress" back."""
    last = strategy.latest(session, plan.person.workspace_id, plan.person.user_id)
    manager = queries.get_person(
        session=session, workspace_id=plan.person.workspace_id, user_id=plan.manager_id
    )
    who = "" if plan.reports_to_self else (manager.display if manager else "Your manager")
    previous = None
    if last is not None:
        previous = views.ReflectionAnswer(
            objective_keys=tuple(last.objective_keys), other=last.other
        )
    return views.reflection_modal(
        [o for o in plan.config.objectives if not o.archived],
        phrasing=strategy.next_phrasing(last),
        who_sees=who,
        quote_back=last.progress if last else None,
        previous=previous,
    )


def submit_reflection(ack: Ack, client: WebClient, context: BoltContext, view: dict) -> None:
    deps: Deps = context["deps"]
    answer = views.read_reflection(view.get("state", {}).get("values", {}))
    meta = json.loads(view.get("private_metadata") or "{}")
    with Session(deps.engine) as session:
        plan = plan_for(session, context.team_id, context.user_id)
        if plan is None:
            ack(response_action="errors", errors={"how": prompts.text("checkin.not_in_team")})
            return
        known = {o.key for o in plan.config.objectives if not o.archived}
        errors = views.reflection_errors(answer, known)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        phrasing = int(meta.get("phrasing", 0)) % strategy.phrasing_count()
        strategy.record(
            session,
            plan,
            objective_keys=list(answer.objective_keys),
            other=answer.other if answer.picked_other else None,
            how=answer.how or "",
            progress=answer.progress or "",
            help=answer.help,
            phrasing=phrasing,
            now=deps.clock(),
        )
        ack()
        if meta.get("channel") and meta.get("ts"):
            thanks = prompts.text("strategy.thanks")
            client.chat_update(
                channel=meta["channel"], ts=meta["ts"], text=thanks, blocks=[section(thanks)]
            )
        if meta.get("home"):
            publish_home(
                client, session, plan.person.workspace_id, plan.person.user_id, deps.clock()
            )
