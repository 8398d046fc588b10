"""Every scheduled Slack message: what each outbox row says at send time (`compose`, which
knows every message kind), the sender, its pacer and the token it sends with, the
scheduler's jobs, event dedupe.

Entry points: `sender.Sender`, `jobs.build_scheduler`, `pacer.Pacer` / `pacer.paced_client`,
`tokens.client_factory`, `dedupe.resent`.
May use: every capability (setup, workspace, home, checkin, digest, strategy, concerns,
org); it is the top one. Never handlers or bot.web.
"""
