"""bench.instructions reads callgrind_annotate's output (make bench-instructions)."""

from __future__ import annotations

from bench.instructions import counts_in

# As callgrind-3.19's callgrind_annotate --threshold=100 prints it, shortened.
ANNOTATED = """\
--------------------------------------------------------------------------------
Profile data file 'job.out' (creator: callgrind-3.19.0)
--------------------------------------------------------------------------------
Ir
--------------------------------------------------------------------------------
2,466,468,528 (100.0%)  PROGRAM TOTALS

--------------------------------------------------------------------------------
Ir                     file:function
--------------------------------------------------------------------------------
  187,607,754 ( 7.61%)  ???:0x000000000029ad80 [/usr/lib/x86_64-linux-gnu/libcrypto.so.3]
   74,803,355 ( 3.03%)  Python/ceval.c:_PyEval_EvalFrameDefault'2 [/usr/lib/libpython3.11.so.1.0]
   16,836,654 ( 0.68%)  Objects/stringlib/fastsearch.h:_Py_bytes_count
      458,260 ( 0.02%)  ???:0x0000000000230920 [/usr/lib/x86_64-linux-gnu/libcrypto.so.3]
"""


def test_it_reads_the_total_and_sums_libcrypto_lines() -> None:
    """It gives the program's total and the sum of libcrypto's functions, leaving out the
    functions of other objects and those listed without one (the main program's)."""
    assert counts_in(ANNOTATED) == (2_466_468_528, 187_607_754 + 458_260)


def test_it_gives_none_without_a_program_total() -> None:
    """It gives None when the output holds no PROGRAM TOTALS line (not a callgrind profile)."""
    assert counts_in("callgrind_annotate: no such file\n") is None
