// Opens the GraphQL IDE in Debian's headless Chromium with every request that would leave
// this machine blocked, signs in through the Headers tab, runs `{ me { name } }` and a
// subscription over WebSocket, and opens the documentation explorer. Prints one JSON line with what it saw; exits 1 on failure.
// Usage: node ide.mjs <base-url> <access-token> <expected-name>
import { chromium } from 'playwright-core';

const [base, token, expectedName] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const seen = { blocked: [], pageErrors: [], answer: null, docs: null, schemaError: false };

const browser = await chromium.launch({
  executablePath,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
let page;
try {
  page = await browser.newPage();
  // Only loopback may be reached: anything else is recorded and refused.
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (local || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    seen.blocked.push(url.href);
    return route.abort();
  });
  page.on('pageerror', (e) => seen.pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') seen.pageErrors.push(m.text()); });

  seen.step = 'open';
  await page.goto(`${base}/graphql`, { waitUntil: 'load' });
  await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 30000 });

  // The Headers tab, then the query, through the editors' own API.
  seen.step = 'headers';
  await page.getByRole('button', { name: /^Headers$/ }).click();
  // Variables and Headers share the tool section; the one not shown carries `hidden`.
  const shown = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
  await page.waitForSelector(shown);
  await page.evaluate(([t, sel]) => {
    document.querySelector(sel).CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${t}` }));
    document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('{ me { name } }');
  }, [token, shown]);
  seen.step = 'run';
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    (name) => (document.querySelector('.graphiql-response')?.innerText || '').includes(name),
    expectedName,
    { timeout: 20000 },
  );
  seen.answer = await page.$eval('.graphiql-response', (el) => el.innerText);

  // A subscription, over the WebSocket on the same origin, signed in by the same header.
  seen.step = 'subscribe';
  await page.evaluate(() => {
    document
      .querySelector('.graphiql-query-editor .CodeMirror')
      .CodeMirror.setValue('subscription { unreadCounts { briefings notifications } }');
  });
  // GraphiQL parses the edited document after a short debounce; the fetcher picks the
  // WebSocket by looking at that parse, so let it happen first.
  await page.waitForTimeout(1000);
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => (document.querySelector('.graphiql-response')?.innerText || '').includes('unreadCounts'),
    null,
    { timeout: 20000 },
  );
  seen.live = await page.$eval('.graphiql-response', (el) => el.innerText);
  await page.click('.graphiql-execute-button'); // stops it

  // The documentation explorer shows the schema loaded by introspection.
  seen.step = 'docs';
  await page.getByRole('button', { name: /Show Documentation Explorer/i }).click();
  await page.waitForFunction(
    () => (document.querySelector('.graphiql-doc-explorer')?.innerText || '').includes('Mutation'),
    null,
    { timeout: 20000 },
  );
  seen.docs = await page.$eval('.graphiql-doc-explorer', (el) => el.innerText.slice(0, 400));
  seen.schemaError = (await page.content()).includes('Error fetching schema');
} catch (e) {
  seen.failure = String(e && e.message ? e.message : e);
  seen.response = await page?.$eval('.graphiql-response', (el) => el.innerText).catch(() => null);
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
process.exit(seen.failure || seen.blocked.length || seen.schemaError ? 1 : 0);
