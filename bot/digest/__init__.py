"""The weekly digests: what a week says about a team (`week`), the digest as figures, trends
and suggestions (`summary`), each objective's momentum by team (`momentum`), composing and
planning the manager's and the leadership digest (`delivery`), `python -m bot digest`
(`cli`), and their Block Kit.

Entry points: `delivery` (plan_manager_digest, plan_leadership_digest, compose_manager,
compose_leadership), `week.team_week`, `summary.team_digest`, `momentum.momentum`, `views`,
`cli.print_digest`.
May use: bot.concerns, bot.org. Never bot.checkin (it reads check-ins from storage).
"""
