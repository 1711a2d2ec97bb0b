#!/usr/bin/env bash
# Refreshes the GraphQL IDE served at GET /graphql from pinned npm packages: edit the
# versions in package.json, run this script, commit package-lock.json and api/assets/ide.
# The API embeds these files when it is built (api/src/ide.rs), so serving the IDE needs
# no network at all — an intranet deployment opens it as well as one on the internet.
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --ignore-scripts >/dev/null
out=../api/assets/ide
rm -rf "$out" && mkdir -p "$out"
cp node_modules/react/umd/react.production.min.js "$out/react.production.min.js"
cp node_modules/react-dom/umd/react-dom.production.min.js "$out/react-dom.production.min.js"
cp node_modules/graphiql/graphiql.min.js "$out/graphiql.min.js"
cp node_modules/graphiql/graphiql.min.css "$out/graphiql.min.css"
cp start.js "$out/start.js"
# Compressed copies, served to browsers that accept gzip (all of them): 1.6 MB becomes ~400 KB.
for f in "$out"/*.js "$out"/*.css; do gzip -9 -n -k -f "$f"; done
for p in graphiql react react-dom; do
  node -e "const p=require('./node_modules/$p/package.json'); console.log(p.name + '@' + p.version)"
done > "$out/VERSIONS"
ls -la "$out"
