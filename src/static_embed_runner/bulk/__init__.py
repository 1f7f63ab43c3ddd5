"""The ``embed-file`` job: a whole file of documents embedded into a file of vectors with ids.

``readers`` turns .txt, .jsonl, .csv and Parquet files into (id, text) rows and reports bad rows
with file and line; ``parts`` keeps the finished chunks on disk so a killed run continues where
it stopped; ``command`` is the command line. Parquet needs the ``parquet`` extra (pyarrow).
"""
