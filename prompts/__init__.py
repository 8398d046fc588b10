"""Every sentence people read lives in the YAML files beside this module."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

_HERE = Path(__file__).parent


@cache
def _catalogue() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted(_HERE.glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return merged


def raw(key: str) -> Any:
    """The value at a dotted key (a string, list or mapping)."""
    node: Any = _catalogue()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"no prompt {key!r}")
        node = node[part]
    return node


def text(key: str, **values: object) -> str:
    """The prompt at `key`, with `{name}` placeholders filled from `values`."""
    template = raw(key)
    if not isinstance(template, str):
        raise KeyError(f"prompt {key!r} is not a text")
    return template.format(**values) if values else template
