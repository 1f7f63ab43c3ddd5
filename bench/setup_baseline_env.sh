#!/usr/bin/env bash
# Creates bench/.venv-st: sentence-transformers + torch (CPU) in their own virtual environment,
# so the baseline's installed size is measured apart from ours. The directory is gitignored.
# Usage: bench/setup_baseline_env.sh [python]   (default: python3)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-st"
python="${1:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
# torch==2.13.0 is the CPU build available here; any other version pulls GBs of CUDA packages.
"$venv/bin/python" -m pip install --quiet "torch==2.13.0" "sentence-transformers==6.2.0"
"$venv/bin/python" -c "import torch, sentence_transformers; print('baseline env ready:', torch.__version__, sentence_transformers.__version__)"
