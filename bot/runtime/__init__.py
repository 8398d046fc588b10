"""What every process and listener shares, below every capability: the dependencies passed
in (`deps.Deps`, the clock), outages of the database and Slack, the inbox hand-off between a
web process and a worker, and what a process checked lately.

Entry points: `deps.Deps`, `deps.utcnow`, `outage`, `inbox.Handoff`, `recently.Recently`.
May use: bot.settings, storage. No capability.
"""
