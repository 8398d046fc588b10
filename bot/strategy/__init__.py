"""Strategy reflections: their cadence, their phrasing, re-asking when objectives change, and
their DM and modal.

Entry points: `rules` (plan_reflection, reask, record, latest, moot), `views`.
May use: bot.org. Never another capability.
"""
