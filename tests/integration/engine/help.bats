#!/usr/bin/env bats
# --help for every command, `berth help`, group listings, Docker's
# unknown-flag messages, the generated man pages and bash completion, and
# `make install`.

bats_require_minimum_version 1.5.0
load engine

setup_file() { engine_setup_file; }
teardown_file() { engine_teardown_file; }
teardown() { engine_teardown; }

GEN=$(dirname "$BERTH")

# The names listed under a heading of `berth ... --help` ("Commands").
section() {
  awk -v h="$1:" '$0 == h { on = 1; next } on && /^$/ { exit } on { print $1 }'
}

@test "every command berth --help lists answers --help, -h and berth help with its options" {
  run -0 berth --help
  [[ "${lines[0]}" == "Usage:  berth [OPTIONS] COMMAND" ]]
  groups=$(echo "$output" | section "Management Commands")
  cmds=$(echo "$output" | section "Commands")
  [ "$(echo "$groups" | tr '\n' ' ')" = "builder container image network system volume " ]
  [ "$(echo "$cmds" | wc -l)" -ge 30 ]
  for c in $cmds; do
    run -0 berth "$c" --help
    [[ "$output" == *"Usage:  berth $c"* ]] || { echo "$c: $output"; false; }
    [[ "$output" == *$'\nOptions:\n'* ]] || { echo "$c: no options"; false; }
    # A description under the usage line.
    [[ "${lines[1]}" != *: ]] || { echo "$c: no description"; false; }
    help_text=$output
    run -0 berth help "$c"
    [ "$output" = "$help_text" ]
    if [ "$c" != run ] && [ "$c" != create ]; then # there -h is --hostname
      run -0 berth "$c" -h
      [ "$output" = "$help_text" ]
    fi
  done
  for g in $groups; do
    run -0 berth "$g" --help
    subs=$(echo "$output" | section "Commands")
    [ -n "$subs" ] || { echo "$g lists no subcommands"; false; }
    for s in $subs; do
      run -0 berth "$g" "$s" --help
      [[ "$output" == *"Usage:  berth $g $s"* ]] || { echo "$g $s: $output"; false; }
      [[ "$output" == *$'\nOptions:\n'* ]] || { echo "$g $s: no options"; false; }
    done
  done
  # The loop can fail: a command that is not there gets no help.
  run berth nosuch --help
  [ "$status" -eq 125 ]
  [[ "$output" == *"'nosuch' is not a berth command"* ]]
}

@test "every option of every command has a help line" {
  # From the option tables themselves (also a meson test)...
  run -0 "$BERTH" __help-check
  # ...and as printed: no option line without its description.
  run -0 berth --help
  for c in $(echo "$output" | section "Commands") \
    $(for g in container image system volume; do
      berth "$g" | section Commands | sed "s/^/$g:/"
    done); do
    run -0 berth ${c/:/ } --help
    bare=$(echo "$output" | awk '/^Options:$/ { on = 1; next } on && NF' |
      grep -Ev '^  (-[a-zA-Z], |    )--[a-z0-9-]+( [a-z]+)? {3,}[^ ]' || true)
    [ -z "$bare" ] || { echo "${c/:/ }: $bare"; false; }
  done
}

@test "run --help lists --detach with Docker's description" {
  run -0 berth run --help
  [ "${lines[0]}" = "Usage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]" ]
  [ "${lines[1]}" = "Create and run a new container from an image" ]
  echo "$output" | grep -Eq '^  -d, --detach +Run container in background and print container ID$'
  echo "$output" | grep -Eq '^      --name string +Assign a name to the container$'
  # -h is --hostname for run (as Docker), so only --help prints this.
  run berth run -h
  [ "$status" -eq 125 ]
}

@test "unknown flags are named as typed, exit 125, with Docker's hint" {
  run -125 --separate-stderr berth ps --bogus
  [ -z "$output" ]
  [ "$stderr" = "$(printf "unknown flag: --bogus\nSee 'berth ps --help'.")" ]
  run -125 --separate-stderr berth ps -Z
  [ "$stderr" = "$(printf "unknown shorthand flag: 'Z' in -Z\nSee 'berth ps --help'.")" ]
  run -125 --separate-stderr berth container ls --bogus=1
  [ "$stderr" = "$(printf "unknown flag: --bogus\nSee 'berth container ls --help'.")" ]
  run -125 --separate-stderr berth volume rm --nope x
  [ "$stderr" = "$(printf "unknown flag: --nope\nSee 'berth volume rm --help'.")" ]
  run -125 --separate-stderr berth --bogus ps
  [ "$stderr" = "$(printf "unknown flag: --bogus\nSee 'berth --help'.")" ]
  # run and exec parse their own way: same words, and nothing is created.
  run -125 --separate-stderr berth run --bogus bb true
  [ "$stderr" = "$(printf "unknown flag: --bogus\nSee 'berth run --help'.")" ]
  run -125 --separate-stderr berth exec -Q x true
  [ "$stderr" = "$(printf "unknown shorthand flag: 'Q' in -Q\nSee 'berth exec --help'.")" ]
  [ -z "$(berth ps -aq)" ]
  # Other flag errors keep their own message.
  run -125 berth stop -t nope x
  [[ "$output" == *"invalid integer"* ]]
}

