"""Entry point: load .env, then hand over to the CLI."""

from __future__ import annotations

import sys

from dotenv import find_dotenv, load_dotenv


def main() -> int:
    from bot.cli import main as cli_main

    load_dotenv(find_dotenv(usecwd=True))  # the .env where leadbot is run, not beside bot/
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
