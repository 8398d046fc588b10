"""The app factory: builds the Bolt app from settings and an engine, connects to nothing else."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

import handlers
from bot.logs import ContextExecutor
from bot.outbox.dedupe import resent
from bot.runtime.deps import Deps
from bot.runtime.outage import database_unavailable, why
from bot.web import failsafe
from bot.workspace.oauth import oauth_settings
from handlers.lifecycle import resume_if_back

logger = logging.getLogger(__name__)


LISTENER_TIMEOUT = 10  # seconds


def web_client(token: str | None, base_url: str) -> WebClient:
    """A listener's client: no retry on 429, since a trigger_id lives only three seconds."""
    return listener_client(WebClient(token=token), base_url)


def listener_client(client: WebClient, base_url: str) -> WebClient:
    """Point `client` at SLACK_API_URL with a listener's timeout. Its retries stay slack_sdk's
    default (a dropped connection only): never a 429, since a trigger_id lives three seconds."""
    client.base_url = base_url
    client.timeout = LISTENER_TIMEOUT
    return client


def create_app(deps: Deps, *, listener_executor: Executor | None = None) -> App:
    """Build the Bolt app with every listener registered."""
    settings = deps.settings
    # Bolt is given the token, never a client: given no token it reads SLACK_BOT_TOKEN from the
    # environment itself (where .env puts it), and warns at every start that it goes unused
    # beside a client. In OAuth mode there is no token (bot/cli.py keeps SLACK_BOT_TOKEN out of
    # the environment, as Bolt would warn it is ignored). Bolt builds its client from the token,
    # pointed at SLACK_API_URL below; each request's client is a copy of it with that token or,
    # in OAuth mode, the workspace's installed one.
    app = App(
        signing_secret=settings.signing_secret or "",
        token=None if settings.oauth else settings.bot_token or None,
        oauth_settings=oauth_settings(deps),  # many workspaces when SLACK_CLIENT_ID is set
        request_verification_enabled=not settings.socket_mode,
        token_verification_enabled=False,
        listener_executor=listener_executor or ContextExecutor(),  # keeps the request id
        logger=logging.getLogger("slack_bolt.App"),
    )
    listener_client(app.client, settings.slack_api_url)

    app.error(failsafe.error_handler(deps))  # what fails before a listener runs
    kept = handlers.register_all(app, deps.clock)
    failsafe.install(app, deps.engine)  # one way to fail, for every listener (bot/web/failsafe.py)
    app.use(Provide(deps, kept))  # Bolt runs global middleware before any listener
    return app


class Provide(Middleware):
    """The app's one global middleware: puts the dependencies and what listeners keep per app
    in every request's context, acknowledges an event Slack resent, and resumes a workspace
    that is back. A `Middleware` rather than a function, so Bolt calls it without building
    its keyword arguments: that is per request, in the three seconds."""

    def __init__(self, deps: Deps, kept: dict[str, object]) -> None:
        self.deps = deps
        self.kept = kept

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        context = req.context
        context["deps"] = self.deps
        context.update(self.kept)
        try:
            if resent(req.body, context):
                return BoltResponse(status=200, body="")
            resume_if_back(req.body, context)
        except Exception as error:
            if not database_unavailable(error):
                raise
            # The listener meets the same database and fails its one way (bot/web/failsafe.py),
            # which answers Slack; a failing middleware would get Slack a 500.
            self.deps.outages.database.failed("middleware", self.deps.clock(), why(error))
        return next()
