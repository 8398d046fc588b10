"""Read an org file (YAML) into an OrgConfig, with every problem tied to a line and key path."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.org.config import OrgConfig

Loc = tuple[str | int, ...]
_VALUE_ERROR = re.compile(r"^(Value|Assertion) error, ")


def plain_message(message: str) -> str:
    """Pydantic's message without its "Value error, " prefix."""
    return _VALUE_ERROR.sub("", message)


_DUPLICATE = re.compile(r"duplicate (team|objective) key '([^']+)'")
_TEAM = re.compile(r"^team '([^']+)': (parent|a member)")


class OrgFileError(Exception):
    """The org file cannot be used; `problems` says where and why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def key_path(loc: Loc) -> str:
    """('teams', 0, 'schedule') → 'teams[0].schedule'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class OrgFile:
    """A parsed org file: its config and the line of every key and list item."""

    source: str
    data: Any = None
    lines: dict[Loc, int] = field(default_factory=dict)
    config: OrgConfig | None = None

    def line(self, loc: Loc) -> int:
        """The line of `loc`, or of its nearest ancestor that the file spells out."""
        for size in range(len(loc), 0, -1):
            if loc[:size] in self.lines:
                return self.lines[loc[:size]]
        return 1

    def problem(self, loc: Loc, message: str) -> str:
        """'org.yml:14 teams[0].name: message' (the key path is left out for the whole file)."""
        where = f"{self.source}:{self.line(loc)}"
        return f"{where} {key_path(loc)}: {message}" if loc else f"{where} {message}"


MAX_BYTES = 1024 * 1024  # an org of thousands of people is a few hundred kilobytes
MAX_DEPTH = 20  # the org file's own shape nests four levels


def refuse_bombs(text: str, source: str) -> None:
    """Refuse, in one line and before anything is built, what could make parsing explode: a
    file over 1 MiB, any YAML alias (`*name`: "billion laughs" and `&t [*t]` both need one;
    an org file never does), or nesting deeper than MAX_DEPTH. One linear pass over the
    parser's events; syntax errors are left to the parse that follows, which names them."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise OrgFileError([f"{source}: is {size:,} bytes; an org file may be at most 1 MiB"])
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent):
                raise OrgFileError(
                    [
                        f"{source}:{line} uses a YAML alias (*{event.anchor}); org files may "
                        "not use aliases: write the value out where it is needed"
                    ]
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    deep = f"nests deeper than {MAX_DEPTH} levels; an org file needs 4"
                    raise OrgFileError([f"{source}:{line} {deep}"])
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return


def parse_org(text: str, source: str) -> OrgFile:
    """Parse and validate org-file text; raise OrgFileError naming each problem's line and key."""
    refuse_bombs(text, source)
    org = OrgFile(source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(error, "problem", None) or str(error)
        raise OrgFileError([f"{source}:{line} is not valid YAML: {reason}"]) from None
    if root is None:
        raise OrgFileError([f"{source}:1 is empty; it needs at least a `teams:` list"])
    if not isinstance(root, MappingNode):
        raise OrgFileError([f"{source}:1 must be a mapping of keys such as `teams:`"])
    problems: list[str] = []
    org.data = _walk(root, (), org, problems)
    problems += _duplicate_keys(org)
    try:
        org.config = OrgConfig.model_validate(org.data)
    except ValidationError as error:
        for item in error.errors():
            message = _explain(org, tuple(item["loc"]), item)
            if message not in problems and not (_DUPLICATE.search(item["msg"]) and problems):
                problems.append(message)
    if problems:
        raise OrgFileError(sorted(problems, key=lambda text: _line_of(text, source)))
    return org


def _line_of(problem: str, source: str) -> int:
    number = problem[len(source) + 1 :].split(" ", 1)[0]
    return int(number) if number.isdigit() else 0


def load_org(text: str, source: str) -> OrgConfig:
    """The validated OrgConfig of an org file; OrgFileError lists what is wrong and where."""
    config = parse_org(text, source).config
    assert config is not None
    return config


def _walk(node: Node, loc: Loc, org: OrgFile, problems: list[str]) -> Any:
    """Build plain Python data from a YAML node, recording lines and refusing duplicate keys."""
    if loc:
        org.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node)) if isinstance(key_node, ScalarNode) else "?"
            child = (*loc, key)
            if key in result:
                first = org.lines.get(child, 0)
                problems.append(
                    f"{org.source}:{key_node.start_mark.line + 1} {key_path(child)}: "
                    f"this key is given twice (first on line {first})"
                )
                continue
            org.lines[child] = key_node.start_mark.line + 1
            result[key] = _walk(value_node, child, org, problems)
        return result
    if isinstance(node, SequenceNode):
        return [_walk(item, (*loc, index), org, problems) for index, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: Node) -> Any:
    try:
        return SafeConstructor().construct_object(node, deep=True)
    except ValueError:  # a date-like 2026-13-01: left as text for the model to refuse by key
        return node.value


def _duplicate_keys(org: OrgFile) -> list[str]:
    """Team and objective keys must be unique; name the line of each repeat."""
    problems: list[str] = []
    for section in ("teams", "objectives"):
        items = org.data.get(section) if isinstance(org.data, dict) else None
        seen: dict[str, int] = {}
        for index, item in enumerate(items if isinstance(items, list) else []):
            key = item.get("key") if isinstance(item, dict) else None
            if not isinstance(key, str):
                continue
            if key in seen:
                first = org.line((section, seen[key], "key"))
                problems.append(
                    org.problem(
                        (section, index, "key"),
                        f"{key!r} is already the key of {section}[{seen[key]}] (line {first})",
                    )
                )
            else:
                seen[key] = index
    return problems


def _explain(org: OrgFile, loc: Loc, item: Any) -> str:
    """One pydantic error as a line-numbered sentence."""
    kind, message = item["type"], plain_message(item["msg"])
    if kind == "extra_forbidden":
        allowed = ", ".join(_keys_at(loc[:-1]))
        return org.problem(loc, f"unknown key (expected one of: {allowed})")
    if kind == "missing":
        return org.problem(loc, "is required")
    if not loc:
        return org.problem(_locate(org, message), message)
    if kind.endswith("_type") or kind in ("model_type", "list_type"):
        return org.problem(loc, f"{message.lower()} (got {item.get('input')!r})")
    return org.problem(loc, message)


def _locate(org: OrgFile, message: str) -> Loc:
    """Point a whole-file rule (unique keys, parents, members) at the team it is about."""
    teams = org.data.get("teams") if isinstance(org.data, dict) else None
    match = _TEAM.search(message)
    if match and isinstance(teams, list):
        for index, team in enumerate(teams):
            if isinstance(team, dict) and team.get("key") == match.group(1):
                return ("teams", index, "parent" if match.group(2) == "parent" else "members")
    return ()


def _keys_at(loc: Loc) -> list[str]:
    """The keys the model allows at a path (for 'unknown key' messages)."""
    model: Any = OrgConfig
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        model = _model_in(annotation)
        if model is None:
            return []
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
