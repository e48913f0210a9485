#!/bin/sh
# A step command that changes nothing: it says what a real one would do, takes DRY_RUN_SECONDS (default 1), and
# remembers each idempotency key it ran in DRY_RUN_DIR (default ${TMPDIR:-/tmp}/cce-dry-run), so `observe` answers
# "done" (exit 0) for a step it ran and "not done" (exit 1) otherwise. The receiver's default, to try the hook
# contract without a cluster; set STEP_COMMAND to kubeadm-step.sh (adapted) for a real one.
set -eu
dir="${DRY_RUN_DIR:-${TMPDIR:-/tmp}/cce-dry-run}"
mkdir -p "$dir"
marker="$dir/$(printf '%s' "$CCE_IDEMPOTENCY_KEY" | tr -c 'A-Za-z0-9._-' '_')"

if [ "$CCE_HOOK_PHASE" = observe ]; then
  [ -e "$marker" ]
  exit
fi

echo "dry run: $CCE_STEP_KIND $CCE_TARGET of $CCE_CLUSTER_NAME, $CCE_FROM_VERSION -> $CCE_TO_VERSION (attempt $CCE_ATTEMPT)" >&2
sleep "${DRY_RUN_SECONDS:-1}"
touch "$marker"
