usage() { echo "usage: greet NAME [LANG]" >&2; exit 2; }
