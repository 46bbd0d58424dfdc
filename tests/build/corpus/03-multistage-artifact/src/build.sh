#!/bin/sh
# build.sh VERSION OUT: greet, a one-file tool made of lib/*.sh, its
# version file and packed greetings.
set -eu
version=$1 out=$2
mkdir -p "$out/bin" "$out/share" "$out/stage"
{
  echo '#!/bin/sh'
  echo "GREET_VERSION=$version"
  for m in lib/*.sh; do echo "# --- $m"; cat "$m"; done
  echo 'main "$@"'
} > "$out/bin/greet"
chmod 0755 "$out/bin/greet"
echo "$version" > "$out/share/VERSION"
sed "s/@VERSION@/$version/g" greet.1.in > "$out/share/greet.1"
for lang in en fr de; do
  grep "^$lang " greetings.txt | cut -d' ' -f2- > "$out/stage/$lang"
done
tar -C "$out/stage" -czf "$out/data.tar.gz" .
rm -rf "$out/stage"
