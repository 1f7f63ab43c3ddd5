"""Generate ``src/static_embed_runner/tokenizer/unicode_scripts_data.py``: the script of every code
point exactly as the ``UnicodeScripts`` pre-tokenizer of ``tokenizers`` sees it.

What tokenizers does (``pre_tokenizers/unicode_scripts``): every character gets a script from a
table generated years ago from sentencepiece's Unicode data, then fixed up (U+30FC and the
Hiragana and Katakana scripts count as Han, U+0020 counts as "Any"); code points the table does
not list (unassigned in its Unicode version, private use, noncharacters) are "Any" as well. The
pre-tokenizer cuts before every non-Any character whose script differs from the last non-Any
script, and drops leading Any characters. Common and Inherited are ordinary scripts there.

How the table is built:

1. Base: the Unicode Scripts.txt ranges that ``fontTools.unicodedata`` ships as Python data (a
   recent Unicode version), which name each code point's script.
2. Correction by probing the installed ``tokenizers`` on every code point (surrogates excluded):
   a code point is Any iff ``UnicodeScripts().pre_tokenize_str(c)`` is empty, and two non-Any
   code points share a script iff ``pre_tokenize_str(a + b)`` is one piece. Each code point is
   compared with the representative of the class its base script last landed in, and on a miss
   with every representative; a code point equal to none opens a new class. The resulting
   partition is therefore tokenizers' own (each code point equals its class representative,
   representatives are pairwise different); fontTools only supplies names and a fast first guess.
3. Output: sorted range starts and a class index per range (consecutive equal classes merged),
   class 0 being Any. The runtime loads it with ``bisect`` or expands it into a translate table.

The report at the end names the base scripts tokenizers does not know at all (they date the
table's Unicode version) and counts the code points where the base was corrected.

Run from the repository root (needs ``tokenizers`` and ``fontTools``, e.g.
``pip install --target /tmp/gen_deps fonttools`` and ``PYTHONPATH=/tmp/gen_deps``):

    python scripts/gen_unicode_scripts.py
"""

from __future__ import annotations

import sys
import textwrap
from collections import Counter
from pathlib import Path

from fontTools import unicodedata as ft_unicodedata
from tokenizers.pre_tokenizers import UnicodeScripts

OUTPUT = (
    Path(__file__).resolve().parent.parent
    / "src"
    / "static_embed_runner"
    / "tokenizer"
    / "unicode_scripts_data.py"
)
MAX_CODE_POINT = 0x10FFFF
SURROGATES = range(0xD800, 0xE000)
WIDTH = 99


def probe_classes() -> tuple[list[int], list[str], Counter[str]]:
    """Class index per code point (0 = Any), class names, and corrections per base script."""
    split = UnicodeScripts().pre_tokenize_str
    names = ["Any"]
    reps: list[str] = [""]
    by_base: dict[str, int] = {}
    corrected: Counter[str] = Counter()
    classes = [0] * (MAX_CODE_POINT + 1)
    for cp in range(MAX_CODE_POINT + 1):
        if cp in SURROGATES:
            continue
        char = chr(cp)
        base = ft_unicodedata.script(char)
        if not split(char):
            if base != "Zzzz":
                corrected[base] += 1
            continue
        guess = by_base.get(base)
        if guess is not None and len(split(reps[guess] + char)) == 1:
            classes[cp] = guess
            continue
        found = next(
            (k for k in range(1, len(reps)) if k != guess and len(split(reps[k] + char)) == 1),
            None,
        )
        if found is None:
            found = len(reps)
            reps.append(char)
            names.append(ft_unicodedata.script_name(base, default=base).replace(" ", "_"))
        elif names[found] != ft_unicodedata.script_name(base, default=base).replace(" ", "_"):
            corrected[base] += 1
        by_base[base] = found
        classes[cp] = found
    return classes, names, corrected


def runs(classes: list[int]) -> tuple[list[int], list[int]]:
    """Range starts and their class, merging consecutive code points of the same class.

    Surrogates are reported as Any (they never reach the pre-tokenizer).
    """
    starts: list[int] = []
    values: list[int] = []
    for cp, cls in enumerate(classes):
        if not values or values[-1] != cls:
            starts.append(cp)
            values.append(cls)
    return starts, values


def render(starts: list[int], values: list[int], names: list[str], unknown: list[str]) -> str:
    def rows(items: list[str]) -> str:
        pad = "    "
        return textwrap.fill(" ".join(items), WIDTH, initial_indent=pad, subsequent_indent=pad)

    unknown_text = textwrap.fill(
        "The table follows Unicode 9.0: it knows every script of 9.0 and none of the four that "
        "10.0 added (Masaram Gondi, Nushu, Soyombo, Zanabazar Square). Base scripts tokenizers "
        "does not know at all: " + ", ".join(unknown) + ".",
        WIDTH,
    )

    return f'''"""Script classes of the ``UnicodeScripts`` pre-tokenizer, per code-point range.

Generated by ``scripts/gen_unicode_scripts.py`` from fontTools' Scripts.txt data, corrected by
probing ``tokenizers`` on every code point; do not edit by hand. ``RANGE_STARTS[i]`` is the first
code point of a range whose class is ``SCRIPT_NAMES[RANGE_SCRIPTS[i]]``; the range ends where the
next one starts. Class 0 ("Any") never causes a split. Hiragana, Katakana and U+30FC are part of
the Han class, U+0020 is Any, as tokenizers fixes them up.

{unknown_text}
"""

# fmt: off
SCRIPT_NAMES: tuple[str, ...] = (
{rows([f'"{n}",' for n in names])}
)

RANGE_STARTS: tuple[int, ...] = (
{rows([f"0x{s:X}," for s in starts])}
)

RANGE_SCRIPTS: tuple[int, ...] = (
{rows([f"{v}," for v in values])}
)
# fmt: on
'''


def main() -> int:
    classes, names, corrected = probe_classes()
    known = {ft_unicodedata.script(chr(cp)) for cp in range(MAX_CODE_POINT + 1) if classes[cp]}
    all_scripts = {
        ft_unicodedata.script(chr(cp)) for cp in range(MAX_CODE_POINT + 1) if cp not in SURROGATES
    }
    unknown = sorted(
        ft_unicodedata.script_name(s, default=s) for s in all_scripts - known - {"Zzzz"}
    )
    starts, values = runs(classes)
    OUTPUT.write_text(render(starts, values, names, unknown), encoding="utf-8")
    print(f"{len(names)} classes, {len(starts)} ranges -> {OUTPUT}")
    print(f"code points corrected from the base, per base script: {dict(corrected)}")
    print(f"scripts tokenizers does not know: {', '.join(unknown)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
