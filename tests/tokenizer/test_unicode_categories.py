"""The shipped general-category table partitions every code point.

Its categories are checked against Oniguruma class by class in ``test_onig_regex``."""

from __future__ import annotations

from itertools import pairwise

from static_embed_runner.tokenizer import unicode_categories_data as data
from static_embed_runner.tokenizer import unicode_classes as uc


def test_category_ranges_partition_every_code_point() -> None:
    ranges = sorted(r for table in map(uc.category_ranges, uc.GENERAL_CATEGORIES) for r in table)
    assert ranges[0][0] == 0 and ranges[-1][1] == uc.MAX_CODE_POINT
    assert all(prev[1] + 1 == nxt[0] for prev, nxt in pairwise(ranges))


def test_the_version_constant_names_the_shipped_tables_unicode_version() -> None:
    assert tuple(map(int, data.UNICODE_VERSION.split("."))) == uc.UNICODE_VERSION
