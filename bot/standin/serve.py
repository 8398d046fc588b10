"""Serve the real app on a loopback port in a thread (tests and the demo)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from slack_bolt import App
from waitress.server import create_server

from bot.web.server import wsgi_app


class InlineExecutor(Executor):
    """Runs a listener to its end before Bolt answers, so a caller sees everything it did."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - handed back to Bolt as its own would be
            future.set_exception(error)
        return future


class LoopbackServer:
    """The app behind waitress on 127.0.0.1 and a free port, until `stop()`."""

    def __init__(self, app: App, ready: Callable[[], bool] = lambda: True) -> None:
        self._server = create_server(
            wsgi_app(app, ready), host="127.0.0.1", port=0, threads=4, asyncore_loop_timeout=0.05
        )
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.effective_port}/slack/events"

    def _serve(self) -> None:
        try:
            self._server.run()
        except OSError:
            if not self._stopping.is_set():  # closing the sockets under select() is expected
                raise

    def stop(self) -> None:
        self._stopping.set()
        self._server.task_dispatcher.shutdown(timeout=5)  # let answering threads finish first
        self._server.close()
        self._thread.join(timeout=5)
