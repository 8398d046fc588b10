"""Changes to who reads, in words: the announcement DM, App Home's lines, the channel warning."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import prompts
from bot.views.kit import MESSAGE_BLOCKS, Block, context, cut, escape, header, section

LINES = 10  # changes per section
SECTIONS = 4  # sections of changes in one DM; beyond them "… and N more"
_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,}")


class Changed(Protocol):
    """One recorded change (storage.models.AccessChange)."""

    actor_id: str | None
    source: str
    what: str
    subject: str | None
    before: str | None
    after: str | None
    at: datetime


@dataclass(frozen=True)
class Names:
    """Display names by user id and team names by key, as stored when the text is built."""

    people: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)

    def person(self, user_id: str | None) -> str:
        if not user_id:
            return prompts.text("access.none")
        return f"*{escape(self.people.get(user_id, user_id))}*"

    def team(self, key: str | None) -> str:
        return f"*{escape(self.teams.get(key or '', key or ''))}*"


def channel(channel_id: str | None) -> str:
    """A channel as Slack shows it (<#C…>); anything not shaped like an id, as plain text."""
    if not channel_id:
        return prompts.text("access.none")
    return f"<#{channel_id}>" if _CHANNEL.fullmatch(channel_id) else escape(channel_id)


def describe(change: Changed, names: Names) -> str:
    """What one change did, in a line (every name escaped)."""
    before, after = change.before, change.after
    if change.what in ("leader", "admin"):
        which = "added" if after else "removed"
        return prompts.text(f"access.{change.what}_{which}", name=names.person(after or before))
    if change.what == "manager":
        which = "new" if before is None else "removed" if after is None else "changed"
        return prompts.text(
            f"access.manager_{which}",
            team=names.team(change.subject),
            before=names.person(before),
            after=names.person(after),
        )
    which = "set" if before is None else "removed" if after is None else "changed"
    return prompts.text(f"access.channel_{which}", before=channel(before), after=channel(after))


def who(change: Changed, names: Names) -> str:
    """Who made the change: a person, or an org file import."""
    if change.actor_id:
        return names.person(change.actor_id)
    return prompts.text("access.an_import" if change.source == "orgfile" else "access.someone")


def announcement(changes: list[Changed], names: Names) -> tuple[str, list[Block]]:
    """The DM to a leader or admin: who changed what. Its fallback text says the same."""
    first = changes[0]
    if first.actor_id:
        lead = prompts.text("access.by_person", actor=names.person(first.actor_id))
    else:
        lead = prompts.text("access.by_import")
    lines = [f"• {describe(change, names)}" for change in changes]
    shown = lines[: LINES * SECTIONS]
    blocks: list[Block] = [header(prompts.text("access.title")), section(lead)]
    blocks += [
        section("\n".join(shown[start : start + LINES])) for start in range(0, len(shown), LINES)
    ]
    if len(lines) > len(shown):
        blocks.append(context(prompts.text("access.more", count=len(lines) - len(shown))))
    blocks.append(context(prompts.text("access.why")))
    text = cut(f"{lead}\n" + "\n".join(shown), 3000)
    return text, blocks[:MESSAGE_BLOCKS]


def latest_block(changes: list[Changed], names: Names, zone: ZoneInfo) -> Block:
    """App Home's list of the last changes: day (in the reader's zone), who, what."""
    if not changes:
        return context(prompts.text("access.home_empty"))
    lines = [
        prompts.text(
            "access.home_line",
            day=f"{change.at.astimezone(zone):%a %d %b}",
            who=who(change, names),
            what=describe(change, names),
        )
        for change in changes
    ]
    return section(prompts.text("access.home_heading") + "\n" + "\n".join(lines))


def outsiders(count: int, shown: str) -> str:
    """The Leaders modal's warning: how many in the channel are not leaders."""
    one = count == 1
    return prompts.text(
        "access.outsiders",
        count=count,
        people=prompts.text("access.person" if one else "access.people"),
        channel=shown,
        are=prompts.text("access.is" if one else "access.are"),
    )
