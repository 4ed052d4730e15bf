"""The contract as data: every input and output file, its columns, keys and reasons.

Every other module takes file names, columns, keys and reasons from here, so a new
output or column is one edit here (and the code that computes it). Each file name
is written as a literal in this module only. Column names here are the contract's;
a configuration may give a file's columns other headers (see ``config``), which
are renamed to these after reading and back before writing.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---- text matching ---------------------------------------------------------------

# The Unicode White_Space characters. Python's str.strip() also strips U+001C-U+001F
# (which str.isspace() counts) and Polars' strip_chars() does not: both sides name
# this set instead, so headers, statuses and policy keys trim alike everywhere.
WHITE_SPACE = "".join(
    chr(code)
    for code in (
        *range(0x09, 0x0E),
        0x20,
        0x85,
        0xA0,
        0x1680,
        *range(0x2000, 0x200B),
        0x2028,
        0x2029,
        0x202F,
        0x205F,
        0x3000,
    )
)


def trim(text: str) -> str:
    """``text`` without White_Space at either end (headers, statuses, policy keys)."""
    return text.strip(WHITE_SPACE)


def status_key(status: str) -> str:
    """How statuses are compared: trimmed, Unicode lower-cased (``rules.status_key_expr``
    is the same fold as a Polars expression; a test holds the two together)."""
    return trim(status).lower()


# ---- columns ---------------------------------------------------------------------

ORDER_ID = "order_id"
ITEM_ID = "item_id"
BATCH_ID = "batch_id"
STATUS = "status"
CAPACITY = "capacity"

# Appended by the job to outputs that carry an input file's columns.
BATCH_STATUS = "batch_status"
ACTION = "action"
REASON = "reason"
HINT = "hint"
CANCELLED_BY = "cancelled_by"
# Computed by the job.
ITEM_COUNT = "item_count"
OPEN_SLOTS = "open_slots"
ITEMS_REMOVED = "items_removed"
ITEMS_REMAINING = "items_remaining"
PREVIOUS_STATUS = "previous_status"

COMPUTED_BATCH_COLUMNS = (ITEM_COUNT, OPEN_SLOTS)
# Every column name the job writes itself: no input column may be mapped onto one.
JOB_COLUMNS = (
    BATCH_STATUS,
    ACTION,
    REASON,
    HINT,
    CANCELLED_BY,
    ITEM_COUNT,
    OPEN_SLOTS,
    ITEMS_REMOVED,
    ITEMS_REMAINING,
    PREVIOUS_STATUS,
)

REJECTION_REASONS = ("unknown_order", "item_order_mismatch")


# The columns the job appends to each output that carries an input's rows, declared
# here once: the rules append them in this order, the output schemas check them, an input
# column of one of these names is an input error, and a test holds the README's table to
# them.
REMOVED_APPENDED = (BATCH_STATUS, ACTION, CANCELLED_BY)
HELD_APPENDED = (BATCH_STATUS, CANCELLED_BY)
REJECTED_APPENDED = (REASON, HINT)
UNMATCHED_APPENDED = (HINT,)

# ---- inputs ----------------------------------------------------------------------


@dataclass(frozen=True)
class InputFile:
    """One input file of the contract.

    ``role`` is its name in options (``--batch-items``) and configuration keys
    (``batch_items``); ``reserved`` are the columns the job appends to this file's
    rows in the outputs, so an input column of that name is an input error.
    """

    name: str
    role: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    key: str | None = None
    reserved: tuple[str, ...] = ()

    @property
    def option(self) -> str:
        return "--" + self.role.replace("_", "-")

    @property
    def columns(self) -> tuple[str, ...]:
        """Every contract column of the file, required first."""
        return self.required + self.optional


ORDERS = InputFile("orders.csv", "orders", (ORDER_ID, STATUS), key=ORDER_ID)
BATCHES = InputFile("batches.csv", "batches", (BATCH_ID, STATUS, CAPACITY), key=BATCH_ID)
BATCH_ITEMS = InputFile(
    "batch_items.csv",
    "batch_items",
    (BATCH_ID, ORDER_ID, ITEM_ID),
    key=ITEM_ID,
    reserved=tuple(dict.fromkeys(REMOVED_APPENDED + HELD_APPENDED)),
)
CANCELLATIONS = InputFile(
    "cancellations.csv",
    "cancellations",
    (ORDER_ID,),
    optional=(ITEM_ID,),
    reserved=tuple(dict.fromkeys(REJECTED_APPENDED + UNMATCHED_APPENDED)),
)
INPUTS = (ORDERS, BATCHES, BATCH_ITEMS, CANCELLATIONS)
INPUT_BY_NAME = {file.name: file for file in INPUTS}


# ---- outputs ---------------------------------------------------------------------


@dataclass(frozen=True)
class OutputFile:
    """One output file: its name, the input it carries columns of (if any), and its key.

    ``key`` is the sort key and the key ``diff`` pairs rows by; empty means the
    whole row (rejected and unmatched cancellations have no key of their own: they
    are sorted by ``sorted_by`` and then the other columns left to right).
    """

    name: str
    key: tuple[str, ...]
    carries: InputFile | None = None
    sorted_by: tuple[str, ...] = ()
    # the columns appended after the carried input's (see REMOVED_APPENDED above)
    appended: tuple[str, ...] = ()


KEPT_ITEMS = OutputFile(BATCH_ITEMS.name, (BATCH_ID, ITEM_ID), BATCH_ITEMS)
REMOVED_ITEMS = OutputFile(
    "removed_items.csv", (BATCH_ID, ITEM_ID), BATCH_ITEMS, appended=REMOVED_APPENDED
)
HELD_ITEMS = OutputFile("held_items.csv", (BATCH_ID, ITEM_ID), BATCH_ITEMS, appended=HELD_APPENDED)
UPDATED_BATCHES = OutputFile(BATCHES.name, (BATCH_ID,), BATCHES, appended=COMPUTED_BATCH_COLUMNS)
REGENERATION_QUEUE = OutputFile("regeneration_queue.csv", (BATCH_ID,), BATCHES)
ARCHIVE_LIST = OutputFile("archive_list.csv", (BATCH_ID,), BATCHES)
UPDATED_ORDERS = OutputFile(ORDERS.name, (ORDER_ID,), ORDERS)
REJECTED_CANCELLATIONS = OutputFile(
    "rejected_cancellations.csv",
    (),
    CANCELLATIONS,
    sorted_by=(ORDER_ID, ITEM_ID, REASON),
    appended=REJECTED_APPENDED,
)
UNMATCHED_CANCELLATIONS = OutputFile(
    "unmatched_cancellations.csv",
    (),
    CANCELLATIONS,
    sorted_by=(ORDER_ID, ITEM_ID),
    appended=UNMATCHED_APPENDED,
)
# In the contract's table order, which is the order files are listed and compared in.
CSV_OUTPUTS = (
    KEPT_ITEMS,
    REMOVED_ITEMS,
    HELD_ITEMS,
    UPDATED_BATCHES,
    REGENERATION_QUEUE,
    ARCHIVE_LIST,
    UPDATED_ORDERS,
    REJECTED_CANCELLATIONS,
    UNMATCHED_CANCELLATIONS,
)
SUMMARY = "summary.json"
OUTPUT_NAMES = (*(file.name for file in CSV_OUTPUTS), SUMMARY)
