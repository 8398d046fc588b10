"""One sender process for tests/outbox/test_scale.py: ready, wait for a line on stdin, drain,
report.

`python -m tests.scale_sender DATABASE_URL SLACK_API_URL NOW` (NOW: the sender's fixed clock).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

from bot.cli import sender_client
from bot.outbox.pacer import Pacer, Rate
from bot.outbox.sender import Sender
from bot.settings import Settings
from storage.engine import make_engine


def main(argv: list[str]) -> int:
    url, api_url, now_text = argv
    now = datetime.fromisoformat(now_text)
    engine = make_engine(url)
    settings = Settings(
        bot_token="xoxb-scale", signing_secret="s", slack_api_url=api_url, database_url=url
    )
    client = sender_client(settings, Pacer(post_message=Rate(1e6, 1_000)))  # no waiting here
    sender = Sender(engine, lambda _workspace: client, lambda: now, batch=20)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    handled = sender.drain(limit=1_000_000)
    sys.stdout.write(json.dumps({"handled": handled}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
