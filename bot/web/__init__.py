"""Serving Slack: HTTP (waitress) and Socket Mode, the request guard for hostile input,
readiness, and the one error handler every listener shares.

Entry points: `server.serve_http` / `server.serve_socket_mode` / `server.wsgi_app`,
`guard`, `readiness.Readiness`, `failsafe.error_handler`.
May use: bot.runtime, bot.logs, bot.settings, the Block Kit kit. Knows no capability rules.
"""
