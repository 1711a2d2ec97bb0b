#!/usr/bin/env bash
# Feed benchmark: the server on PostgreSQL + Redis, 200 members, 10,000 briefings, then wrk
# on the feed (50 and 4 concurrent clients), the badge (`unreadBriefingCount`,
# `unreadCounts`) and `{ __typename }` with a token, and a table of the figures and their
# ratios to `{ __typename }`. Every response is checked; a failed check fails the script.
#
# Usage: bench/run.sh   (env: DURATION=20s PORT=8090 PGURL=postgres://postgres@127.0.0.1:5432)
#        SMOKE=1 bench/run.sh   small data (20 members, 200 briefings), 2 s per run, the
#        debug build: fails when the script, the seed or a response check breaks, never on a
#        figure (CI runs this).
#        SERVER_BIN=path bench/run.sh   that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
SMOKE=${SMOKE:-}
if [ -n "$SMOKE" ]; then
  DURATION=${DURATION:-2s} WARMUP=1s MEMBERS=${MEMBERS:-20} BRIEFINGS=${BRIEFINGS:-200}
  PROFILE=${PROFILE:-debug} PORT=${PORT:-8091} DB=cppcc_bench_smoke
else
  DURATION=${DURATION:-20s} WARMUP=5s MEMBERS=${MEMBERS:-200} BRIEFINGS=${BRIEFINGS:-10000}
  PROFILE=${PROFILE:-release} PORT=${PORT:-8090} DB=cppcc_bench
fi
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
PREFIX="bench:$$:"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/cppcc-target}
URL="http://127.0.0.1:$PORT/graphql"

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
# SERVER_BIN: a server binary built elsewhere (an earlier commit's, to compare), used as is.
if [ -z "${SERVER_BIN:-}" ]; then
  if [ "$PROFILE" = release ]; then cargo build -q --release -p api; else cargo build -q -p api; fi
  SERVER_BIN="$CARGO_TARGET_DIR/$PROFILE/api"
fi
psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"

work=$(mktemp -d)
DATABASE_URL="$PGURL/$DB" REDIS_URL="$REDIS_URL" REDIS_KEY_PREFIX="$PREFIX" \
  JWT_SECRET=bench-secret-bench-secret-bench-secret ADMIN_PHONE=13800000000 ADMIN_PASSWORD=Bench-pass-1 \
  BIND_ADDR="127.0.0.1:$PORT" RUST_LOG=warn DATABASE_MAX_CONNECTIONS=16 \
  RATE_LIMIT_COST_PER_USER=1000000000 RATE_LIMIT_COST_PER_IP=1000000000 \
  "$SERVER_BIN" > "$work/server.log" 2>&1 &
SERVER=$!
cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then echo "server log (last lines):" >&2; tail -n 20 "$work/server.log" >&2; fi
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  redis-cli -u "$REDIS_URL" --scan --pattern "$PREFIX*" | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null || true
  if [ -n "$SMOKE" ]; then psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
ready=
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; then ready=1; break; fi
  sleep 0.2
done
[ -n "$ready" ] || { echo "the server did not become ready:" >&2; cat "$work/server.log" >&2; exit 1; }

echo "seeding $MEMBERS members, $BRIEFINGS briefings…"
time psql "$PGURL/$DB" -q -v members="$MEMBERS" -v briefings="$BRIEFINGS" -f bench/seed.sql

logins=$((MEMBERS < 50 ? MEMBERS : 50))
echo "logging in $logins members…"
export TOKENS="$work/tokens" RESULTS="$work/results"
: > "$TOKENS"
for i in $(seq 1 "$logins"); do
  phone=$(printf '139%08d' "$i")
  curl -s "$URL" -H 'content-type: application/json' \
    -d "{\"query\":\"mutation { login(input: {phone: \\\"$phone\\\", password: \\\"Bench-pass-1\\\", device: \\\"wrk\\\"}) { accessToken } }\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])' >> "$TOKENS"
done

FEED='{ briefings(first: 20) { edges { cursor node { id title summary source pinned isRead readAt publishedAt attachmentCount author { name } } } pageInfo { hasNextPage endCursor } } }'
COUNTS='{ unreadCounts { briefings notifications coSignInvitations proposalsToEvaluate } }'
run() { # label, clients, query, text every response must hold
  echo "== $1, $2 clients"
  LABEL="$1" CLIENTS="$2" QUERY="$3" EXPECT="$4" wrk -t2 -c"$2" -d"$DURATION" --latency -s bench/feed.lua "$URL" |
    sed -n '/^requests /,$p'
}
echo "== warm-up"
LABEL=warm-up QUERY="$FEED" EXPECT='"cursor"' wrk -t2 -c10 -d"$WARMUP" -s bench/feed.lua "$URL" | tail -2
: > "$RESULTS"
run 'feed, page of 20' 50 "$FEED" '"cursor"'
run 'feed, page of 20' 4 "$FEED" '"cursor"'
run '{ __typename } with a token' 50 '{ __typename }' '"__typename":"Query"'
run '{ unreadBriefingCount }' 50 '{ unreadBriefingCount }' '"unreadBriefingCount"'
run '{ unreadCounts { … } }' 50 "$COUNTS" '"proposalsToEvaluate"'

# The server's peak resident memory over the runs (the issue's bound: 200 MB).
awk '/VmHWM/ { printf "server peak resident memory: %.0f MB\n", $2 / 1024 }' "/proc/$SERVER/status" || true
# The summary: each figure and its share of { __typename } (the authenticated round trip
# without data) measured in this same run. Exits 1 on any failed check or socket error.
# (The request budget is lifted above: 50 clients spend a member's minute in a second.)
python3 - "$RESULTS" <<'EOF'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
base = next((float(r[2]) for r in rows if r[0].startswith("{ __typename }")), 0.0)
print()
print("| what | clients | requests/s | p50 | share of `{ __typename }` | failed checks |")
print("|---|---:|---:|---:|---:|---:|")
bad = 0
for label, clients, rps, p50, requests, failed, sockets in rows:
    share = f"{float(rps) / base:.0%}" if base else "—"
    print(f"| {label} | {clients} | {float(rps):,.0f} | {float(p50):.2f} ms | {share} | {failed} of {requests} |")
    bad += int(failed) + int(sockets)
if len(rows) != 5 or bad:
    print(f"FAILED: {bad} failed checks or socket errors, {len(rows)} of 5 runs reported", file=sys.stderr)
    sys.exit(1)
EOF