@test "group commands list their subcommands; berth help" {
  run -0 berth image
  [ "${lines[0]}" = "Usage:  berth image COMMAND" ]
  [ "${lines[1]}" = "Manage images" ]
  echo "$output" | grep -Eq '^  ls +List images$'
  [ "$(berth image --help)" = "$output" ]
  [ "$(berth image -h)" = "$output" ]
  [ "$(berth help image)" = "$output" ]
  run -0 berth container
  echo "$output" | grep -Eq '^  ls +List containers$'
  echo "$output" | grep -Eq '^  prune +Remove all stopped containers$'
  run -0 berth volume --help
  echo "$output" | grep -Eq '^  create +Create a volume$'
  run -0 berth system
  echo "$output" | grep -Eq '^  df +'
  run -125 berth image bogus
  [[ "$output" == *"'image bogus' is not a berth command"* ]]
  [ "$(berth help)" = "$(berth --help)" ]
  [ "$(berth help container ls)" = "$(berth container ls --help)" ]
  run -0 berth
  [ "${lines[0]}" = "Usage:  berth [OPTIONS] COMMAND" ]
}

@test "man pages are generated for every command and render" {
  [ -f "$GEN/man1/berth.1" ]
  for c in $(berth --help | section Commands); do
    [ -f "$GEN/man1/berth-$c.1" ] || { echo "no page for $c"; false; }
  done
  [ -f "$GEN/man1/berth-image-ls.1" ]
  [ -f "$GEN/man1/berth-volume.1" ]
  run -0 env MANWIDTH=200 man -l "$GEN/man1/berth-run.1"
  echo "$output" | grep -Eq '^ +-d, --detach$'
  echo "$output" | grep -Eq '^ +Run container in background and print container ID$'
  echo "$output" | grep -Eq 'berth run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]'
  # groff finds nothing to warn about in any page.
  for p in "$GEN"/man1/*.1; do
    [ -z "$(groff -man -Tutf8 -ww -z "$p" 2>&1)" ] || { echo "$p"; groff -man -Tutf8 -ww -z "$p"; false; }
  done
}

complete_words() {
  # shellcheck disable=SC1091
  source "$GEN/berth.bash"
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  _berth
  echo "${COMPREPLY[*]}"
}

@test "bash completion completes commands, subcommands, flags and names" {
  [ "$(complete_words berth ru)" = run ]
  [[ " $(complete_words berth run --de) " == *" --detach "* ]]
  [[ " $(complete_words berth run --de) " != *" --name "* ]]
  [ "$(complete_words berth volume cr)" = create ]
  [[ " $(complete_words berth image l) " == *" ls "* ]]
  [[ " $(complete_words berth container ls --) " == *" --all "* ]]
  [ "$(complete_words berth help ru)" = run ]
  [ "$(complete_words berth --ro)" = --root ]
  # Names come from berth itself (the one completed, with its --root).
  berth create --name complete-me bb true >/dev/null
  berth volume create vol-complete >/dev/null
  [ "$(complete_words "$BERTH" --root "$BERTH_ROOT" start comp)" = complete-me ]
  [ "$(complete_words "$BERTH" --root "$BERTH_ROOT" volume rm vol-)" = vol-complete ]
  [[ " $(complete_words "$BERTH" --root "$BERTH_ROOT" rmi b) " == *" bb "* ]]
  # A flag's value is not a container name.
  [ -z "$(complete_words "$BERTH" --root "$BERTH_ROOT" stop --signal comp)" ]
  berth volume rm vol-complete
}

@test "make install puts berth, its man pages and the completion under DESTDIR" {
  tmp=$(mktemp -d "$BATS_TEST_TMPDIR/install.XXXXXX")
  run -0 make -C "$REPO" install DESTDIR="$tmp"
  [ -x "$tmp/usr/local/bin/berth" ]
  [ -x "$tmp/usr/local/bin/berth-runtime" ]
  [ -f "$tmp/usr/local/share/man/man1/berth.1" ]
  [ -f "$tmp/usr/local/share/man/man1/berth-run.1" ]
  cmp "$tmp/usr/local/share/bash-completion/completions/berth" "$GEN/berth.bash"
  run -0 env MANWIDTH=200 man -l "$tmp/usr/local/share/man/man1/berth-run.1"
  [[ "$output" == *"Run container in background"* ]]
  "$tmp/usr/local/bin/berth" --help | grep -q '^  run '
}
