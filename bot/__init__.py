"""leadbot: the app factory, settings, logging and the CLI, and one package per capability.

Capabilities, top to bottom (a package may use those below it, never those above):
outbox; home, setup, workspace; checkin; digest; strategy, concerns; org. Beside them: web
(serving, no capability rules), runtime (what every process shares), views (the Block Kit
kit). The rules are import-linter contracts in pyproject.toml, run by .ci/run.
"""
