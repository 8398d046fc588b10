"""Take your data: check-ins, reflections, objectives, teams and concerns as CSV and JSON.

Three exports, one writer. The organisation's (`python -m bot export`) has no energy (DESIGN 5)
and concerns without any identity (DESIGN 4). A person's own (`/leadership export`) has their
check-ins with energy and their reflections. A manager's team export has the check-ins that
were written while they were the manager (history stays with the manager of its period),
without energy.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.org import questions
from bot.org.config import COLUMN_KEYS, default_questions
from storage import queries
from storage.models import (
    Checkin,
    Concern,
    ConcernNote,
    Objective,
    QuestionSet,
    RaisedBlocker,
    Reflection,
)

Rows = list[dict[str, Any]]
Datasets = dict[str, Rows]

CHECKIN = (
    "period", "team", "user_id", "name", "status", "late", "moved", "blocked", "learned",
    "helped", "helped_text", "objective", "answers", "created_at", "updated_at",
)  # fmt: skip
REFLECTION = ("user_id", "name", "objectives", "other", "how", "progress", "help", "created_at")
RAISED = (
    "period", "team", "raised_by", "person", "blocker", "objective", "note", "person_told",
    "status", "answer", "answered_by", "answered_at", "raised_at",
)  # fmt: skip
COLUMNS: dict[str, tuple[str, ...]] = {
    "checkins": CHECKIN,
    "my_checkins": (*CHECKIN[:5], "energy", *CHECKIN[5:]),
    "team_checkins": CHECKIN,
    "reflections": REFLECTION,
    "my_reflections": REFLECTION,
    "objectives": ("key", "title", "description", "archived"),
    "teams": ("key", "name", "manager_id", "parent", "members"),
    "concerns": (
        "concern", "topic", "text", "helps", "audience", "status", "reason", "created_on",
        "delivered_on",
    ),
    "concern_notes": ("concern", "kind", "text", "status", "created_on"),
    "raised_blockers": RAISED,
    "my_raised_blockers": RAISED,
}  # fmt: skip
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run a cell starting so


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _names(session: Session, workspace_id: str) -> dict[str, str]:
    people = queries.people_by_id(session=session, workspace_id=workspace_id)
    return {user_id: person.display for user_id, person in people.items()}


class Asked:
    """The questions each team's period asked, read once for the workspace."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        rows = session.exec(
            select(QuestionSet.team_key, QuestionSet.period, QuestionSet.questions).where(
                QuestionSet.workspace_id == workspace_id
            )
        )
        self.sets = {(team, period): data for team, period, data in rows}
        self.read: dict[tuple[str, str], questions.Questions] = {}

    def of(self, row: Checkin) -> questions.Questions:
        at = (row.team_key, row.period)
        if at not in self.read:
            data = self.sets.get(at)
            self.read[at] = questions.from_data(data) if data else default_questions()
        return self.read[at]


def answers_of(row: Checkin, asked: questions.Questions, *, figures: bool) -> list[dict]:
    """Every answer with the question as it was asked (moved, blocked and learned too, which
    also keep their columns); choice and scale answers only in the person's own export (like
    energy, never per person elsewhere)."""
    found = []
    for question in asked:
        given = (
            getattr(row, question.key)
            if question.key in COLUMN_KEYS
            else (row.answers or {}).get(question.key)
        )
        if given in (None, "", []) or (question.figure and not figures):
            continue
        if question.kind == "scale" and isinstance(given, int) and 1 <= given <= 5:
            given = f"{given} {question.options[given - 1]}"
        found.append(
            {"key": question.key, "lens": question.lens, "question": question.text, "answer": given}
        )
    return found


def checkin_row(
    row: Checkin, names: dict[str, str], *, energy: bool, asked: Asked | None = None
) -> dict[str, Any]:
    """One check-in; energy (and choice and scale answers) only in the person's own export."""
    out = {
        "period": row.period,
        "team": row.team_key,
        "user_id": row.user_id,
        "name": names.get(row.user_id, ""),
        "status": row.status,
        "late": row.late,
        "moved": row.moved,
        "blocked": row.blocked,
        "learned": row.learned,
        "helped": list(row.helped_users or []),
        "helped_text": row.helped_text,
        "objective": row.objective_key,
        "answers": answers_of(row, asked.of(row), figures=energy) if asked else [],
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
    }
    if energy:
        out["energy"] = row.energy
    return out


