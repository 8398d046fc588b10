"""One way to fail, for every listener: Slack keeps its answer, the person hears what happened.

Whatever a listener raises (the database is away, Slack refused a call, a bug), Slack still
gets the acknowledgement it was given, or a modal's inline error while the person's words stay
in it, and the person gets one kind message saying whether anything was kept.

Why a wrapper around each listener, installed once by the app factory, rather than one of
Bolt's own hooks: when a listener raises after `ack()`, Bolt 1.30 takes back the acknowledgement
it had (slack_bolt/listener/thread_runner.py sets `ack.response` to None after the error
handler), so Slack gets a 404, at once or after three seconds depending on a race. A custom
error handler runs before that and is given no response to keep; a global middleware cannot
wrap the listener (its `next()` returns before the listener runs, in another thread); and
`process_before_response` would make every listener finish its work inside Slack's three
seconds. Bolt reads a listener's arguments through `inspect` and honours `__signature__`, so
a wrapper can ask for the request besides what the listener asks for: nothing it raises ever
reaches Bolt.

Whether anything was kept is observed, not guessed: while a listener runs, a commit of a
transaction that wrote something marks its request (`track_writes`).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.util.utils import get_arg_names_of_callable
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

import prompts
from bot.runtime.deps import Deps
from bot.runtime.outage import database_unavailable, why
from bot.views.kit import notice_modal

logger = logging.getLogger(__name__)

WRAPPED = "__failsafe__"  # set on every wrapper; tests check that no listener lacks one
_WROTE = "leadbot_wrote"  # a connection's info key: its transaction wrote something
_KEPT: ContextVar[list[bool] | None] = ContextVar("kept", default=None)  # per listener run
_WRITES = ("INSERT", "UPDATE", "DELETE")


def install(app: App, engine: Engine) -> None:
    """Wrap every listener registered on `app` so far; call it once they all are."""
    track_writes(engine)
    for listener in app._listeners:  # noqa: SLF001 - Bolt keeps no public list of listeners
        function = listener.ack_function
        if not getattr(function, WRAPPED, False):
            listener.ack_function = failsafe(function)
            listener.arg_names = get_arg_names_of_callable(listener.ack_function)


def failsafe(listener: Callable[..., Any]) -> Callable[..., Any]:
    """`listener`, asking Bolt for the request too, and never raising."""
    wanted = get_arg_names_of_callable(listener)

    def run(**kwargs: Any) -> Any:
        request: BoltRequest = kwargs["request"]
        kept = _KEPT.set([False])
        try:
            return listener(**{name: kwargs[name] for name in wanted})
        except Exception as error:  # noqa: BLE001 - this is the one place listeners fail
            fail(_named(listener), request, error, kept=bool(_KEPT.get()[0]))  # type: ignore[index]
            return None
        finally:
            _KEPT.reset(kept)

    names = [*wanted, *(["request"] if "request" not in wanted else [])]
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in names]
    )
    run.__name__ = run.__qualname__ = listener.__name__
    run.__module__, run.__doc__ = listener.__module__, listener.__doc__
    setattr(run, WRAPPED, True)
    return run


WRITERS = "handlers.concern"  # the concern writer's listeners: never named with a time


def _named(listener: Callable[..., Any]) -> str:
    """The listener's name for the log; a concern writer's listeners go unnamed, so no line
    ties a concern's submission to a time finer than the day (DESIGN 4)."""
    return "(unnamed)" if listener.__module__ == WRITERS else listener.__name__


def fail(name: str, request: BoltRequest, error: Exception, *, kept: bool) -> None:
    """Log the failure (never the request's body), answer Slack, tell the person."""
    kind = _kind(request.body)
    _log(f"listener {name}", kind, request.context.get("deps"), error)
    _answer(request, kind, kept=kept)


def error_handler(deps: Deps) -> Callable[[Exception, BoltRequest], BoltResponse]:
    """Bolt's error handler, for what fails before any listener runs (in OAuth mode Bolt reads
    the workspace's installation from the database first): answered like a listener's
    failure, nothing having been kept. Listeners' own failures never reach it."""

    def handle(error: Exception, request: BoltRequest) -> BoltResponse:
        kind = _kind(request.body)
        _log("Bolt's middleware", kind, deps, error)
        _answer(request, kind, kept=False)
        return request.context.ack.response or BoltResponse(status=200, body="")

    return handle


def _kind(body: dict[str, Any]) -> str:
    return str(body.get("type") or ("command" if "command" in body else "request"))


