main() {
  [ $# -ge 1 ] || usage
  lang=${2:-en}
  word=$(cat "/usr/local/share/greet/data/$lang")
  echo "$word, $1! (greet $GREET_VERSION)"
}
