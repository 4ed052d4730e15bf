"""Guard rails around a night: exports too old to be tonight's, and figures no sane night
reaches (contract v3).

Pure: durations and shares are parsed here, the figures are read from a run's summary,
and the pipeline decides what to do with a breach.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconcile.contract import BATCH_ITEMS, ORDERS, REMOVED_ITEMS, trim

_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)\s*([dhms]))", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}


def parse_duration(text: str) -> float:
    """Seconds in a duration such as ``20h``, ``90m``, ``2d``, ``1d 6h`` or ``3600s``;
    ``ValueError`` saying what is wrong otherwise."""
    compact = trim(text)
    parts = _DURATION.findall(compact)
    if not parts or _DURATION.sub("", compact).strip():
        raise ValueError(
            f'"{text}" is not a duration: write a number and a unit, d, h, m or s '
            '(e.g. "20h", "90m", "2d")'
        )
    seconds = sum(float(number) * _UNIT_SECONDS[unit.lower()] for number, unit in parts)
    if seconds <= 0:
        raise ValueError(f'"{text}" is not a duration longer than 0')
    return seconds


def shown_age(seconds: float) -> str:
    """A duration as people read it: ``1d 2h``, ``5h 3m``, ``12m``, ``40s``."""
    whole = int(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else f"{secs}s"


def stale(ages: Mapping[str, float], max_age: float) -> list[tuple[str, float]]:
    """The inputs (name -> age in seconds) older than ``max_age``, oldest first."""
    return sorted(
        ((name, age) for name, age in ages.items() if age > max_age),
        key=lambda item: (-item[1], item[0]),
    )


# ---- limits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LimitKind:
    """One guard rail: its key in ``[limits]`` (and option), what it counts, and whether it
    is a share (of ``of``) or a count."""

    key: str
    counts: str
    share: bool
    figure: Callable[[Mapping[str, Any]], tuple[int, int]]  # (count, out of)
    of: str = ""

    @property
    def option(self) -> str:
        return "--" + self.key.replace("_", "-")


def _input_rows(content: Mapping[str, Any], name: str) -> int:
    return sum(entry["rows"] for entry in content["inputs"][name])


def _removed(content: Mapping[str, Any]) -> tuple[int, int]:
    removed = content["outputs"][REMOVED_ITEMS.name]
    return removed, _input_rows(content, BATCH_ITEMS.name)


def _cancelled(content: Mapping[str, Any]) -> tuple[int, int]:
    return content["orders_cancelled"], _input_rows(content, ORDERS.name)


def _rejected(content: Mapping[str, Any]) -> tuple[int, int]:
    cancellations = content["cancellations"]
    return sum(cancellations["rejected"].values()), cancellations["distinct"]


LIMITS: Sequence[LimitKind] = (
    LimitKind("max_removed_lines", "batch lines removed", False, _removed),
    LimitKind("max_removed_share", "batch lines removed", True, _removed, "the batch lines"),
    LimitKind("max_cancelled_orders", "orders cancelled whole", False, _cancelled),
    LimitKind(
        "max_cancelled_orders_share", "orders cancelled whole", True, _cancelled, "the orders"
    ),
    LimitKind(
        "max_rejected_share",
        "cancellations rejected",
        True,
        _rejected,
        "the distinct cancellations",
    ),
)
LIMIT_BY_KEY = {kind.key: kind for kind in LIMITS}


@dataclass(frozen=True)
class Limit:
    """A limit in force: its kind, its value (a count, or a share from 0 to 1) and where it
    was set (``configuration file F: [limits] key``, ``--option``)."""

    kind: LimitKind
    value: float
    source: str

    @property
    def shown(self) -> str:
        return _share(self.value) if self.kind.share else f"{int(self.value)}"


def parse_limit(kind: LimitKind, value: object) -> float:
    """A limit's value: a whole number of at least 0 for a count; for a share, a number
    from 0 to 1 or a percentage (``"5%"``). ``ValueError`` saying what is wrong otherwise."""
    if kind.share:
        if isinstance(value, str) and trim(value).endswith("%"):
            try:
                number = float(trim(value)[:-1]) / 100
            except ValueError:
                number = math.nan
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        else:
            try:
                number = float(value) if isinstance(value, str) else math.nan
            except ValueError:
                number = math.nan
        if not 0 <= number <= 1:
            raise ValueError(
                f"{kind.key} = {value!r} is not a share: write a number from 0 to 1, "
                'or a percentage such as "5%"'
            )
        return number
    if isinstance(value, str) and trim(value).isdigit():
        return float(int(trim(value)))
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise ValueError(f"{kind.key} = {value!r} is not a whole number of 0 or more")


@dataclass(frozen=True)
class Figure:
    """A night's figure beside its limit."""

    limit: Limit
    count: int
    out_of: int

    @property
    def value(self) -> float:
        if not self.limit.kind.share:
            return float(self.count)
        return self.count / self.out_of if self.out_of else 0.0

    @property
    def over(self) -> bool:
        return self.value > self.limit.value

    @property
    def shown(self) -> str:
        kind = self.limit.kind
        if kind.share:
            return f"{self.count} {kind.counts} of {self.out_of} ({_share(self.value)})"
        return f"{self.count} {kind.counts}"

    def line(self) -> str:
        verdict = "OVER" if self.over else "within"
        return (
            f"{self.limit.kind.key}: {self.shown}; limit {self.limit.shown} "
            f"({self.limit.source}): {verdict}"
        )


def figures(content: Mapping[str, Any], limits: Sequence[Limit]) -> list[Figure]:
    """Each limit in force beside the night's figure, in ``LIMITS`` order."""
    ordered = sorted(limits, key=lambda limit: LIMITS.index(limit.kind))
    return [Figure(limit, *limit.kind.figure(content)) for limit in ordered]


def _share(value: float) -> str:
    percent = value * 100
    return f"{percent:.1f}%" if percent != int(percent) else f"{int(percent)}%"
