"""A workspace's life with leadbot: the app manifest, OAuth installs and their stored
tokens, uninstall and reinstall, retention, the data export ("take your data") and
forget-me, with its modals.

Entry points: `oauth.oauth_settings` / `oauth.installation_store`, `lifecycle`,
`retention`, `export.export_data`, `forget.forget_person`, `manifest`, `yourdata_views`.
May use: bot.checkin, bot.strategy, bot.org. Never bot.outbox, handlers or bot.web.
"""
