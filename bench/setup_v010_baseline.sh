#!/usr/bin/env bash
# Creates bench/.venv-v010: static-embed-runner 0.1.0, the package published on PyPI, in its own
# virtual environment. It has the same import name as this package, so it can only be measured
# from an interpreter where this checkout is not importable. The directory is gitignored.
# Usage: bench/setup_v010_baseline.sh [python]   (default: python3)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-v010"
python="${1:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
# Only numpy comes with it: its tokenizer_backend="auto" is then its pure-Python tokenizer, like
# this package's default.
"$venv/bin/python" -m pip install --quiet "static-embed-runner==0.1.0"
env -u PYTHONPATH "$venv/bin/python" -c "import static_embed_runner as s; print('0.1.0 env ready:', s.__version__, s.__file__)"
