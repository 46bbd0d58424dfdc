#!/usr/bin/env bats
# Terminals of attached clients: run -it and exec -it follow the client's
# terminal size, attach and detach keys, run -a and --sig-proxy.  The
# client runs on a real pty (tests/lib/ptyrun.py) whose size is set with
# TIOCSWINSZ on its master, as a terminal emulator does: the kernel then
# sends SIGWINCH to berth, which must carry the size to the container's pty.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

PTYRUN="$BATS_TEST_DIRNAME/../../lib/ptyrun.py"
ptyrun() { timeout -k 5 60 python3 "$PTYRUN" --timeout 20 "$@"; }

# In the container: prints its terminal's size now, on each SIGWINCH and
# after each line read.
SIZE_LOOP='trap "stty size" WINCH; stty size; while :; do read -r l || continue; [ "$l" = q ] && exit 7; stty size; done'

@test "run -it: the container's terminal has the client's size and follows resizes" {
  run ptyrun --rows 33 --cols 101 \
    -e 'expect 33 101' -e 'resize 41 123' -e 'sleep 0.5' -e 'send x\r' \
    -e 'expect 41 123' -e 'resize 20 60' -e 'sleep 0.5' -e 'send y\r' \
    -e 'expect 20 60' -e 'send q\r' -e wait \
    -- "$BERTH" --root "$BERTH_ROOT" run -it --rm bb sh -c "$SIZE_LOOP"
  echo "$output"
  [ "$status" -eq 7 ]
  # Control: sizes seen in order; none of the later ones at the start.
  [[ "$output" == *"33 101"*"41 123"*"20 60"* ]]
}

