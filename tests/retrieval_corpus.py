"""A real retrieval corpus that ships with Python: the paragraphs of its reference documentation.

``pydoc_data.topics`` (standard library) holds the text of the Python Language Reference topics
that ``help()`` shows. Split at blank lines, de-duplicated, paragraphs of 60 characters or more:
about 1,400 English texts of varied length (one sentence to a long paragraph), many of them near
each other in meaning. ``queries_and_corpus()`` holds out every tenth paragraph as a query, so no
query is in the corpus. The tests of search (faiss, quantized recall) and ``bench/
bench_quantized_recall.py`` use it.
"""

from __future__ import annotations

import re
from functools import cache


@cache
def paragraphs() -> tuple[str, ...]:
    from pydoc_data.topics import topics

    seen: dict[str, None] = {}
    for name in sorted(topics):
        for block in re.split(r"\n\s*\n", topics[name]):
            text = " ".join(block.split())
            if len(text) >= 60:
                seen.setdefault(text)
    return tuple(seen)


def queries_and_corpus() -> tuple[list[str], list[str]]:
    texts = paragraphs()
    queries = [text for i, text in enumerate(texts) if i % 10 == 0]
    corpus = [text for i, text in enumerate(texts) if i % 10 != 0]
    return queries, corpus
