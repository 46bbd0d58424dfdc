#!/bin/sh
# meson install step for what berth generates at build time (src/cli/
# meson.build): the man pages (a directory, one page per command) and the
# bash completion script, installed as share/bash-completion/completions/
# berth.  Honours DESTDIR through MESON_INSTALL_DESTDIR_PREFIX.
set -eu
man_dir=$1 completion=$2 mandir=$3 compdir=$4
# Relative option values are relative to the prefix; absolute ones are kept.
dest() {
  case $1 in
    /*) printf '%s%s' "${DESTDIR:-}" "$1" ;;
    *) printf '%s/%s' "$MESON_INSTALL_DESTDIR_PREFIX" "$1" ;;
  esac
}
install -d "$(dest "$mandir")" "$(dest "$compdir")"
install -m 0644 "$man_dir"/*.1 "$(dest "$mandir")/"
install -m 0644 "$completion" "$(dest "$compdir")/berth"
