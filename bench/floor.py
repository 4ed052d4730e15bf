"""The I/O floor: the least work the contract allows for the three full-size outputs.

Polars reads the four inputs as text, sorts orders, batches and batch lines by
their contract keys and writes them (scan -> sort -> sink); no validation, no rules.
Run as a whole process: python bench/floor.py INPUT_DIR OUTPUT_DIR [--quoted]
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

# Synthetic nights quote nothing; with quoting on, Polars' reader fails on their
# inch marks (12" x 18"), so the floor reads them with quoting off, unless told the
# night is quoted (--quoted: values holding commas, inch marks quoted as "12"" x 18""").
QUOTE = '"' if "--quoted" in sys.argv else None

SORTED_OUTPUTS = {
    "orders.csv": ["order_id"],
    "batches.csv": ["batch_id"],
    "batch_items.csv": ["batch_id", "item_id"],
}


def main(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name, keys in SORTED_OUTPUTS.items():
        pl.scan_csv(source / name, infer_schema=False, quote_char=QUOTE).sort(keys).sink_csv(
            target / name
        )
    pl.scan_csv(source / "cancellations.csv", infer_schema=False, quote_char=QUOTE).collect()


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if argument != "--quoted"]
    main(Path(arguments[0]), Path(arguments[1]))
