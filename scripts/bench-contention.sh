#!/usr/bin/env bash
# Training iterations under CPU contention (issue #17): `ttgs bench render` at 512x384 / 1.5k Gaussians with
# 2 threads on a quiet machine, then beside one and two competing single-thread busy processes, with the program's
# own wait policy (passive, see src/app/main.cpp) and with OpenMP's spinning default forced (OMP_WAIT_POLICY=active).
# Usage: scripts/bench-contention.sh   (env: TTGS=path/to/ttgs). Prints one line per case and the slowdowns.
set -euo pipefail
cd "$(dirname "$0")/.."
TTGS=${TTGS:-build/src/app/ttgs}
iteration_ms() {  # policy -> mean iteration time
  env ${1:+OMP_WAIT_POLICY=$1} "$TTGS" bench render --width 512 --height 384 --gaussians 1500 --iters 20 --threads 2 \
    --json 2>/dev/null | /usr/bin/python3 -c "import json, sys; print('%.1f' % json.load(sys.stdin)['iteration_ms'])"
}
declare -A quiet
for policy in "" active; do
  name=${policy:-default}
  quiet[$name]=$(iteration_ms "$policy")
  echo "$name policy, quiet machine: ${quiet[$name]} ms per iteration"
done
for busy in 1 2; do
  pids=()
  for _ in $(seq "$busy"); do sh -c 'while :; do :; done' & pids+=($!); done
  sleep 1
  for policy in "" active; do
    name=${policy:-default}
    ms=$(iteration_ms "$policy")
    echo "$name policy, $busy busy process(es): $ms ms per iteration, $(/usr/bin/python3 -c "print('%.2f' % ($ms / ${quiet[$name]}))")x the quiet time"
  done
  kill "${pids[@]}"
  wait "${pids[@]}" 2>/dev/null || true
done