@test "run -it: the container's shell gets SIGWINCH on a resize" {
  run ptyrun --rows 30 --cols 90 \
    -e 'expect ready' -e 'resize 44 132' -e 'expect winch 44 132' \
    -e 'send q\r' -e wait \
    -- "$BERTH" --root "$BERTH_ROOT" run -it --rm bb sh -c \
    'trap "echo winch \$(stty size)" WINCH; echo ready; while read -r l; do [ "$l" = q ] && exit 0; done'
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "exec -it: the real terminal size at start, and resizes" {
  berth run -d --name ex bb sleep 1000 >/dev/null
  run ptyrun --rows 27 --cols 99 \
    -e 'expect 27 99' -e 'resize 50 150' -e 'sleep 0.5' -e 'send x\r' \
    -e 'expect 50 150' -e 'send q\r' -e wait \
    -- "$BERTH" --root "$BERTH_ROOT" exec -it ex sh -c "$SIZE_LOOP"
  echo "$output"
  [ "$status" -eq 7 ]
  [[ "$output" == *"27 99"*"50 150"* ]]
}

running() { [ "$(berth inspect -f '{{.State.Running}}' "$1")" = true ]; }

@test "run -it: ctrl-p ctrl-q detaches and leaves the container running" {
  run ptyrun -e 'expect ready' -e 'send \x10\x11' -e wait \
    -- "$BERTH" --root "$BERTH_ROOT" run -it --name det bb sh -c \
    'echo ready; while :; do sleep 1; done'
  echo "$output"
  [ "$status" -eq 0 ]
  running det
  # Nothing but the container's output on the terminal.
  [ "$(printf '%s' "$output" | tr -d '\r\n')" = ready ]
}

@test "attach shows new output; ctrl-p ctrl-q detaches, the container goes on" {
  berth run -dit --name att bb sh -c \
    'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done' >/dev/null
  wait_until sh -c "'$BERTH' --root '$BERTH_ROOT' logs att | grep -q 'tick 3'"
  n=$(berth logs att | tail -n 1 | tr -dc 0-9)
  run ptyrun -e "expect tick $((n + 5))" -e 'send \x10\x11' -e wait \
    -- "$BERTH" --root "$BERTH_ROOT" attach att
  echo "$output"
  [ "$status" -eq 0 ]
  # Only output written after the attach (no replay of the log).
  [[ "$output" != *"tick $n"$'\r'* ]] || [ "$n" -lt 1 ]
  running att
  m=$(berth logs att | tail -n 1 | tr -dc 0-9)
  sleep 0.5
  [ "$(berth logs att | tail -n 1 | tr -dc 0-9)" -gt "$m" ]
}

# A container that prints each line it reads as hex bytes (ctrl-q too:
# -ixon), "ready" once it reads, and "attached" when a client's terminal
# size arrives.
ECHO_HEX='stty -ixon; trap "echo attached" WINCH; echo ready; while :; do read -r l && printf "%s" "$l" | od -An -tx1; done'

@test "attach --detach-keys: the custom keys detach, the default ones pass through" {
  berth run -dit --name keys bb sh -c "$ECHO_HEX" >/dev/null
  wait_until sh -c "'$BERTH' --root '$BERTH_ROOT' logs keys | grep -q ready"
  run ptyrun -e 'expect attached' -e 'send \x10\x11ab\r' \
    -e 'expect 10 11 61 62' -e 'send \x18y' -e wait \
    -- "$BERTH" --root "$BERTH_ROOT" attach --detach-keys ctrl-x,y keys
  echo "$output"
  [ "$status" -eq 0 ]
  running keys
  # Control: the custom keys pass through when they are not the detach keys.
  run ptyrun --rows 30 -e 'expect attached' -e 'send \x18yz\r' -e 'expect 18 79 7a' \
    -e 'send \x10\x11' -e wait -- "$BERTH" --root "$BERTH_ROOT" attach keys
  echo "$output"
  [ "$status" -eq 0 ]
  running keys
}

@test "start -ai and run -it --detach-keys detach with their keys" {
  berth create -it --name sai bb sh -c 'echo ready; while :; do sleep 1; done' >/dev/null
  run ptyrun -e 'expect ready' -e 'send \x10\x11' -e wait \
    -- "$BERTH" --root "$BERTH_ROOT" start -ai sai
  echo "$output"
  [ "$status" -eq 0 ]
  running sai
  run ptyrun -e 'expect ready' -e 'send \x10\x11ab\r' -e 'expect 10 11 61 62' \
    -e 'send \x01d' -e wait \
    -- "$BERTH" --root "$BERTH_ROOT" run -it --detach-keys ctrl-a,d --name rdk bb \
    sh -c "$ECHO_HEX"
  echo "$output"
  [ "$status" -eq 0 ]
  running rdk
}

@test "attach returns the container's exit status when it exits" {
  berth run -d --name ex7 bb sh -c 'sleep 1; echo bye; exit 7' >/dev/null
  run berth attach ex7
  [ "$status" -eq 7 ]
  [ "$output" = bye ]
  [ "$(berth inspect -f '{{.State.Running}}' ex7)" = false ]
}

# True once pid $1 blocks signal number $2 (an attached client blocks
# SIGWINCH and the forwarded ones for its signalfd).
sig_blocked() {
  local m
  m=$(awk '/^SigBlk/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$m" ] && (( (16#$m >> ($2 - 1)) & 1 ))
}

@test "a second attach is refused while a client is attached" {
  berth run -dit --name two bb sh -c 'while :; do sleep 1; done' >/dev/null
  pidfile=$BATS_TEST_TMPDIR/first.pid
  ptyrun --pidfile "$pidfile" -e 'expect never-printed' \
    -- "$BERTH" --root "$BERTH_ROOT" attach two >/dev/null 2>&1 3>&- &
  first=$!
  wait_until test -s "$pidfile"
  client=$(cat "$pidfile")
  wait_until sig_blocked "$client" 28 # SIGWINCH: attached
  run timeout 10 "$BERTH" --root "$BERTH_ROOT" attach two
  kill -KILL "$client"
  wait "$first" || true
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"another client is attached"* ]]
  running two
}

@test "exec -it: ctrl-p ctrl-q detaches and the process goes on" {
  berth run -d --name exd bb sleep 1000 >/dev/null
  run ptyrun -e 'expect started' -e 'send \x10\x11' -e wait \
    -- "$BERTH" --root "$BERTH_ROOT" exec -it exd sh -c 'echo started; exec sleep 777'
  echo "$output"
  [ "$status" -eq 0 ]
  run berth exec exd ps -o args
  [[ "$output" == *"sleep 777"* ]]
}

