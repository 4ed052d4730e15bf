"""Seeded synthetic nights at any size, for trying the job at scale and for benchmarks.

Proportions follow a large fulfiller's night: about 2 lines per order, about 15
lines per batch, batches spread over all eleven statuses, about 5% of orders
cancelled whole, about 0.5% of lines cancelled one by one, a few cancellations
of unknown orders and a few repeated rows, and extra text columns (inch marks
included). Generation is vectorized: pseudo-random values are hashes of the
row number and the seed, so the same seed (and Polars version) gives the same
night, and rows come out shuffled as a real export's do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from reconcile.contract import BATCH_ITEMS, BATCHES, CANCELLATIONS, ORDERS
from reconcile.policy import STATUSES

LINES_PER_ORDER = 2
LINES_PER_BATCH = 15
WHOLE_ORDER_CANCELLED_PERCENT = 5
LINE_CANCELLED_PER_MILLE = 5
PRODUCTS = [
    'Poster 12" x 18"',
    'Canvas 16" x 20"',
    "Poster A2 matte",
    "Mug 11oz",
    "T-shirt black L",
    "Framed print oak 30x40 cm",
    "Phone case Ocean",
    'Vinyl 7" sleeve',
    "Tote bag",
    "Postcard set",
]
PRINTERS = ["Epson P9570", "HP Latex 700", "Mimaki UJF", "Kornit Atlas"]
ORDER_STATUSES = ["Awaiting Production", "In Production", "On Hold", "Paid"]
CUSTOMERS = ["Dana Kim", "Lars Öberg", "Amélie Roux", "Sam O'Neil", "Chen Wei", "Zoë Adams"]


@dataclass(frozen=True)
class SynthCounts:
    orders: int
    batches: int
    batch_items: int
    cancellations: int


def _random(index: pl.Expr, seed: int, stream: int) -> pl.Expr:
    """A pseudo-random u64 per row, independent per ``stream``."""
    return index.hash(seed=seed * 1_000_003 + stream)


def _pick(choices: list[str], index: pl.Expr, seed: int, stream: int) -> pl.Expr:
    position = (_random(index, seed, stream) % len(choices)).cast(pl.Int64)
    return pl.lit(pl.Series(choices)).get(position)


def _shuffled(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    return frame.with_row_index("_row").sort(_random(pl.col("_row"), seed, 99)).drop("_row")


def generate(folder: Path, lines: int, seed: int = 1) -> SynthCounts:
    """Write orders.csv, batches.csv, batch_items.csv and cancellations.csv into ``folder``."""
    if lines < 1:
        raise ValueError("lines must be at least 1")
    n_orders = max(1, lines // LINES_PER_ORDER)
    n_batches = max(1, lines // LINES_PER_BATCH)
    row = pl.col("row")

    items = pl.DataFrame({"row": pl.int_range(lines, eager=True)}).select(
        batch_id=pl.format("B{}", (row * n_batches // lines).cast(pl.String).str.zfill(7)),
        order_id=pl.format("O{}", (row * n_orders // lines).cast(pl.String).str.zfill(8)),
        item_id=row.cast(pl.String).str.zfill(10),
        quantity=((_random(row, seed, 1) % 4) + 1).cast(pl.String),
        description=_pick(PRODUCTS, row, seed, 2),
    )
    batches = pl.DataFrame({"row": pl.int_range(n_batches, eager=True)}).select(
        batch_id=pl.format("B{}", row.cast(pl.String).str.zfill(7)),
        status=_pick(list(STATUSES), row, seed, 3),
        capacity=(pl.lit(LINES_PER_BATCH) + _random(row, seed, 4) % 6).cast(pl.String),
        printer=_pick(PRINTERS, row, seed, 5),
    )
    orders = pl.DataFrame({"row": pl.int_range(n_orders, eager=True)}).select(
        order_id=pl.format("O{}", row.cast(pl.String).str.zfill(8)),
        status=_pick(ORDER_STATUSES, row, seed, 6),
        customer=_pick(CUSTOMERS, row, seed, 7),
    )
    whole = orders.filter(
        _random(pl.int_range(pl.len()), seed, 8) % 100 < WHOLE_ORDER_CANCELLED_PERCENT
    ).select("order_id", item_id=pl.lit(""), requested_by=pl.lit("cs-bulk"))
    single = items.filter(
        _random(pl.int_range(pl.len()), seed, 9) % 1000 < LINE_CANCELLED_PER_MILLE
    ).select("order_id", "item_id", requested_by=pl.lit("cs-line"))
    unknown = pl.DataFrame({"row": pl.int_range(max(1, lines // 100_000), eager=True)}).select(
        order_id=pl.format("X{}", row.cast(pl.String).str.zfill(8)),
        item_id=pl.lit(""),
        requested_by=pl.lit("cs-typo"),
    )
    cancellations = pl.concat([whole, single, unknown])
    cancellations = pl.concat(
        [cancellations, cancellations.head(max(1, cancellations.height // 200))]
    )

    folder.mkdir(parents=True, exist_ok=True)
    written = {
        ORDERS.name: _shuffled(orders, seed),
        BATCHES.name: _shuffled(batches, seed),
        BATCH_ITEMS.name: _shuffled(items, seed),
        CANCELLATIONS.name: _shuffled(cancellations, seed),
    }
    for name, frame in written.items():
        # No generated value holds a comma or a line break and none starts with a
        # quote, so nothing needs quoting; inch marks are written as they are.
        frame.write_csv(folder / name, quote_style="never", line_terminator="\n")
    return SynthCounts(orders.height, batches.height, items.height, cancellations.height)
