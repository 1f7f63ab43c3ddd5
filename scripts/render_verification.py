"""Write the Verification table of both READMEs from ``tests/verification_figures.json``.

The rows, their wording in both languages and the bounds come from ``tests/verification.py``; the
table sits between ``<!-- verification:start -->`` and ``<!-- verification:end -->``.
``tests/test_verification_table.py`` fails while a README holds anything else there.

Usage::

    python scripts/render_verification.py            # rewrite both READMEs' tables
    python scripts/render_verification.py --check    # exit 1 if either differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import verification


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report a difference")
    args = parser.parse_args(argv)
    stale = []
    for language, path in verification.READMES.items():
        text = path.read_text(encoding="utf-8")
        rendered = verification.replace_table(text, language)
        if rendered != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(rendered, encoding="utf-8")
    if args.check and stale:
        print(f"Verification table out of date in {', '.join(stale)}", file=sys.stderr)
        return 1
    print(f"{'stale' if args.check else 'rewritten'}: {', '.join(stale) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
