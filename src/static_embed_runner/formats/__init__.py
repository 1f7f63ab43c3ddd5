"""One module per model layout: which files, how to build the table, which encode semantics."""