def _answer(request: BoltRequest, kind: str, *, kept: bool) -> None:
    """Slack gets the acknowledgement (if it has none yet), the person one kind message."""
    body, context = request.body, request.context
    ack = context.ack
    if kind == "view_submission":
        if ack.response is None:
            ack(**submission_answer(body.get("view") or {}, kept=kept))
        else:  # the modal has closed: a DM is the only place left
            client, user = context.client, context.user_id
            _tell(lambda text: client.chat_postMessage(channel=user, text=text), _lost(kept))
        return
    if ack.response is None:
        ack()
    if kind in ("event_callback", "request"):
        return  # nobody clicked or typed anything: there is no one to tell
    text = prompts.text("failure.kept" if kept else "common.error")
    if body.get("response_url") and context.respond is not None:
        respond = context.respond
        _tell(lambda t: respond(text=t, response_type="ephemeral", replace_original=False), text)
    elif body.get("trigger_id"):
        _tell(lambda t: _notice(context.client, body, t), text)


def submission_answer(view: dict[str, Any], *, kept: bool) -> dict[str, Any]:
    """A failed view submission's answer: the modal stays open with an inline error under the
    block the person typed in (their words stay); once something was kept, a notice instead."""
    block_id = None if kept else error_block(view)
    if block_id is not None:
        return {"response_action": "errors", "errors": {block_id: prompts.text("failure.modal")}}
    text = prompts.text("failure.kept" if kept else "common.error")
    return {"response_action": "update", "view": notice_modal(text)}


def error_block(view: dict[str, Any]) -> str | None:
    """Where a modal says it couldn't be saved: beside the first words the person had to
    write (a multi-line text input), else the first they could write, else at its first input;
    None when it has no input."""
    inputs = [
        block
        for block in view.get("blocks") or []
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id")
    ]
    written = [block for block in inputs if _writes_words(block.get("element") or {})]
    required = [block for block in written if not block.get("optional")]
    chosen = (required or written or inputs or [None])[0]
    return None if chosen is None else str(chosen["block_id"])


def _writes_words(element: dict[str, Any]) -> bool:
    return element.get("type") == "plain_text_input" and bool(element.get("multiline"))


def _lost(kept: bool) -> str:
    return prompts.text("failure.kept" if kept else "failure.submit_lost")


def _log(where: str, kind: str, deps: Deps | None, error: Exception) -> None:
    """One line: the outage's (bot/runtime/outage.py), Slack's refusal, or a bug with its traceback;
    never the request's body, which could hold a concern or its writer (DESIGN 4)."""
    if database_unavailable(error) and deps is not None:
        deps.outages.database.failed(where, deps.clock(), why(error))
    elif isinstance(error, SlackApiError):
        reason = error.response.get("error") if error.response is not None else None
        logger.warning("%s on a %s: Slack refused a call (%s)", where, kind, reason)
    elif isinstance(error, OSError):
        logger.warning("%s on a %s: Slack did not answer (%s)", where, kind, why(error))
    else:
        logger.error("%s failed on a %s: %s", where, kind, type(error).__name__, exc_info=error)


def _notice(client: Any, body: dict[str, Any], text: str) -> None:
    """A small modal: over the modal clicked in, or on its own from App Home."""
    container = body.get("view") or {}
    if container.get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=notice_modal(text))
    else:
        client.views_open(trigger_id=body["trigger_id"], view=notice_modal(text))


def _tell(say: Callable[[str], object], text: str) -> None:
    try:
        say(text)
    except Exception as error:  # noqa: BLE001 - the person gets nothing better; it is logged
        logger.warning("could not tell the person about the failure (%s)", type(error).__name__)


def track_writes(engine: Engine) -> None:
    """Mark the running listener's request when a transaction that wrote something commits."""
    if not sa.event.contains(engine, "commit", _committed):
        sa.event.listen(engine, "begin", _began)
        sa.event.listen(engine, "before_cursor_execute", _executing)
        sa.event.listen(engine, "commit", _committed)


def _began(connection: sa.Connection) -> None:
    connection.info.pop(_WROTE, None)


def _executing(connection: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
    if _KEPT.get() is not None and statement.lstrip()[:6].upper().startswith(_WRITES):
        connection.info[_WROTE] = True


def _committed(connection: sa.Connection) -> None:
    kept = _KEPT.get()
    if connection.info.pop(_WROTE, False) and kept is not None:
        kept[0] = True
