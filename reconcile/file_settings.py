"""What a configuration file sets, as plain data: read by ``config_file`` (its schema),
used by ``config`` (precedence and paths). A module of its own, so that the two import in
one direction: ``config`` imports ``config_file`` (lazily, only when a file is given), and
both import this."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconcile.policy import ARCHIVED, CANCELLED


@dataclass(frozen=True)
class FileSettings:
    """What a configuration file sets, each key read by ``config_file.load_config``; the
    defaults are a run's without a file (a test checks an empty file gives the same)."""

    folder: str | None = None
    # input role (orders, batches, batch_items) -> the file pattern in [inputs], if set
    patterns: Mapping[str, str] = field(default_factory=dict)
    cancellations: tuple[str, ...] | None = None
    pick: str = "only"
    ready_file: str | None = None
    max_age: str | None = None
    out_folder: str | None = None
    keep: int | None = None
    wait: float | None = None
    actions: dict[str, Any] | None = None
    order_cancelled: str = CANCELLED
    batch_archived: str = ARCHIVED
    # input role -> contract column -> the export's header, for mapped columns
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # [limits] key -> the value as written
    limits: Mapping[str, object] = field(default_factory=dict)
