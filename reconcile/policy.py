"""Batch statuses, the three actions, and the status -> action table.

The policy is data: a mapping from canonical status to action. The platform's
documented rules are ``DOCUMENTED_ACTIONS``; every other listed status holds, and
a ``--policy`` TOML file may override or extend the table.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from reconcile import regular
from reconcile.contract import status_key, trim
from reconcile.errors import UsageError

Action = Literal["refill", "regenerate", "hold"]
ACTIONS: tuple[Action, ...] = ("refill", "regenerate", "hold")
# The actions that take cancelled lines out of their batch; "hold" leaves them.
REMOVING_ACTIONS: tuple[Action, ...] = ("refill", "regenerate")
ARCHIVED = "Archived"
CANCELLED = "Cancelled"

# In pipeline order, spelled as the platform spells them.
STATUSES: tuple[str, ...] = (
    "Filling",
    "Pending Generation",
    "Pending RIP",
    "Sent to RIP",
    "Pending Production",
    "In Production (Stock Picking)",
    "Sent to Production",
    "In Production",
    "Pending Dispatch",
    "Dispatched",
    ARCHIVED,
)

# Only these come from the platform's documented behaviour; everything else holds,
# because pulling a line whose artwork may already be printed is the costly mistake.
DOCUMENTED_ACTIONS: Mapping[str, Action] = {
    "Filling": "refill",
    "Pending Generation": "regenerate",
    "In Production (Stock Picking)": "regenerate",
    "In Production": "hold",
}


@dataclass(frozen=True)
class Policy:
    """The status -> action table in force for a run, and the statuses a run writes.

    ``actions`` maps each canonical status spelling to its action; ``overrides``
    is what the policy file changed; ``source`` names that file and its SHA-256
    (not its path, so the summary does not depend on where the job was run from).
    ``cancelled`` is the order status a whole-order cancellation writes and
    ``archived`` the status of a batch a run empties (a configuration's
    ``[values]``); ``archived`` is always a known status that holds.
    """

    actions: Mapping[str, Action]
    overrides: Mapping[str, Action] = field(default_factory=dict)
    source: Mapping[str, str] | None = None
    cancelled: str = CANCELLED
    archived: str = ARCHIVED

    @property
    def canonical_by_key(self) -> dict[str, str]:
        """Matching key (trimmed, case-folded) -> canonical spelling."""
        return {status_key(status): status for status in self.actions}

    def to_json(self) -> dict[str, object]:
        return {
            "source": dict(self.source) if self.source else None,
            "actions": dict(self.actions),
            "overrides": dict(self.overrides),
        }


def default_policy() -> Policy:
    actions: dict[str, Action] = {status: "hold" for status in STATUSES}
    actions.update(DOCUMENTED_ACTIONS)
    return Policy(actions=actions)


def load_policy(path: str | Path | None) -> Policy:
    """The default table, with the ``[actions]`` of the TOML file at ``path`` applied.

    Raises ``UsageError`` (exit 2) naming the file, key and value for anything wrong.
    """
    policy = default_policy()
    if path is None:
        return policy
    where = f"policy file {path}"
    data, document = read_toml(Path(path), where)
    table = document.get("actions")
    if not isinstance(table, dict):
        raise UsageError(
            f"{where}: has no [actions] table; write for example\n"
            f'  [actions]\n  "Pending Production" = "regenerate"'
        )
    source = {"file": Path(path).name, "sha256": hashlib.sha256(data).hexdigest()}
    return with_actions(table, where, source)


def read_toml(path: Path, where: str) -> tuple[bytes, dict[str, Any]]:
    """The bytes and the parsed document of a TOML file (a policy or a configuration);
    ``UsageError`` (exit 2) naming it as ``where`` when it is missing or not TOML."""
    try:
        data = regular.read_bytes(path)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file") from None
    except regular.NotRegularFileError as error:
        raise UsageError(f"{where}: {error}") from None
    except OSError as error:
        raise UsageError(f"{where}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{where}: is not UTF-8 text") from None
    try:
        return data, tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{where}: not valid TOML ({error})") from None


def with_actions(
    table: Mapping[str, Any], where: str, source: Mapping[str, str] | None = None
) -> Policy:
    """The default table with an ``[actions]`` table applied; ``where`` names it in errors
    (a policy file, or a configuration file's ``[actions]``)."""
    policy = default_policy()
    canonical_by_key = policy.canonical_by_key
    actions: dict[str, Action] = dict(policy.actions)
    overrides: dict[str, Action] = {}
    seen_keys: dict[str, str] = {}
    for raw_key, value in table.items():
        key = status_key(raw_key)
        if not key:
            raise UsageError(f'{where}: key "{raw_key}" is empty after trimming')
        if key in seen_keys:
            raise UsageError(
                f'{where}: keys "{seen_keys[key]}" and "{raw_key}" name the same '
                "status (keys are matched trimmed, case ignored); keep one"
            )
        seen_keys[key] = raw_key
        if value not in ACTIONS:
            raise UsageError(
                f'{where}: key "{raw_key}" has value {_show_value(value)}; '
                "the value must be one of refill, regenerate, hold"
            )
        status = canonical_by_key.get(key, trim(raw_key))
        actions[status] = value
        overrides[status] = value
    return Policy(actions=actions, overrides=overrides, source=source)


def with_values(policy: Policy, cancelled: str, archived: str, where: str) -> Policy:
    """``policy`` writing ``cancelled`` for cancelled orders and ``archived`` for emptied
    batches. ``archived`` becomes a known status that holds (so the job reads its own
    output back); it may not be another listed status, nor one the policy pulls lines from.
    Like every status the job writes, it is written in its canonical spelling (a new status:
    trimmed), so that a second run writes it the same way.
    """
    for key, value in (("order_cancelled", cancelled), ("batch_archived", archived)):
        if not trim(value):
            raise UsageError(
                f'{where}: {key} = "{value}" is empty once trimmed; give the status to write'
            )
    cancelled, archived = trim(cancelled), trim(archived)
    spelled = policy.canonical_by_key.get(status_key(archived))
    if spelled is not None and spelled != ARCHIVED:
        if spelled in STATUSES:
            raise UsageError(
                f'{where}: batch_archived = "{archived}" is the listed status "{spelled}"; '
                "choose a status of its own"
            )
        if policy.actions[spelled] != "hold":
            raise UsageError(
                f'{where}: batch_archived = "{archived}" is a status the policy maps to '
                f'"{policy.actions[spelled]}"; an archived batch must hold'
            )
    canonical = spelled or trim(archived)
    actions = dict(policy.actions)
    actions[canonical] = "hold"
    return replace(policy, actions=actions, cancelled=cancelled, archived=canonical)


def _show_value(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return f"{value!r} ({type(value).__name__})"
