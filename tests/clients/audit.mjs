// The graphql-http conformance audit (npm `graphql-http`, `serverAudits`) against a running
// server: node audit.mjs <base-url>. Prints one JSON line: every audit's id, name, status
// and, when it did not pass, why.
import { serverAudits } from 'graphql-http';

const base = process.argv[2];
if (!base) {
  console.error('usage: node audit.mjs <base-url>');
  process.exit(2);
}
const results = [];
for (const audit of serverAudits({ url: `${base}/graphql` })) {
  const result = await audit.fn();
  results.push({
    id: audit.id,
    name: audit.name,
    status: result.status,
    reason: result.status === 'ok' ? undefined : result.reason,
  });
}
console.log(JSON.stringify(results));
