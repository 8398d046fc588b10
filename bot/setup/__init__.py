"""Setting the org up: `python -m bot import`, applying a new org configuration (re-planning
whoever moved, re-asking reflections), admins' edits in Slack and their modals, people sync
from Slack.

Entry points: `importer.run_import`, `apply.apply_config`, `edit` (the admin edits),
`people.sync_people` / `people.upsert_user`, `views` / `schedule_views` (the setup modals).
May use: bot.checkin, bot.strategy, bot.org (and everything below them).
"""
