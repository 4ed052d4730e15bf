"""The status -> action policy: the documented defaults and TOML overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.errors import UsageError
from reconcile.policy import STATUSES, default_policy, load_policy


def test_defaults_follow_the_platform_and_hold_everything_else() -> None:
    """Filling refills, the two regenerate statuses regenerate, every other listed status holds."""
    actions = default_policy().actions
    assert list(actions) == list(STATUSES)
    assert {status for status, action in actions.items() if action != "hold"} == {
        "Filling",
        "Pending Generation",
        "In Production (Stock Picking)",
    }
    assert actions["Filling"] == "refill"
    assert actions["In Production"] == "hold"


def test_keys_keep_the_listed_spelling_and_new_statuses_are_trimmed(tmp_path: Path) -> None:
    """It maps ' pending RIP' to Pending RIP and spells a new status as its trimmed key."""
    path = tmp_path / "p.toml"
    path.write_text('[actions]\n" pending RIP" = "refill"\n"  Quality Check " = "regenerate"\n')
    policy = load_policy(path)
    assert policy.actions["Pending RIP"] == "refill"
    assert policy.actions["Quality Check"] == "regenerate"
    assert dict(policy.overrides) == {"Pending RIP": "refill", "Quality Check": "regenerate"}
    assert policy.source is not None and policy.source["file"] == "p.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[actions]\n"Filling" = 3\n', 'key "Filling" has value 3 (int)'),
        ('[actions]\n"Filling" = "Refill"\n', 'key "Filling" has value "Refill"'),
        ('[actions]\n"  " = "hold"\n', 'key "  " is empty after trimming'),
        ("actions = 1\n", "has no [actions] table"),
    ],
)
def test_bad_values_and_keys_name_the_file_key_and_value(
    tmp_path: Path, text: str, message: str
) -> None:
    """It raises a usage error naming the file and the offending key and value."""
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as raised:
        load_policy(path)
    assert str(raised.value).startswith(f"policy file {path}: {message}")
