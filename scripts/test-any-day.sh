#!/usr/bin/env bash
# The suite must not depend on the real date, weekday, hour or time zone (tests use a fixed TestClock).
# This proves it: runs `npm test` (or just the vitest arguments given) twice, each under a clock and a
# time zone chosen to catch a test or server path that reads the machine's own:
#   1. a Saturday, far east: TZ=Pacific/Kiritimati (UTC+14), faked to Sunday 01:00 local, which is still
#      Saturday 11:00 in UTC: a weekend day, and a local date that differs from the UTC date;
#   2. far west: TZ=Pacific/Pago_Pago (UTC-11) on the real clock.
# The fake clock comes from libfaketime (Debian: apt install faketime). It is preloaded into every process
# the run starts, the embedded PostgreSQL and Chromium included, so they all agree on the date, and it
# ticks from the given instant. With DATABASE_URL set, that server keeps the real clock; the tests that
# date rows by the database's now() read the database's clock, so that works too.
#
#   scripts/test-any-day.sh                       # the whole suite, both ways
#   scripts/test-any-day.sh test/moderation       # only some files
#   ANY_DAY_RUNS=saturday scripts/test-any-day.sh # only the first run (saturday | far-west)
set -euo pipefail
cd "$(dirname "$0")/.."

SATURDAY='2026-12-06 01:00:00' # local time in Pacific/Kiritimati = 2026-12-05 11:00 UTC, a Saturday
runs=${ANY_DAY_RUNS:-saturday far-west}

if ! command -v faketime >/dev/null; then
  echo "test-any-day: faketime is not installed (Debian: apt-get install faketime)" >&2
  exit 1
fi

for run in $runs; do
  case $run in
    saturday)
      echo "==> a Saturday (UTC) in Pacific/Kiritimati (UTC+14): faketime '@$SATURDAY' local"
      TZ=Pacific/Kiritimati faketime -f "@$SATURDAY" node -e '
        const d = new Date();
        if (d.getUTCDay() !== 6) { console.error(`faketime did not take: ${d.toISOString()}`); process.exit(1); }
        console.log(`node sees ${d.toISOString()} (UTC, a Saturday); local ${d.toString()}`);'
      TZ=Pacific/Kiritimati faketime -f "@$SATURDAY" npx vitest run "$@"
      ;;
    far-west)
      echo "==> Pacific/Pago_Pago (UTC-11), real clock"
      TZ=Pacific/Pago_Pago node -e 'console.log(`node sees local ${new Date().toString()}`)'
      TZ=Pacific/Pago_Pago npx vitest run "$@"
      ;;
    *)
      echo "test-any-day: unknown run '$run' (saturday | far-west)" >&2
      exit 2
      ;;
  esac
done
