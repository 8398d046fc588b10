"""Slack's Block Kit rules, as the stand-in Slack enforces them on every view and message.

Each check returns the problems it found (empty when Slack would accept the payload), worded
like Slack's own `invalid_blocks` errors, with a JSON pointer. slack_sdk's models are the
first check (`Block.parse(...)`, `View(...)`, serialised, which runs their length
validators); what they do not encode is checked here: unknown or empty fields, unique
`block_id`s per surface and `action_id`s per block, block counts, option counts and
lengths, `initial_*` values among the options and within `max_length`, input blocks only
in modals and Home, a `submit` on a modal with inputs, a `text` fallback on messages, and
what a `view_submission` may answer. Sources: docs.slack.dev's Block Kit reference
(blocks, block elements, composition objects, views) and slack_sdk's models.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
METADATA = 3000
ACTIONS_ELEMENTS = 25
OPTION_TEXT = 75
OPTION_VALUE = 150
INPUT_LENGTH = 3000
SURFACES = ("message", "modal", "home")
# Elements that carry options, with the counts Slack allows.
OPTION_COUNTS = {
    "static_select": (1, 100),
    "multi_static_select": (1, 100),
    "radio_buttons": (1, 10),
    "checkboxes": (1, 10),
    "overflow": (2, 5),
}
INTERACTIVE_BLOCKS = ("actions", "section", "input", "context_actions")
RESPONSE_ACTIONS = ("errors", "update", "push", "clear")

_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_DATE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")

Problems = list[str]


def check_message(message: Mapping[str, Any]) -> Problems:
    """A message (chat.postMessage/update/postEphemeral, or a response_url post)."""
    blocks = message.get("blocks")
    text = message.get("text")
    if blocks is None:
        if not (isinstance(text, str) and text.strip()) and not message.get("attachments"):
            return ["no_text: a message needs text or blocks"]
        return []
    problems = []
    if not (isinstance(text, str) and text.strip()):
        problems.append("missing_text: a message with blocks needs a `text` fallback")
    return problems + check_blocks(blocks, surface="message")


def check_view(view: Any) -> Problems:
    """A modal or a Home tab, as views.open/push/update/publish take it."""
    if not isinstance(view, Mapping):
        return ["invalid_arguments: view must be an object"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"invalid_arguments: view type must be modal or home, not {kind!r}"]
    problems = _sdk(lambda: View(**view).to_dict(), "/view")
    problems += _unknown_fields(view, _round_trip_view(view), "/view")
    metadata = view.get("private_metadata")
    if metadata is not None and (not isinstance(metadata, str) or len(metadata) > METADATA):
        problems.append(f"private_metadata must be a string of at most {METADATA} characters")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return [*problems, "a view needs at least one block [/view/blocks]"]
    problems += check_blocks(blocks, surface=kind)
    has_input = any(isinstance(b, Mapping) and b.get("type") == "input" for b in blocks)
    if kind == "modal" and has_input and not view.get("submit"):
        problems.append("a modal with input blocks needs `submit` [/view/submit]")
    return problems


def check_blocks(blocks: Any, *, surface: str) -> Problems:
    """Every block of one message or view, and the rules between them."""
    if not isinstance(blocks, list):
        return ["invalid_blocks_format: blocks must be an array"]
    limit = MESSAGE_BLOCKS if surface == "message" else VIEW_BLOCKS
    problems = []
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [/blocks] ({len(blocks)})")
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"/blocks/{index}"
        if not isinstance(block, Mapping):
            problems.append(f"a block must be an object [{where}]")
            continue
        problems += _block(block, where, surface)
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen:
                problems.append(f"duplicate block_id {block_id!r} [{where}]")
            seen.add(block_id)
    return problems


def check_response_action(answer: Any, submitted: Mapping[str, Any]) -> Problems:
    """What the app answered to a view_submission of `submitted` (an empty ack is fine)."""
    if answer in (None, "", {}):
        return []
    if not isinstance(answer, Mapping) or answer.get("response_action") not in RESPONSE_ACTIONS:
        return [f"a view_submission's answer must be empty or a response_action: {answer!r}"]
    action = answer["response_action"]
    if action == "errors":
        errors = answer.get("errors")
        if not isinstance(errors, Mapping) or not errors:
            return ["response_action errors needs a non-empty `errors` object"]
        inputs = {
            b.get("block_id")
            for b in submitted.get("blocks") or []
            if isinstance(b, Mapping) and b.get("type") == "input"
        }
        problems = [
            f"errors names {key!r}, which is not an input block of the submitted view"
            for key in errors
            if key not in inputs
        ]
        return problems + [
            f"the error for {key!r} must be a non-empty string"
            for key, text in errors.items()
            if not (isinstance(text, str) and text)
        ]
    if action in ("update", "push"):
        view = answer.get("view")
        if isinstance(view, Mapping) and view.get("type") != "modal":
            return [f"response_action {action} needs a modal"]
        return check_view(view)
    return []


def _block(block: Mapping[str, Any], where: str, surface: str) -> Problems:
    kind = block.get("type")
    if kind == "input" and surface == "message":
        return [f"input blocks belong in modals and Home, not messages [{where}]"]
    parsed: list[Any] = []
    problems = _sdk(lambda: parsed.append(Block.parse(dict(block))), where)
    if problems:
        return problems
    if parsed[0] is None:
        return [f"unsupported block type {kind!r} [{where}]"]
    rendered: list[dict[str, Any]] = []
    problems = _sdk(lambda: rendered.append(parsed[0].to_dict()), where)
    if problems:
        return problems
    problems = _unknown_fields(block, rendered[0], where)
    if kind == "actions" and not block.get("elements"):
        problems.append(f"an actions block needs at least one element [{where}/elements]")
    action_ids: set[str] = set()
    for element, path in _elements(block, where):
        problems += _element(element, path)
        action_id = element.get("action_id")
        if action_id is not None:
            if action_id in action_ids:
                problems.append(f"duplicate action_id {action_id!r} within a block [{path}]")
            action_ids.add(action_id)
    for text, path in _texts(block, where):
        if not text.get("text"):
            problems.append(f"must be more than 0 characters [{path}/text]")
    return problems


def _elements(block: Mapping[str, Any], where: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    """The interactive elements of a block, with their paths."""
    if block.get("type") not in INTERACTIVE_BLOCKS:
        return
    for key in ("accessory", "element"):
        if isinstance(block.get(key), Mapping):
            yield block[key], f"{where}/{key}"
    if block.get("type") in ("actions", "context_actions"):
        for index, element in enumerate(block.get("elements") or []):
            if isinstance(element, Mapping):
                yield element, f"{where}/elements/{index}"


def _element(element: Mapping[str, Any], where: str) -> Problems:
    kind = element.get("type")
    problems = []
    options = element.get("options")
    if kind in OPTION_COUNTS and options is not None:
        low, high = OPTION_COUNTS[kind]
        if not low <= len(options) <= high:
            problems.append(f"{kind} takes {low} to {high} options, not {len(options)} [{where}]")
        for index, option in enumerate(options):
            problems += _option(option, f"{where}/options/{index}")
        problems += _initial(element, options, where)
    if kind == "timepicker" and "initial_time" in element:
        if not _TIME.fullmatch(str(element["initial_time"])):
            problems.append(f"initial_time must be HH:mm [{where}/initial_time]")
    if kind == "datepicker" and "initial_date" in element:
        if not _DATE.fullmatch(str(element["initial_date"])):
            problems.append(f"initial_date must be YYYY-MM-DD [{where}/initial_date]")
    if kind == "number_input" and not isinstance(element.get("is_decimal_allowed"), bool):
        problems.append(f"number_input needs is_decimal_allowed [{where}]")
    if kind == "plain_text_input":
        high = element.get("max_length", INPUT_LENGTH)
        low = element.get("min_length", 0)
        if not (isinstance(high, int) and 1 <= high <= INPUT_LENGTH):
            problems.append(f"max_length must be 1 to {INPUT_LENGTH} [{where}/max_length]")
        elif not (isinstance(low, int) and 0 <= low <= high):
            problems.append(f"min_length must be 0 to max_length [{where}/min_length]")
        initial = element.get("initial_value")
        if isinstance(initial, str) and isinstance(high, int) and len(initial) > high:
            problems.append(f"initial_value is longer than max_length [{where}/initial_value]")
    return problems


def _option(option: Any, where: str) -> Problems:
    if not isinstance(option, Mapping):
        return [f"an option must be an object [{where}]"]
    text = (option.get("text") or {}).get("text", "")
    value = option.get("value", "")
    problems = []
    if not 0 < len(text) <= OPTION_TEXT:
        problems.append(f"an option's text must be 1 to {OPTION_TEXT} characters [{where}/text]")
    if not (isinstance(value, str) and 0 < len(value) <= OPTION_VALUE):
        problems.append(f"an option's value must be 1 to {OPTION_VALUE} characters [{where}]")
    return problems


def _initial(element: Mapping[str, Any], options: list[Any], where: str) -> Problems:
    """initial_option(s) must each equal one of the options (Slack compares text and value)."""
    offered = [_option_key(option) for option in options]
    chosen = element.get("initial_options") or []
    if "initial_option" in element:
        chosen = [element["initial_option"]]
    return [
        f"an initial option must be one of the options [{where}]"
        for option in chosen
        if _option_key(option) not in offered
    ]


def _option_key(option: Any) -> tuple[str, str]:
    if not isinstance(option, Mapping):
        return ("", "")
    return ((option.get("text") or {}).get("text", ""), str(option.get("value", "")))


def _texts(node: Any, where: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    """Every text object under `node`."""
    if isinstance(node, Mapping):
        if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
            yield node, where
            return
        for key, value in node.items():
            yield from _texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, f"{where}/{index}")


def _unknown_fields(original: Any, rendered: Any, where: str) -> Problems:
    """Fields that slack_sdk's model dropped: Slack refuses unknown, null or empty fields."""
    if isinstance(original, Mapping) and isinstance(rendered, Mapping):
        problems = []
        for key, value in original.items():
            if key not in rendered:
                problems.append(f"unknown, null or empty field {key!r} [{where}]")
            else:
                problems += _unknown_fields(value, rendered[key], f"{where}/{key}")
        return problems
    if isinstance(original, list) and isinstance(rendered, list):
        return [
            problem
            for index, (item, twin) in enumerate(zip(original, rendered, strict=False))
            for problem in _unknown_fields(item, twin, f"{where}/{index}")
        ]
    return []


def _round_trip_view(view: Mapping[str, Any]) -> dict[str, Any]:
    try:
        rendered = View(**view).to_dict()
    except (SlackObjectFormationError, TypeError, AttributeError, ValueError):
        return dict(view)  # already reported by _sdk
    # A view's blocks are checked block by block; the state Slack adds is not ours to judge.
    return {**rendered, "blocks": view.get("blocks"), "state": view.get("state")}


def _sdk(build: Any, where: str) -> Problems:
    """Run a slack_sdk model; its refusal as a problem."""
    try:
        build()
    except SlackObjectFormationError as error:
        return [f"{error} [{where}]"]
    except (TypeError, AttributeError, ValueError, KeyError) as error:
        return [f"malformed: {error} [{where}]"]
    return []
