"""The floor for diff: Polars reads every CSV of two output folders as text, nothing else.

Run as a whole process: python bench/read_folders.py OLD_DIR NEW_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl


def main(folders: list[Path]) -> None:
    for folder in folders:
        for path in sorted(folder.glob("*.csv")):
            pl.read_csv(path, infer_schema=False)


if __name__ == "__main__":
    main([Path(argument) for argument in sys.argv[1:]])
