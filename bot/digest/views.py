"""Block Kit for what a digest says: quotes with names, the alignment map."""

from __future__ import annotations

import json

import prompts
from bot.digest.summary import Suggestion, TeamDigest
from bot.digest.week import Alignment, Quote, Said, TeamWeek
from bot.views.kit import (
    MESSAGE_BLOCKS,
    TEXT_LIMIT,
    Block,
    actions,
    button,
    context,
    cut,
    divider,
    escape,
    header,
    notice_modal,
    option,
    plain,
    quoted,
    section,
)

QUOTE_LIMIT = 280


def quote_line(quote: Quote, *, with_name: bool = True) -> str:
    """“words” — Name, escaped and cut with a visible … (user text never pings or links)."""
    words = quoted(cut(quote.text, QUOTE_LIMIT))
    return f"“{words}” — {escape(quote.name)}" if with_name else f"“{words}”"


def helped_line(quote: Quote, *, with_name: bool = True) -> str:
    """Who helped whom: "Ana ↔ Ben — “pairing on refunds”" (names and words escaped)."""
    who = escape(quote.name) if with_name else ""
    if quote.with_whom:
        who = f"{who} ↔ {escape(quote.with_whom)}" if who else f"↔ {escape(quote.with_whom)}"
    words = quote_line(quote, with_name=False) if quote.text.strip() else ""
    return " — ".join(part for part in (who, words) if part)


def lines_sections(title: str, lines: list[str]) -> list[Block]:
    """A titled list split over as many sections as Slack's 3,000 characters need."""
    blocks: list[Block] = []
    chunk = f"*{title}*"
    for line in lines:
        candidate = f"{chunk}\n{line}"
        if len(candidate) > TEXT_LIMIT:
            blocks.append(section(chunk))
            chunk = line
        else:
            chunk = candidate
    blocks.append(section(chunk))
    return blocks


def alignment_lines(rows: list[Alignment], *, with_names: bool = True) -> list[str]:
    lines = []
    for row in rows:
        title = escape(row.title)
        if not row.quotes:
            lines.append(prompts.text("digest.objective_nobody", title=title))
            continue
        lines.append(prompts.text("digest.objective_people", title=title, count=len(row.quotes)))
        lines += [f"    {quote_line(q, with_name=with_names)}" for q in row.quotes]
    return lines


def said_blocks(
    said: list[Said],
    *,
    figures: dict[str, dict[str, int] | None] | None = None,
    trends: dict[str, str | None] | None = None,
    min_group: int = 5,
    with_names: bool = True,
) -> list[Block]:
    """The team's own questions, lens by lens: text and people answers quoted with their
    writer; a choice or scale as the team's spread (with a scale's trend) only when `figures`
    may show it, else one line saying why not. Nothing for a question nobody answered."""
    blocks: list[Block] = []
    for item in said:
        question, lens = item.question, prompts.text(f"digest.lens.{item.question.lens}")
        wording = escape(question.text)
        if not item.answers:
            continue
        if question.figure:
            if figures is None:  # one person's view: never their own choice
                blocks.append(context(prompts.text("digest.figure_mine", question=wording)))
                continue
            blocks += _figure(
                item, figures.get(question.key), (trends or {}).get(question.key), min_group
            )
            continue
        lines = [
            helped_line(q, with_name=with_names)
            if question.kind == "people"
            else quote_line(q, with_name=with_names)
            for q in item.quotes
        ]
        title = prompts.text("digest.asked", lens=lens, question=wording)
        blocks += lines_sections(title, lines)
    return blocks


def _figure(
    item: Said, counts: dict[str, int] | None, trend: str | None, min_group: int
) -> list[Block]:
    """A choice or scale question's spread: "2 Unclear · 5 Clear (7 answers)", in the
    question's own order of options (a scale's steps with their words)."""
    question, wording = item.question, escape(item.question.text)
    if counts is None:
        hidden = "digest.figure_alike" if item.answers >= min_group else "digest.figure_hidden"
        return [context(prompts.text(hidden, question=wording, min=min_group))]
    if question.kind == "scale":
        labels = [(str(step), f"{step} {word}") for step, word in enumerate(question.options, 1)]
    else:
        labels = [(option_text, option_text) for option_text in question.options]
        labels += [(k, k) for k in counts if k not in question.options]  # renamed options
    parts = [f"{escape(label)} {counts[key]}" for key, label in labels if counts.get(key)]
    lines = [
        prompts.text(
            "digest.figure", question=wording, count=item.answers, distribution=" · ".join(parts)
        )
    ]
    if trend:
        lines.append(
            prompts.text("digest.figure_trend", question=wording, weeks=len(trend), spark=trend)
        )
    return [section("\n".join(lines))]


