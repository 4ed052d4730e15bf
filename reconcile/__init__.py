"""Reconcile print-on-demand production batches after order cancellations.

The command line (``reconcile.cli``) is a thin client of ``reconcile.pipeline.run``.
"""

__version__ = "0.1.0"
