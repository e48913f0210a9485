#!/usr/bin/env bash
# A test hook, called as `step-hook.sh DIR`: logs each call to DIR/calls.log, then does what the next line of
# DIR/actions-<step kind> says (ok when there is none). Observe answers from DIR/done/, where apply records its work.
set -u
HOOK_DIR="$1"
request="$(cat)"
printf '%s\t%s\t%s\t%s\n' "$CCE_HOOK_PHASE" "$CCE_IDEMPOTENCY_KEY" "$CCE_TARGET" "$request" >>"$HOOK_DIR/calls.log"
done_file="$HOOK_DIR/done/$CCE_STEP_KIND-$CCE_TARGET"
if [ "$CCE_HOOK_PHASE" = observe ]; then
  [ "$(cat "$done_file" 2>/dev/null)" = "$CCE_TO_VERSION" ] && exit 0
  exit 1
fi
actions="$HOOK_DIR/actions-$CCE_STEP_KIND"
action=ok
if [ -s "$actions" ]; then
  action="$(head -n 1 "$actions")"
  sed -i 1d "$actions"
fi
case "$action" in
  later) exit 75 ;;
  fail)
    echo "draining $CCE_TARGET" >&2
    echo "error: pod web-0 cannot be evicted" >&2
    exit 1
    ;;
  hang)
    sleep 30 &
    echo $! >"$HOOK_DIR/sleep.pid"
    wait
    ;;
  kill) kill -9 $$ ;;
esac
mkdir -p "$HOOK_DIR/done"
echo "$CCE_TO_VERSION" >"$done_file"