def about_blocks(week: TeamWeek) -> list[Block]:
    """The digest's items about one person, as that person sees them (no Reply buttons)."""
    sections = (
        ("digest.wins", week.wins),
        ("digest.blockers", week.blockers),
        ("digest.learned", week.learned),
    )
    blocks: list[Block] = []
    for key, quotes in sections:
        if quotes:
            lines = [quote_line(q, with_name=False) for q in quotes]
            blocks += lines_sections(prompts.text(key), lines)
    if week.helped:
        lines = [helped_line(q, with_name=False) for q in week.helped]
        blocks += lines_sections(prompts.text("digest.helped"), lines)
    blocks += said_blocks(week.said, with_names=False)
    if week.alignment:
        lines = alignment_lines(week.alignment, with_names=False)
        blocks += lines_sections(prompts.text("digest.alignment"), lines)
    return blocks


# --- the weekly manager digest ------------------------------------------------------

REPLY_PRIVATELY = "digest_reply"  # value: "<check-in ref>:<field>", never a row id
REPLY_MODAL = "digest_reply_modal"
RAISE = "digest_raise"  # value: the check-in's ref
RAISE_MODAL = "digest_raise_modal"


def _participation(team: TeamDigest) -> str:
    older = [f"{f.answered}/{f.expected}" for f in team.figures[:-1] if f.expected]
    trend = (
        prompts.text("digest.participation_trend", trend=" → ".join(older[-4:])) if older else ""
    )
    return prompts.text(
        "digest.participation",
        answered=team.figure.answered,
        expected=team.figure.expected,
        trend=trend,
        away=team.time_away,
    )


def _energy(team: TeamDigest, min_group: int) -> list[Block]:
    if team.energy is None:
        answers = sum(1 for row in team.week.answered if row.energy)
        if not answers:
            return []
        hidden = "digest.energy_alike" if answers >= min_group else "digest.energy_hidden"
        return [context(prompts.text(hidden, min=min_group))]
    parts = [
        prompts.text(
            "digest.energy_level", label=prompts.text(f"checkin.energy.{level}"), count=count
        )
        for level, count in team.energy.items()
        if count
    ]
    lines = [
        prompts.text(
            "digest.energy", count=sum(team.energy.values()), distribution=" · ".join(parts)
        )
    ]
    if team.energy_trend:
        lines.append(
            prompts.text(
                "digest.energy_trend", weeks=len(team.energy_trend), spark=team.energy_trend
            )
        )
    return [section("\n".join(lines))]


def _quotes(
    title: str, quotes: list[Quote], *, reply: bool, suffix: dict[str, str] | None = None
) -> list[Block]:
    """A heading, then one section per quote with Reply privately."""
    if not quotes:
        return []
    blocks: list[Block] = [section(f"*{title}*")]
    for quote in quotes:
        text = quote_line(quote) + (suffix or {}).get(quote.ref, "")
        accessory = (
            button(prompts.text("digest.reply"), REPLY_PRIVATELY, quote.ref)
            if reply and quote.ref
            else None
        )
        blocks.append(section(text, accessory))
    return blocks


def _objectives(team: TeamDigest) -> list[Block]:
    """One line an objective: how many of the team's check-ins moved it this week."""
    lines = [
        prompts.text(
            "digest.moved_line" if count else "digest.moved_none", title=escape(title), count=count
        )
        for _key, title, count in team.objectives
    ]
    return lines_sections(prompts.text("digest.moved"), lines) if lines else []


