"""The configuration file's schema: pydantic models, read only when a file is given.

Unknown keys and wrong types are refused, never ignored; the ``[columns.*]`` keys are
built from the contract, so they are exactly its columns. ``load_config`` gives the
file's settings as ``file_settings.FileSettings``. Importing pydantic and building these models
takes about 0.1 s, which a run without a configuration file does not pay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)

from reconcile.contract import BATCH_ITEMS, BATCHES, INPUTS, JOB_COLUMNS, ORDERS, InputFile, trim
from reconcile.errors import UsageError
from reconcile.file_settings import FileSettings
from reconcile.policy import ARCHIVED, CANCELLED, read_toml


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


# A path, pattern or name: never empty (a ready file of "" silently turned its check off).
Text = Annotated[str, Field(min_length=1)]


class InputsSection(_Section):
    folder: Text | None = None
    orders: Text | None = None
    batches: Text | None = None
    batch_items: Text | None = None
    cancellations: Annotated[list[Text], BeforeValidator(_one_or_many)] | None = None
    pick: Literal["only", "last"] = "only"
    ready_file: Text | None = None
    max_age: Text | None = None


class OutputSection(_Section):
    folder: Text | None = None
    keep: int | None = Field(default=None, ge=0)
    wait: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class LimitsSection(_Section):
    """The guard rails (see ``guards.LIMITS``); their values are checked by ``guards``."""

    max_removed_lines: int | None = None
    max_removed_share: float | int | str | None = None
    max_cancelled_orders: int | None = None
    max_cancelled_orders_share: float | int | str | None = None
    max_rejected_share: float | int | str | None = None


class ValuesSection(_Section):
    order_cancelled: str = Field(default=CANCELLED, min_length=1)
    batch_archived: str = Field(default=ARCHIVED, min_length=1)


class _FileColumns(_Section):
    """contract column -> the export's header, for one input file."""

    @model_validator(mode="after")
    def _one_header_per_column(self) -> _FileColumns:
        seen: dict[str, str] = {}
        for column, header in self.mapping().items():
            name = trim(header)
            if not name:
                raise ValueError(f"{column} maps to an empty header")
            if name in JOB_COLUMNS:
                raise ValueError(
                    f'{column} = "{header}" names a column the job writes itself; '
                    f"map it to the export's own header"
                )
            if name in seen:
                raise ValueError(
                    f'{seen[name]} and {column} both map to the header "{name}"; '
                    "each column needs its own header"
                )
            seen[name] = column
        return self

    def mapping(self) -> dict[str, str]:
        return {name: value for name, value in self.model_dump().items() if value is not None}


def _columns_model(file: InputFile) -> type[_FileColumns]:
    fields: dict[str, Any] = {name: (str | None, None) for name in file.columns}
    return create_model(f"{file.role}_columns", __base__=_FileColumns, **fields)


COLUMN_MODELS = {file.role: _columns_model(file) for file in INPUTS}
ColumnsSection = create_model(
    "ColumnsSection",
    __base__=_Section,
    **{role: (model, model()) for role, model in COLUMN_MODELS.items()},  # type: ignore[call-overload]
)


class ConfigFile(_Section):
    inputs: InputsSection = InputsSection()
    output: OutputSection = OutputSection()
    actions: dict[str, Any] | None = None
    columns: ColumnsSection = ColumnsSection()  # type: ignore[valid-type]
    values: ValuesSection = ValuesSection()
    limits: LimitsSection = LimitsSection()


def load_config(path: Path) -> FileSettings:
    """The file at ``path``, validated; ``UsageError`` (exit 2) naming the file and key."""
    where = f"configuration file {path}"
    _, document = read_toml(path, where)
    try:
        loaded = ConfigFile.model_validate(document)
    except ValidationError as error:
        raise UsageError(
            f"{where}: " + "; ".join(_describe(item) for item in error.errors())
        ) from None
    inputs = loaded.inputs
    return FileSettings(
        folder=inputs.folder,
        patterns={
            file.role: pattern
            for file in (ORDERS, BATCHES, BATCH_ITEMS)
            if (pattern := getattr(inputs, file.role)) is not None
        },
        cancellations=tuple(inputs.cancellations) if inputs.cancellations is not None else None,
        pick=inputs.pick,
        ready_file=inputs.ready_file,
        max_age=inputs.max_age,
        out_folder=loaded.output.folder,
        keep=loaded.output.keep,
        wait=loaded.output.wait,
        actions=loaded.actions,
        order_cancelled=loaded.values.order_cancelled,
        batch_archived=loaded.values.batch_archived,
        columns={
            file.role: mapping
            for file in INPUTS
            if (mapping := getattr(loaded.columns, file.role).mapping())
        },
        limits=loaded.limits.model_dump(exclude_none=True),
    )


def _describe(error: Any) -> str:
    """One pydantic error in the file's own words: the dotted key, what is wrong, the value,
    and what would be right (the section's keys, quotes around a status)."""
    location = [str(part) for part in error["loc"]]
    key = ".".join(location)
    if error["type"] == "extra_forbidden":
        section = ".".join(location[:-1])
        valid = ", ".join(_keys_of(location[:-1]))
        where = f" (not a key of [{section}]" if section else " (not a section"
        return f"unknown key {key}{where}; the valid ones are {valid})"
    if error["type"] == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"[{key}] {message}" if key else message
    value = error.get("input")
    if error["type"] == "string_too_short":
        return f'key {key} = "": empty; give a value, or leave it out'
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    described = f"key {key} = {shown}: {error['msg'].lower()}"
    if error["type"] == "string_type" and isinstance(value, (int, float)):
        described += f' (quote it: {location[-1]} = "{value}")'
    return described


def _keys_of(section: list[str]) -> list[str]:
    """The keys a section of the file may hold (the sections, at the top)."""
    model: Any = ConfigFile
    for name in section:
        annotation = model.model_fields[name].annotation
        model = annotation
    return list(model.model_fields)
