"""App Home: what one person sees, gathered from the other capabilities as plain data
(`gather`), and its Block Kit (`views`).

Entry points: `gather.gather`, `views`.
May use: bot.checkin, bot.digest, bot.strategy, bot.org. Nothing imports it but handlers.
"""
