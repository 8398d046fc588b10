"""The weekly digests: what a week says about a team (`week`), the digest as figures, trends
and suggestions (`summary`), each objective's momentum by team (`momentum`), the charts as
data (`charts`) and drawn (`drawing`), blockers raised to leadership and their answers
(`raised`), composing and planning the manager's and the leadership digest (`delivery`),
`python -m bot digest` (`cli`), and their Block Kit (`views`, `leadership_views`).

Entry points: `delivery` (plan_manager_digest, plan_leadership_digest, plan_charts,
compose_manager, compose_leadership), `week.team_week`, `summary.team_digest`,
`momentum.momentum`, `drawing.render`, `raised` (raisable, raise_blocker, answerable, answer,
for_leadership), `views`, `leadership_views`, `cli.print_digest`.
May use: bot.concerns, bot.org. Never bot.checkin (it reads check-ins from storage).
"""
