#!/usr/bin/env bash
# Feed benchmark: release server on PostgreSQL + Redis, 200 members, 10,000 briefings,
# then wrk with 50 and with 4 concurrent clients. Every response is checked for errors.
# Usage: bench/run.sh   (env: DURATION=20s PORT=8090 PGURL=postgres://postgres@127.0.0.1:5432)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
PORT=${PORT:-8090}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
DB=cppcc_bench
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/cppcc-target}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -p api
psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"

DATABASE_URL="$PGURL/$DB" REDIS_URL=redis://127.0.0.1:6379 REDIS_KEY_PREFIX="bench:$$:" \
  JWT_SECRET=bench-secret-bench-secret-bench-secret ADMIN_PHONE=13800000000 ADMIN_PASSWORD=Bench-pass-1 \
  BIND_ADDR="127.0.0.1:$PORT" RUST_LOG=warn DATABASE_MAX_CONNECTIONS=16 \
  "$CARGO_TARGET_DIR/release/api" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done

echo "seeding…"
time psql "$PGURL/$DB" -q -f bench/seed.sql

echo "logging in 50 members…"
: > bench/.tokens
for i in $(seq 1 50); do
  phone=$(printf '139%08d' "$i")
  curl -s "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
    -d "{\"query\":\"mutation { login(input: {phone: \\\"$phone\\\", password: \\\"Bench-pass-1\\\", device: \\\"wrk\\\"}) { accessToken } }\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])' >> bench/.tokens
done

echo "== warm-up"
TOKENS=bench/.tokens wrk -t2 -c10 -d5s -s bench/feed.lua "http://127.0.0.1:$PORT/graphql" | tail -2
echo "== feed, 50 concurrent clients"
TOKENS=bench/.tokens wrk -t2 -c50 -d"$DURATION" --latency -s bench/feed.lua "http://127.0.0.1:$PORT/graphql"
echo "== feed, 4 concurrent clients"
TOKENS=bench/.tokens wrk -t2 -c4 -d"$DURATION" --latency -s bench/feed.lua "http://127.0.0.1:$PORT/graphql"
echo "== reference: a trivial authenticated field ({ unreadBriefingCount } is not trivial; this is { __typename }), 50 clients"
TOKENS=bench/.tokens QUERY='{ __typename }' EXPECT='QueryRoot' wrk -t2 -c50 -d"$DURATION" -s bench/feed.lua "http://127.0.0.1:$PORT/graphql"
echo "== reference: unread badge ({ unreadBriefingCount }, a COUNT over the viewer's receipts), 50 clients"
TOKENS=bench/.tokens QUERY='{ unreadBriefingCount }' EXPECT='unreadBriefingCount' wrk -t2 -c50 -d"$DURATION" -s bench/feed.lua "http://127.0.0.1:$PORT/graphql"
rm -f bench/.tokens
