#!/usr/bin/env bash
# `npm start` as a new user runs it, on a fresh data dir with no DATABASE_URL: it must serve / and a
# demo post, stop on SIGTERM, and leave no postgres process behind.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d /tmp/project-blogs-smoke-XXXXXX)
chmod 755 "$data"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
log="$data.log"
# What `npm start` runs (package.json), with node signalled directly rather than through npm.
node scripts/build.mjs
env -u DATABASE_URL DATA_DIR="$data" PORT="$port" node --max-semi-space-size=8 --enable-source-maps dist/server/main.js >"$log" 2>&1 &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "smoke: the server exited during start"; exit 1; }
  sleep 0.5
done
# Pages are fetched whole first: a pipe into `grep -q` or `head` may end early (SIGPIPE under pipefail).
home=$(curl -fsS "http://127.0.0.1:$port/")
grep -q "Information Sharing Taskforce" <<<"$home" || { echo "smoke: the home page does not list the demo"; exit 1; }
project=$(curl -fsS "http://127.0.0.1:$port/info-sharing-taskforce/")
post=$(grep -o 'href="/info-sharing-taskforce/posts/[^"]*"' <<<"$project" | sed -n 1p | cut -d'"' -f2)
[ -n "$post" ] || { echo "smoke: no demo post linked"; exit 1; }
page=$(curl -fsS "http://127.0.0.1:$port$post")
grep -q "thought" <<<"$page" || { echo "smoke: the post page has no comment area"; exit 1; }
echo "smoke: served / and $post"
kill -TERM "$pid"
trap - EXIT
for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
if kill -0 "$pid" 2>/dev/null; then echo "smoke: still running 10 s after SIGTERM"; exit 1; fi
wait "$pid" || { cat "$log"; echo "smoke: non-zero exit after SIGTERM"; exit 1; }
sleep 0.5
if pgrep -f "postgres -D $data" >/dev/null; then echo "smoke: a postgres process was left behind"; exit 1; fi
echo "smoke: stopped cleanly on SIGTERM, no postgres left"
rm -rf "$data" "$log"