@test "bad --detach-keys is a usage error naming the value" {
  run berth run -it --detach-keys ctrl-1 bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--detach-keys \`ctrl-1\`"* ]]
  [ -z "$(berth ps -aq)" ]
  run berth attach --detach-keys ctrlp nosuch
  [ "$status" -eq 125 ]
}

@test "attach to a stopped container fails as Docker's" {
  berth create --name stopped bb true >/dev/null
  run berth attach stopped
  [ "$status" -eq 1 ]
  [[ "$output" == *"You cannot attach to a stopped container, start it first"* ]]
}

@test "run -a stdout attaches only stdout; -a stderr only stderr" {
  run berth run --rm -a stdout bb sh -c 'echo to-out; echo to-err >&2'
  [ "$status" -eq 0 ]
  [[ "$output" == *to-out* ]]
  [[ "$output" != *to-err* ]]
  run berth run --rm -a STDERR bb sh -c 'echo to-out; echo to-err >&2'
  [ "$status" -eq 0 ]
  [[ "$output" == *to-err* ]]
  [[ "$output" != *to-out* ]]
  # Control: both by default.
  run berth run --rm bb sh -c 'echo to-out; echo to-err >&2'
  [[ "$output" == *to-out*to-err* ]]
  run berth run -a stdio bb true
  [ "$status" -eq 125 ]
  run berth run -d -a stdout bb true
  [ "$status" -eq 125 ]
  [ -z "$(berth ps -aq)" ]
}

# A container that logs "usr1" when it gets SIGUSR1.
USR1_LOOP='trap "echo usr1" USR1; echo ready; while :; do sleep 0.1; done'

# Starts `berth ARGS` in the background; its pid in $bg.
bg_berth() { "$BERTH" --root "$BERTH_ROOT" "$@" >/dev/null 2>&1 3>&- & bg=$!; }
# The client forwards SIGUSR1 once it blocks it (for its signalfd).
usr1_blocked() { sig_blocked "$1" 10; }

@test "--sig-proxy: run forwards SIGUSR1 to the container; =false does not" {
  bg_berth run --name sp bb sh -c "$USR1_LOOP"
  wait_until sh -c "'$BERTH' --root '$BERTH_ROOT' logs sp | grep -q ready"
  wait_until usr1_blocked "$bg"
  kill -USR1 "$bg"
  wait_until sh -c "'$BERTH' --root '$BERTH_ROOT' logs sp | grep -q usr1"
  berth kill sp >/dev/null
  wait "$bg" || true
  bg_berth run --sig-proxy=false --name nosp bb sh -c "$USR1_LOOP"
  wait_until sh -c "'$BERTH' --root '$BERTH_ROOT' logs nosp | grep -q ready"
  kill -USR1 "$bg"
  wait "$bg" || true # SIGUSR1 ends the client itself
  sleep 0.5
  running nosp
  run berth logs nosp
  [[ "$output" != *usr1* ]]
}

@test "--sig-proxy: attach forwards SIGUSR1 to the container; =false does not" {
  berth run -d --name asp bb sh -c "$USR1_LOOP" >/dev/null
  wait_until sh -c "'$BERTH' --root '$BERTH_ROOT' logs asp | grep -q ready"
  bg_berth attach --sig-proxy=false asp
  sleep 0.5
  kill -USR1 "$bg"
  wait "$bg" || true
  sleep 0.5
  run berth logs asp
  [[ "$output" != *usr1* ]]
  bg_berth attach asp
  wait_until usr1_blocked "$bg"
  kill -USR1 "$bg"
  wait_until sh -c "'$BERTH' --root '$BERTH_ROOT' logs asp | grep -q usr1"
  # SIGTERM would be forwarded too (and ignored by the container's pid 1).
  kill -KILL "$bg"
  wait "$bg" || true
}
