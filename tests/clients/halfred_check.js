// halfred, a HAL parser with a validator, reads every response shape Halyard produces
// and must report nothing. The shapes are found, not listed: starting at the root, it
// follows every link of every response (as application/hal+json and as HAL-FORMS,
// with a user's token so the cart and orders answer too), and for each item asks for
// its related collections embedded (`?embed=`), so embedded resources are validated as
// well. Exits non-zero when halfred reports an issue or a response is not HAL.
//
// Usage: node tests/clients/halfred_check.js http://127.0.0.1:8080/ [MINIMUM_RESPONSES [REL=ACCOUNT_JSON]]
'use strict';
const { createRequire } = require('node:module');

const load = createRequire(process.env.HALYARD_NODE_MODULES || __filename);
const halfred = load('halfred');
// Validation is a global switch in halfred; its warnings (deprecated links) count too.
halfred.enableValidation();
const warnings = [];
halfred.injectLogger({ log() {}, debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) });

const base = process.argv[2];
if (!base) {
  console.error('usage: node halfred_check.js ROOT_URL');
  process.exit(2);
}
const origin = new URL(base).origin;
const LIMIT = 600;
// Not HAL: the /rels pages (HTML), the OpenAPI document and the probes (plain JSON).
const NOT_HAL = /\/(rels\/|openapi\.json|health$|live$|ready$)/;
const ACCEPTS = ['application/hal+json', 'application/prs.hal-forms+json'];

async function call(method, url, { body, token, accept = 'application/hal+json' } = {}) {
  const headers = { Accept: accept };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(new URL(url, base), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') || '', text };
}

function hrefsOf(body) {
  const out = [];
  const links = body._links || {};
  for (const value of Object.values(links)) {
    for (const link of Array.isArray(value) ? value : [value]) {
      if (link && typeof link.href === 'string' && !link.templated) out.push(link.href);
    }
  }
  for (const items of Object.values(body._embedded || {})) {
    for (const item of Array.isArray(items) ? items : [items]) out.push(...hrefsOf(item));
  }
  return out;
}

(async () => {
  // On the bookshop, a user with something in the cart and one order, so every shop
  // shape exists; another model is walked as it is.
  const rootLinks = JSON.parse((await call('GET', base)).text)._links || {};
  let token;
  if (rootLinks.cart && rootLinks.users) {
    const user = JSON.parse((await call('POST', 'users', { body: { emailAddress: `halfred-${Date.now()}@example.org` } })).text);
    token = user.token;
    await call('POST', 'cart/items', { token, body: { book: '/books/1', quantity: 2 } });
    await call('PUT', 'cart/shipping', { token, body: { name: 'H', street: 'S 1', city: 'C', postalCode: '1', country: 'DE' } });
    await call('PUT', 'cart/payment', { token, body: { cardholder: 'H', cardNumber: '4111 1111 1111 1111', expiry: '12/39' } });
    await call('POST', './cart:checkout', { token });
    await call('POST', 'cart/items', { token, body: { book: '/books/2', quantity: 1 } });
  }
  // Another model's account, when a third argument names one (`cooks={"name":...}`): the
  // account is created through that root link and its token opens what it owns.
  const account = process.argv[4];
  if (!token && account) {
    const [rel, json] = [account.slice(0, account.indexOf('=')), account.slice(account.indexOf('=') + 1)];
    const created = JSON.parse((await call('POST', rootLinks[rel].href, { body: JSON.parse(json) })).text);
    token = created.token;
  }
  // The fewest responses that make a walk worth its name (the bookshop's demo data gives
  // hundreds; a second argument lowers it for a model with little data).
  const minimum = Number(process.argv[3] || 50);

  const seen = new Set();
  const queue = [new URL(base).href];
  let checked = 0;
  const issues = [];
  while (queue.length > 0 && seen.size < LIMIT) {
    const url = queue.shift();
    if (seen.has(url)) continue;
    seen.add(url);
    for (const accept of ACCEPTS) {
      const reply = await call('GET', url, { token, accept });
      if (reply.status !== 200) {
        issues.push(`${url} (${accept}): status ${reply.status}`);
        continue;
      }
      let body;
      try {
        body = JSON.parse(reply.text);
      } catch (e) {
        issues.push(`${url}: not JSON`);
        continue;
      }
      try {
        const found = halfred.parse(body).validationIssues();
        for (const issue of found) issues.push(`${url} (${accept}): ${JSON.stringify(issue)}`);
      } catch (e) {
        issues.push(`${url} (${accept}): halfred cannot parse it: ${e.message}`);
      }
      for (const warning of warnings.splice(0)) issues.push(`${url} (${accept}): ${warning}`);
      // Embedded resources are validated by halfred as part of their parent; check
      // each has its own self link as well (clients cache them by it).
      for (const [rel, items] of Object.entries(body._embedded || {})) {
        for (const item of Array.isArray(items) ? items : [items]) {
          if (!item._links || !item._links.self) issues.push(`${url}: an embedded ${rel} has no self link`);
        }
      }
      checked += 1;
      if (accept !== ACCEPTS[0]) continue;
      for (const href of hrefsOf(body)) {
        const next = new URL(href, url);
        if (next.origin === origin && !NOT_HAL.test(next.pathname) && !next.pathname.endsWith(':checkout')) {
          queue.push(next.href);
        }
      }
      // Ask an item for its related collections embedded.
      const embeddable = Object.keys(body._links || {})
        .filter((rel) => rel.startsWith('collection/'))
        .map((rel) => rel.slice('collection/'.length));
      const u = new URL(url);
      if (embeddable.length > 0 && !u.search && typeof body.id === 'number') {
        queue.push(`${u.href}?embed=${embeddable.join(',')}`);
      }
      if (u.pathname.endsWith('/cart') && !u.search) queue.push(`${u.href}?embed=items`);
    }
  }
  for (const issue of issues) console.log(`not ok - ${issue}`);
  console.log(`halfred: ${checked} responses from ${seen.size} URLs validated; ${issues.length} issues`);
  console.log(`halfred: ${checked} passed, ${issues.length} failed`);
  process.exit(issues.length === 0 && checked > minimum ? 0 : 1);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
