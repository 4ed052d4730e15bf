"""The house's shape: modules import in one direction, and the appended columns are
declared once."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reconcile"


def imports_of(path: Path) -> set[str]:
    """The package's modules that ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "reconcile":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("reconcile."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {
                alias.name.split(".")[1]
                for alias in node.names
                if alias.name.startswith("reconcile.")
            }
    modules = {module.stem for module in PACKAGE.glob("*.py")}
    return (found & modules) - {path.stem}


def test_no_module_imports_itself_through_others() -> None:
    """It finds no import circle among the package's modules, lazy imports included (the
    package root, which only re-exports, aside)."""
    graph = {
        path.stem: imports_of(path) - {"__init__"}
        for path in PACKAGE.glob("*.py")
        if path.stem != "__init__"
    }
    circles = []

    def visit(module: str, trail: list[str]) -> None:
        for imported in sorted(graph.get(module, ())):
            if imported in trail:
                circles.append([*trail[trail.index(imported) :], imported])
            elif len(trail) < len(graph):
                visit(imported, [*trail, imported])

    for module in sorted(graph):
        visit(module, [module])
    assert circles == []


def test_the_appended_columns_are_declared_once_and_followed() -> None:
    """It finds each output's appended columns, as contract.py declares them, after the
    carried input's columns in what the rules write, and in the contract document's table."""
    from reconcile.policy import default_policy
    from reconcile.rules import reconcile
    from tests.test_rules import night

    outputs = reconcile(
        night(
            ["B1,Filling,3", "B2,In Production,3"], ["B1,O1,I1", "B2,O2,I2"], ["O1,", "O2,", "O9,"]
        ),
        default_policy(),
    )
    table = (PACKAGE.parent / "docs" / "contract.md").read_text(encoding="utf-8")
    for file, frame in outputs.by_file().items():
        if not file.appended or file.carries is None:
            continue
        carried = [name for name in frame.columns if name not in file.appended]
        assert frame.columns == [*carried, *file.appended], file.name
        # the outputs' table comes after the inputs' (where batches.csv is an input too)
        row = [line for line in table.splitlines() if line.startswith(f"| `{file.name}` |")][-1]
        for name in file.appended:
            assert f"`{name}`" in row, (file.name, name)