def reflection_row(row: Reflection, names: dict[str, str]) -> dict[str, Any]:
    return {
        "user_id": row.user_id,
        "name": names.get(row.user_id, ""),
        "objectives": list(row.objective_keys or []),
        "other": row.other,
        "how": row.how,
        "progress": row.progress,
        "help": row.help,
        "created_at": _iso(row.created_at),
    }


def _checkins(session: Session, workspace_id: str, *conditions: Any) -> list[Checkin]:
    statement = select(Checkin).where(Checkin.workspace_id == workspace_id, *conditions)
    return list(session.exec(statement.order_by(col(Checkin.period), col(Checkin.user_id))))


def _reflections(session: Session, workspace_id: str, *conditions: Any) -> list[Reflection]:
    statement = select(Reflection).where(Reflection.workspace_id == workspace_id, *conditions)
    return list(session.exec(statement.order_by(col(Reflection.created_at), col(Reflection.id))))


def org_export(session: Session, workspace_id: str) -> Datasets:
    """Everything of a workspace, for its admins: no energy, concerns without identity."""
    names = _names(session, workspace_id)
    asked = Asked(session, workspace_id)
    teams = queries.teams(session=session, workspace_id=workspace_id)
    objectives = session.exec(
        select(Objective)
        .where(Objective.workspace_id == workspace_id)
        .order_by(col(Objective.position))
    )
    return {
        "checkins": [
            checkin_row(r, names, energy=False, asked=asked)
            for r in _checkins(session, workspace_id)
        ],
        "reflections": [reflection_row(r, names) for r in _reflections(session, workspace_id)],
        "objectives": [
            {"key": o.key, "title": o.title, "description": o.description, "archived": o.archived}
            for o in objectives
        ],
        "teams": [
            {
                "key": t.key,
                "name": t.name,
                "manager_id": t.manager_id,
                "parent": t.parent_key,
                "members": queries.member_ids(
                    session=session, workspace_id=workspace_id, team_key=t.key
                ),
            }
            for t in teams
        ],
        **concern_export(session, workspace_id),
        "raised_blockers": [raised_row(r, names) for r in _raised(session, workspace_id)],
    }


def _raised(session: Session, workspace_id: str, *conditions: Any) -> list[RaisedBlocker]:
    statement = select(RaisedBlocker).where(RaisedBlocker.workspace_id == workspace_id, *conditions)
    return list(
        session.exec(statement.order_by(col(RaisedBlocker.created_at), col(RaisedBlocker.id)))
    )


def raised_row(row: RaisedBlocker, names: dict[str, str]) -> dict[str, Any]:
    """A blocker raised to leadership and its answer; the person as the manager knew them."""
    return {
        "period": row.period,
        "team": row.team_name,
        "raised_by": names.get(row.manager_id, row.manager_id),
        "person": names.get(row.user_id, row.user_id) if row.user_id else None,
        "blocker": row.words,
        "objective": row.objective_key,
        "note": row.note,
        "person_told": row.tell,
        "status": row.status,
        "answer": row.answer,
        "answered_by": names.get(row.answered_by, row.answered_by) if row.answered_by else None,
        "answered_at": _iso(row.answered_at),
        "raised_at": _iso(row.created_at),
    }


def concern_export(session: Session, workspace_id: str) -> Datasets:
    """Concerns and their threads with no user id, no name, nothing but days."""
    concerns = list(
        session.exec(
            select(Concern).where(Concern.workspace_id == workspace_id).order_by(col(Concern.id))
        )
    )
    notes = session.exec(
        select(ConcernNote)
        .where(ConcernNote.workspace_id == workspace_id)
        .order_by(col(ConcernNote.concern_id), col(ConcernNote.id))
    )
    return {
        "concerns": [
            {
                "concern": c.id,
                "topic": c.topic,
                "text": c.text,
                "helps": c.helps,
                "audience": c.audience_team or c.audience_kind,
                "status": c.status,
                "reason": c.reason,
                "created_on": _iso(c.created_on),
                "delivered_on": _iso(c.delivered_on),
            }
            for c in concerns
        ],
        "concern_notes": [
            {
                "concern": n.concern_id,
                "kind": n.kind,
                "text": n.text,
                "status": n.status,
                "created_on": _iso(n.created_on),
            }
            for n in notes
        ],
    }


