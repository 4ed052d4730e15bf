"""``python -m reconcile``: the command line, or how to install it under a Python without it."""

import sys

try:
    from reconcile.cli import main
except ModuleNotFoundError as missing:
    sys.stderr.write(
        f"reconcile: this Python ({sys.executable}) does not have {missing.name}, which "
        "reconcile needs. Run reconcile from the environment it was installed in "
        "(.venv/bin/reconcile after `make run` or `make test`), or install it into this one "
        "with `python -m pip install .` from reconcile's folder.\n"
    )
    sys.exit(2)

main()
