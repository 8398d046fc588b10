"""The organisation as everyone reads it: the org file and its typed configuration, the diff
against what is stored, export-org, each person's plan, periods and working hours, and the
changes to who reads (leaders, admins, managers, the leadership channel) that are announced.

Entry points: `config.OrgConfig`, `file.parse_org`, `plan.plan_for` / `plan.load_config` /
`plan.Plan`, `schedule.period` and friends, `diff.diff_org` / `diff.load_stored`,
`export.export_org`, `questions.for_period` / `questions.frozen` / `questions.freeze_before_change`
(what each team's period asks), `access.record` / `access.latest` / `access.check_channel` (with its
messages in `access_views`).
May use: storage, prompts, the runtime and the Block Kit kit. Changing the org (import, Slack
edits, people sync) is `bot.setup`, one level up, because it re-plans check-ins.
"""