def person_export(session: Session, workspace_id: str, user_id: str) -> Datasets:
    """A person's own check-ins (energy included: it is theirs) and reflections, and their
    blockers their manager raised to leadership, with the answers (when there are some)."""
    names = _names(session, workspace_id)
    asked = Asked(session, workspace_id)
    raised = _raised(session, workspace_id, RaisedBlocker.user_id == user_id)
    return {
        "my_checkins": [
            checkin_row(r, names, energy=True, asked=asked)
            for r in _checkins(session, workspace_id, Checkin.user_id == user_id)
        ],
        "my_reflections": [
            reflection_row(r, names)
            for r in _reflections(session, workspace_id, Reflection.user_id == user_id)
        ],
    } | ({"my_raised_blockers": [raised_row(r, names) for r in raised]} if raised else {})


def team_export(session: Session, workspace_id: str, manager_id: str) -> Datasets:
    """The check-ins written while `manager_id` was their manager, without energy, and the
    blockers they raised to leadership with their answers.

    History stays with the manager of the period it was written in: a team's new manager
    does not receive what was said to the one before.
    """
    rows = _checkins(session, workspace_id, col(Checkin.manager_id) == manager_id)
    raised = _raised(session, workspace_id, RaisedBlocker.manager_id == manager_id)
    if not rows and not raised:
        return {}
    names = _names(session, workspace_id)
    asked = Asked(session, workspace_id)
    return {
        "team_checkins": [checkin_row(r, names, energy=False, asked=asked) for r in rows],
        "raised_blockers": [raised_row(r, names) for r in raised],
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        value = json.dumps(value, ensure_ascii=False)  # the answers, each with its question
    elif isinstance(value, list):
        value = " ".join(str(item) for item in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA) else text


def to_csv(name: str, rows: Rows) -> str:
    """The rows as CSV with a header (cells that a spreadsheet would run are quoted with ')."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = COLUMNS[name]
    writer.writerow(columns)
    writer.writerows([_cell(row.get(column)) for column in columns] for row in rows)
    return buffer.getvalue()


def to_json(rows: Rows) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n"


def files(datasets: Datasets, prefix: str = "") -> list[tuple[str, str]]:
    """(file name, content) for each dataset as CSV and as JSON."""
    out: list[tuple[str, str]] = []
    for name, rows in datasets.items():
        out += [
            (f"{prefix}{name}.csv", to_csv(name, rows)),
            (f"{prefix}{name}.json", to_json(rows)),
        ]
    return out


def write_dir(folder: Path, named: Iterable[tuple[str, str]]) -> list[Path]:
    """Write the files into `folder` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in named:
        path = folder / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def add_export_parser(commands: Any) -> None:
    """`python -m bot export --out DIR [--workspace T…]`."""
    export = commands.add_parser(
        "export", help="write check-ins, reflections, objectives, teams and concerns (CSV, JSON)"
    )
    export.add_argument("--out", required=True, help="the folder to write into")
    export.add_argument("--workspace", help="the workspace id (T…) when several are stored")


def export_data(engine: Engine, out: str, workspace: str | None, *, err: TextIO) -> int:
    """The CLI export: 0 written, 1 when there is nothing to export or it cannot be written."""
    from bot.org.export import ExportError, choose_workspace

    with Session(engine) as session:
        try:
            workspace_id = choose_workspace(session, workspace)
        except ExportError as error:
            err.write(f"export: {error}\n")
            return 1
        datasets = org_export(session, workspace_id)
    try:
        written = write_dir(Path(out), files(datasets))
    except OSError as error:
        err.write(f"export: cannot write {out} ({error})\n")
        return 1
    err.write(f"Wrote {len(written)} files of {workspace_id} to {out}.\n")
    return 0
