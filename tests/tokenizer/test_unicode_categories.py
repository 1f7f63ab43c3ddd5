"""The shipped general-category table equals a fresh scan of this Python's ``unicodedata``."""

from __future__ import annotations

from itertools import pairwise

from static_embed_runner.tokenizer import unicode_classes as uc


def test_shipped_category_table_matches_a_scan_of_every_code_point() -> None:
    # On a Python with other Unicode data the runtime scans instead, and this compares the scan
    # with itself; regenerate the table there with scripts/gen_unicode_categories.py.
    assert uc._python_categories() == uc.scan_categories()


def test_category_ranges_partition_every_code_point() -> None:
    ranges = sorted(r for table in uc._python_categories().values() for r in table)
    assert ranges[0][0] == 0 and ranges[-1][1] == uc.MAX_CODE_POINT
    assert all(prev[1] + 1 == nxt[0] for prev, nxt in pairwise(ranges))
