"""Anonymous concerns: raising, the audience and its group size, identifying details,
per-person throttles, answers and the writer's thread, and their modals.

Entry points: `rules` (raise, follow-up codes, answers, what a digest may carry),
`audience`, `identifying`, `throttle`, `views`, `answer_views`, `thread_views`.
May use: bot.org. Never bot.digest (the digest reads concerns, not the other way round).
"""
