"""Details in a concern that may identify its writer, found before anything is sent.

The patterns are fixed; the names come from the people leadbot knows, compiled once per
workspace into a `NameMatcher` and cached until the people change.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Person

SHOWN = 20  # flagged fragments listed at most

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
PATTERNS = [
    re.compile(r"<[@!][^>]*>"),  # <@U123>, <!here>, <!subteam^…>
    re.compile(r"(?<![\w.+-])@[\w][\w.-]*"),  # @ana, @here
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b"),
    re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b"),
    re.compile(r"\b\d{1,2}/\d{1,2}\b"),
    re.compile(rf"\b{_ORDINAL}\s+(?:of\s+)?{_MONTH}\b\.?", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\.?\s+{_ORDINAL}\b", re.IGNORECASE),
    re.compile(rf"\b(?:on|last|this|past|next)\s+{_WEEKDAY}\b", re.IGNORECASE),
    re.compile(r"\b(?:yesterday|last night)\b", re.IGNORECASE),
    re.compile(
        r"\b(?:my|our)\s+(?:\w+\s+)?(?:1:1|1-1|1on1|1-on-1|one[- ]on[- ]one)s?(?!\w)",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?:as|being|i'm|i’m|i am)\s+the\s+only\b(?:\s+\w+)?", re.IGNORECASE),
]
_WORD = re.compile(r"\w+(?:[.'’-]\w+)*")


@dataclass(frozen=True)
class NameMatcher:
    """Known names: full names and handles match in any case, single names as written."""

    phrases: frozenset[str]
    words: frozenset[str]
    longest: int

    @classmethod
    def build(cls, people: Iterable[tuple[str, str]]) -> NameMatcher:
        """From (user name, real name) pairs."""
        phrases: set[str] = set()
        words: set[str] = set()
        for handle, real_name in people:
            parts = _WORD.findall(real_name or "")
            if len(parts) > 1:
                phrases.add(" ".join(parts).casefold())
            words.update(p for p in parts if len(p) >= 3 and p[0].isupper())
            # A handle that is a plain word ("will") is found only as an @-mention.
            if handle and len(handle) >= 3 and not handle.isalpha():
                phrases.add(handle.casefold())
        longest = max((phrase.count(" ") + 1 for phrase in phrases), default=1)
        return cls(frozenset(phrases), frozenset(words), min(longest, 6))

    def find(self, text: str) -> list[tuple[int, int]]:
        """Spans of known names in `text`."""
        tokens = list(_WORD.finditer(text))
        found: list[tuple[int, int]] = []
        index = 0
        while index < len(tokens):
            for size in range(min(self.longest, len(tokens) - index), 0, -1):
                group = tokens[index : index + size]
                phrase = " ".join(token.group() for token in group).casefold()
                if phrase in self.phrases or (size == 1 and group[0].group() in self.words):
                    found.append((group[0].start(), group[-1].end()))
                    index += size
                    break
            else:
                index += 1
        return found


def identifying_details(text: str, names: NameMatcher) -> list[str]:
    """The fragments of `text` that may identify its writer, in order, each once."""
    spans = [match.span() for pattern in PATTERNS for match in pattern.finditer(text)]
    spans += names.find(text)
    fragments: list[str] = []
    seen: set[str] = set()
    reached = 0
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if start < reached:  # inside a fragment already flagged
            continue
        reached = end
        fragment = text[start:end].strip()
        if fragment and fragment.casefold() not in seen:
            seen.add(fragment.casefold())
            fragments.append(fragment)
    return fragments[:SHOWN]


_CACHE: dict[tuple[str, str], tuple[tuple, NameMatcher]] = {}
_CACHE_LOCK = threading.Lock()


def matcher_for(session: Session, workspace_id: str) -> NameMatcher:
    """The workspace's cached matcher; rebuilt only when its people have changed."""
    where = col(Person.workspace_id) == workspace_id
    stamp = tuple(
        session.exec(
            select(sa.func.count(), sa.func.max(Person.id), sa.func.max(Person.synced_at)).where(
                where
            )
        ).one()
    )
    key = (str(session.get_bind().engine.url), workspace_id)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    rows = session.exec(
        select(Person.name, Person.real_name).where(where, col(Person.is_bot).is_(False))
    ).all()
    matcher = NameMatcher.build(rows)
    with _CACHE_LOCK:
        _CACHE[key] = (stamp, matcher)
    return matcher