def _wins(team: TeamDigest, *, reply: bool) -> list[Block]:
    """Wins grouped under the objective they moved (in the org's order), then the rest."""
    wins = team.week.wins
    if not wins:
        return []
    titles = {key: title for key, title, _count in team.objectives}
    blocks: list[Block] = [section(f"*{prompts.text('digest.wins')}*")]
    for key, title in titles.items():
        under = [q for q in wins if q.objective == key]
        if under:
            blocks.append(context(prompts.text("digest.wins_for", title=escape(title))))
            blocks += _quotes("", under, reply=reply)[1:]
    rest = [q for q in wins if q.objective not in titles]
    if rest:
        if len(rest) < len(wins):
            blocks.append(context(prompts.text("digest.wins_other")))
        blocks += _quotes("", rest, reply=reply)[1:]
    return blocks


def _blockers(team: TeamDigest, still: dict[str, str], *, actionable: bool) -> list[Block]:
    """Blockers, each with Reply privately and Raise to leadership side by side (or a line
    saying it is raised already)."""
    if not team.blockers:
        return []
    blocks: list[Block] = [section(f"*{prompts.text('digest.blockers')}*")]
    for blocker in team.blockers:
        quote = blocker.quote
        blocks.append(section(quote_line(quote) + still.get(quote.ref, "")))
        if not actionable or not quote.ref:
            continue
        checkin_ref = quote.ref.partition(":")[0]
        reply = button(prompts.text("digest.reply"), REPLY_PRIVATELY, quote.ref)
        if blocker.raised:
            blocks.append(actions(reply))
            blocks.append(context(prompts.text("digest.raised_already")))
        else:
            blocks.append(actions(reply, button(prompts.text("digest.raise"), RAISE, checkin_ref)))
    return blocks


def team_blocks(team: TeamDigest, min_group: int, *, preview: bool = False) -> list[Block]:
    """One team's section of a manager's digest."""
    week = team.week
    blocks: list[Block] = [header(prompts.text("digest.team_heading", team=week.team_name))]
    if team.empty:
        blocks.append(section(prompts.text("digest.nothing", team=escape(week.team_name))))
    else:
        blocks.append(section(_participation(team)))
        blocks += lines_sections(prompts.text("digest.alignment"), alignment_lines(week.alignment))
        blocks += _objectives(team)
        blocks += _wins(team, reply=not preview)
        still = {
            b.quote.ref: prompts.text("digest.still_blocking", weeks=b.weeks)
            for b in team.blockers
            if b.weeks >= 2
        }
        blocks += _blockers(team, still, actionable=not preview)
        blocks += [] if preview else _energy(team, min_group)
        if week.learned:
            blocks += lines_sections(
                prompts.text("digest.learned"), [quote_line(q) for q in week.learned]
            )
        if week.helped:
            blocks += lines_sections(
                prompts.text("digest.helped"), [helped_line(q) for q in week.helped]
            )
        blocks += said_blocks(  # a preview shows no spreads, as it shows no energy
            [item for item in week.said if not (preview and item.question.figure)],
            figures=team.spreads,
            trends=team.spread_trends,
            min_group=min_group,
        )
    if team.subteams:
        lines = [
            prompts.text(
                "digest.subteam_line", team=escape(name), answered=f.answered, expected=f.expected
            )
            for name, f in team.subteams
        ]
        blocks += lines_sections(
            prompts.text("digest.subteams", team=escape(week.team_name)), lines
        )
    return blocks


def manager_digest(
    period: str,
    teams: list[TeamDigest],
    *,
    min_group: int,
    concerns: list[Block] | None,
    tally: str | None,
    suggestions: list[Suggestion],
    preview: bool = False,
) -> list[Block]:
    """The whole digest of one manager, in a stable order (split later into messages)."""
    blocks: list[Block] = [
        header(prompts.text("digest.header", period=period)),
        context(
            prompts.text("digest.preview_note", period=period)
            if preview
            else prompts.text("digest.intro")
        ),
    ]
    for team in teams:
        blocks += team_blocks(team, min_group, preview=preview) + [divider()]
    if concerns is not None:
        blocks.append(header(prompts.text("digest.concerns")))
        blocks += concerns or [context(prompts.text("digest.concerns_none"))]
        if tally:
            blocks.append(context(tally))
    if suggestions:
        lines = [
            f"• {prompts.text('digest.suggest.' + s.key, **_escaped(s.values))}"
            for s in suggestions
        ]
        blocks += lines_sections(prompts.text("digest.conversations"), lines)
    return blocks


