"""The weekly check-in: nudges, reminders, snoozes, answers and skips, late answers, pause,
and its DM and modal. Planning one person's week (`rules.plan_person`, `rules.replan`) also
plans their reflection and, for a manager, their digest.

Entry points: `rules` (plan_person, replan, window, record_answer, record_skip, snooze),
`pause.pause_end`, `views` (the check-in DM and modal).
May use: bot.digest (to plan digests), bot.strategy (to plan reflections), bot.org.
Never: bot.setup, bot.workspace, bot.home, bot.outbox, bot.web, handlers.
"""
