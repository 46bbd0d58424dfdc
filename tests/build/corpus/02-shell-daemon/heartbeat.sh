#!/bin/sh
# heartbeat [--interval N] [--once]: writes "NAME GREETING COUNT" to
# $HEARTBEAT_FILE every N seconds until SIGTERM or SIGINT.
set -eu
. /etc/heartbeat.conf
interval=${INTERVAL:-2} once=
while [ $# -gt 0 ]; do
  case $1 in
  --interval) interval=$2; shift 2 ;;
  --once) once=1; shift ;;
  *) echo "heartbeat: unknown option $1" >&2; exit 2 ;;
  esac
done
running=1
trap 'running=' TERM INT
echo "heartbeat: $name every ${interval}s as $(id -un)"
count=0
while [ -n "$running" ]; do
  count=$((count + 1))
  echo "$name $greeting $count" > "$HEARTBEAT_FILE"
  cat "$HEARTBEAT_FILE"
  [ -z "$once" ] || break
  sleep "$interval" & wait $! || true
done
echo "heartbeat: stopped after $count"
