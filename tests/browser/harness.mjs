// The browser harness the end-to-end walks share: headless Chromium (Debian's, at
// $HALYARD_CHROMIUM or /usr/bin/chromium) driven by playwright-core, every page problem
// recorded (uncaught script errors, Content-Security-Policy violations, dialogs, 5xx
// responses), steps with a time limit that stop the walk with the page's text on the
// first failure, and helpers for links, properties, forms and the JSON API.
//
// A walk imports it and is run as `node WALK.mjs ROOT_URL` where `playwright-core`
// resolves (HALYARD_NODE_MODULES names a package.json next to its node_modules).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(process.env.HALYARD_NODE_MODULES || import.meta.url);
const { chromium } = require('playwright-core');

if (!process.argv[2]) {
  console.error('usage: node SCRIPT.mjs ROOT_URL');
  process.exit(2);
}
export const root = new URL(process.argv[2]);
export const at = (path) => new URL(path, root).href;
export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshots = resolve(repo, process.env.HALYARD_SCREENSHOTS || 'docs/screenshots');
const ACTION_TIMEOUT = 10_000;
// A step is a handful of actions; this bounds one that keeps waiting on something else.
const STEP_TIMEOUT = 60_000;

// ---- the browser: a fresh profile, a laptop screen, every problem recorded ----------

const profile = mkdtempSync(join(tmpdir(), 'halyard-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.HALYARD_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  timeout: 30_000,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1280, height: 800 },
});
context.setDefaultTimeout(ACTION_TIMEOUT);
context.setDefaultNavigationTimeout(ACTION_TIMEOUT);
export const page = context.pages()[0] ?? (await context.newPage());

// What went wrong in the page between two checks; each step ends by checking it is empty.
const problems = [];
page.on('pageerror', (error) => problems.push(`uncaught script error: ${error.message}`));
// Chromium reports a Content-Security-Policy violation on the console, as "Refused to
// ..." in older versions and "... violates the following Content Security Policy
// directive ..." in newer ones; the page's own securitypolicyviolation event is
// reported too, in case the wording changes again.
const cspViolation = /Refused to|violates the following Content Security Policy|securitypolicyviolation/;
await context.addInitScript(() => {
  document.addEventListener('securitypolicyviolation', (event) => {
    console.error(`securitypolicyviolation: ${event.violatedDirective} blocked ${event.blockedURI}`);
  });
});
page.on('console', (message) => {
  if (cspViolation.test(message.text())) problems.push(`CSP violation: ${message.text()}`);
});
// A confirmation a step expects (answerConfirm) is answered and recorded; any other
// dialog is a problem.
let expectedConfirm = null;
export const confirmations = [];
export function answerConfirm(accept) {
  expectedConfirm = accept;
}
page.on('dialog', async (dialog) => {
  if (dialog.type() === 'confirm' && expectedConfirm !== null) {
    confirmations.push(dialog.message());
    const accept = expectedConfirm;
    expectedConfirm = null;
    await (accept ? dialog.accept() : dialog.dismiss()).catch(() => {});
    return;
  }
  problems.push(`a ${dialog.type()} dialog opened: ${dialog.message()}`);
  await dialog.dismiss().catch(() => {});
});
page.on('response', (response) => {
  if (response.status() >= 500) problems.push(`${response.status()} from ${response.url()}`);
});

// ---- helpers ----------------------------------------------------------------------

let passed = 0;

// The steps passed so far.
export const passedSteps = () => passed;
export async function step(name, fn) {
  console.log(`== ${name}`);
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`took longer than ${STEP_TIMEOUT / 1000} s`)), STEP_TIMEOUT);
  });
  try {
    await Promise.race([fn(), limit]);
    assert.deepEqual(problems, [], 'the page reported problems');
    passed += 1;
  } catch (error) {
    console.error(`FAILED: ${name}\n  ${error.message.split('\n').join('\n  ')}`);
    console.error(`  at ${page.url()}`);
    if (problems.length > 0) console.error(`  page problems:\n    ${problems.join('\n    ')}`);
    const text = await page.locator('main').innerText({ timeout: 1000 }).catch(() => '(no <main>)');
    console.error(`  the page's <main> reads:\n    ${text.slice(0, 1500).split('\n').join('\n    ')}`);
    await finish();
    console.log(`${process.env.HALYARD_E2E_NAME || 'e2e'}: ${passed} passed, 1 failed`);
    process.exit(1);
  } finally {
    clearTimeout(timer);
  }
}

export async function finish() {
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

// Runs an action that makes the page load anew (a link, a form that reloads or
// navigates) and waits for that load.
export async function loading(action) {
  await Promise.all([page.waitForEvent('load'), action()]);
}

// Submits a HAL-FORMS form of the page and waits for the reload (or the navigation to
// a created resource); when none comes, the error says what the form's outcome said.
export async function submitForm(form) {
  try {
    await loading(() => form.locator('button[type="submit"]').click());
  } catch (error) {
    const said = await form.locator('p.outcome').innerText({ timeout: 1000 }).catch(() => '');
    throw new Error(`${error.message}\nthe form's outcome reads: ${JSON.stringify(said)}`);
  }
}

// The labels of the links of one rel in #links.
export const linkLabels = (rel) => page.locator(`#links a[data-rel="${rel}"]`).allInnerTexts();

// The value cell of one row of the #properties table.
export const property = (name) => page.locator(`#properties tr:has(th:text-is("${name}")) td`);

// The JSON API, for arranging what the browser then looks at.
export async function api(method, path, body, token) {
  const headers = { Accept: 'application/hal+json', 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(at(path), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(ACTION_TIMEOUT),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// Every item embedded under `rel` in a collection, following `next` through the JSON API.
export async function allItems(path, rel) {
  const items = [];
  let href = at(path);
  for (let pages = 0; href; pages += 1) {
    assert.ok(pages < 100, `${path} has more than 100 pages`);
    const body = await api('GET', href);
    items.push(...(body._embedded?.[rel] ?? []));
    href = body._links.next?.href;
  }
  return items;
}