def _escaped(values: dict[str, object]) -> dict[str, object]:
    return {k: quoted(cut(v, 200)) if isinstance(v, str) else v for k, v in values.items()}


def split_messages(blocks: list[Block], limit: int = MESSAGE_BLOCKS) -> list[list[Block]]:
    """Stable parts of at most `limit` blocks; every later part says it continues."""
    if len(blocks) <= limit:
        return [blocks]
    size = limit - 1
    chunks = [blocks[i : i + size] for i in range(0, len(blocks), size)]
    parts = []
    for index, chunk in enumerate(chunks, start=1):
        note = context(prompts.text("digest.continued", part=index, parts=len(chunks)))
        parts.append(chunk + [note] if index == 1 else [note, *chunk])
    return parts


def as_text(blocks: list[Block]) -> str:
    """The digest as readable plain text (for the CLI and the demo)."""
    lines: list[str] = []
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            lines += ["", block["text"]["text"].upper()]
        elif kind == "section":
            lines.append(block["text"]["text"])
        elif kind == "context":
            lines += [element.get("text", "") for element in block["elements"]]
        elif kind == "divider":
            lines.append("-" * 40)
    text = "\n".join(lines).strip() + "\n"
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def reply_modal(name: str | None, ref: str, *, quote: str = "", refusal: str = "") -> dict:
    """Reply privately to one quote; or, for anyone but its manager, a kind refusal."""
    title = plain(prompts.text("digest.reply_title"), 24)
    if name is None:
        return {
            "type": "modal",
            "title": title,
            "close": plain("Close", 24),
            "blocks": [section(refusal)],
        }
    element = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "max_length": 2000,
    }
    return {
        "type": "modal",
        "callback_id": REPLY_MODAL,
        "title": title,
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"ref": ref}),
        "blocks": [
            context(prompts.text("digest.reply_context", text=quoted(cut(quote, 500)))),
            {
                "type": "input",
                "block_id": "reply",
                "element": element,
                "label": plain(prompts.text("digest.reply_label", name=name), 2000),
            },
        ],
    }


def raise_modal(
    name: str | None,
    checkin_ref: str,
    *,
    words: str = "",
    objectives: list[tuple[str, str]] | None = None,
    chosen: str | None = None,
    refusal: str = "",
) -> dict:
    """Raise a blocker to leadership: which objective it blocks (the check-in's, pre-filled),
    a note, and whether to tell the person; for anyone but its manager, a kind refusal."""
    p = "digest.raise_modal."
    title = plain(prompts.text(p + "title"), 24)
    if name is None:
        return notice_modal(refusal, prompts.text(p + "title"))
    choices = [option(cut(title_, 75), key) for key, title_ in (objectives or [])[:100]]
    objective: dict = {
        "type": "static_select",
        "action_id": "value",
        "placeholder": plain(prompts.text(p + "objective_placeholder")),
        "options": choices,
    }
    initial = next((c for c in choices if c["value"] == chosen), None)
    if initial is not None:
        objective["initial_option"] = initial
    tell = option(prompts.text(p + "tell", name=name), "tell")
    blocks: list[Block] = [
        context(prompts.text(p + "context", text=quoted(cut(words, 500)))),
        context(prompts.text(p + "who_sees")),
    ]
    if choices:
        blocks.append(
            {
                "type": "input",
                "block_id": "objective",
                "optional": True,
                "element": objective,
                "label": plain(prompts.text(p + "objective_label"), 2000),
            }
        )
    blocks += [
        {
            "type": "input",
            "block_id": "note",
            "optional": True,
            "element": {
                "type": "plain_text_input",
                "action_id": "value",
                "multiline": True,
                "max_length": 1000,
            },
            "label": plain(prompts.text(p + "note_label"), 2000),
        },
        {
            "type": "input",
            "block_id": "tell",
            "optional": True,
            "element": {
                "type": "checkboxes",
                "action_id": "value",
                "options": [tell],
                "initial_options": [tell],
            },
            "label": plain(prompts.text(p + "tell_label"), 2000),
        },
    ]
    return {
        "type": "modal",
        "callback_id": RAISE_MODAL,
        "title": title,
        "submit": plain(prompts.text(p + "submit"), 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"ref": checkin_ref}),
        "blocks": blocks,
    }
