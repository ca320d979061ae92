// Dredd hooks for Halyard: dredd sends every operation of /openapi.json with its
// examples and checks each documented response. These hooks give each transaction the
// state its expected response needs, the way a person testing by hand would:
//
// - 2xx: authenticate (a user made for the run), make the resource the request acts
//   on exist (a fresh one for DELETE, so later transactions keep the demo data), link
//   before a read of a link, unlink before a link that must answer 201, and so on;
// - problems that any request can provoke are provoked for real: 400 (an unknown query
//   parameter), 401 (no token), 403 (another user's cart), 404 (an id that does not
//   exist), 412 (a stale If-Match, or :remove of a non-member), 413 (a body over the
//   limit), 415 (a text/plain body), 409 for :add (already a member) and 422 for
//   references to nothing;
// - the few problem responses that need a particular data state (a duplicate, a
//   dependent resource, a database that does not answer) are skipped with the reason
//   printed: the Rust suite (tests/api) asserts each of them.
//
// No transaction is skipped silently: the run ends with a count of each kind.
const hooks = require('hooks');

const BASE = process.env.HALYARD_URL;
let me = null; // { id, token }
const counts = { provoked: 0, prepared: 0, skipped: 0 };
const rand = () => Math.random().toString(36).slice(2, 8);

async function call(method, path, { body, type = 'application/json', token, headers = {} } = {}) {
  const h = { Accept: 'application/hal+json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = type;
  const r = await fetch(BASE + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, headers: r.headers };
}

const pathOf = (href) => new URL(href).pathname;
const lastSegment = (href) => pathOf(href).split('/').pop();

// Unique values where the API wants them unique (email addresses, licence plates).
function uniquify(body) {
  if (!body || typeof body !== 'object') return body;
  const out = { ...body };
  if ('emailAddress' in out) out.emailAddress = `dredd-${rand()}@example.org`;
  if ('licensePlate' in out) out.licensePlate = `D-${rand()}`;
  return out;
}

// A body for POST on `path` that creates something new: example values made unique,
// and for the cross-resource a fresh author, so the pair is never related already.
async function freshBody(path, example) {
  const body = uniquify(example);
  if (path === '/books-authors') {
    const author = await call('POST', '/authors', { body: { name: `Dredd ${rand()}` } });
    body.authorId = author.json.id;
  }
  if (path === '/cart/items') {
    const book = await call('POST', '/books', { body: { title: `Dredd ${rand()}`, price: '3.00' } });
    body.book = pathOf(book.json._links.self.href);
  }
  return body;
}

function setPath(t, path) {
  t.fullPath = path;
  t.request.uri = path;
}

function parseBody(t) {
  try { return JSON.parse(t.request.body || '{}'); } catch { return {}; }
}

hooks.beforeAll(async (transactions, done) => {
  try {
    const user = await call('POST', '/users', { body: { emailAddress: `dredd-${rand()}@example.org`, displayName: 'Dredd' } });
    me = { id: user.json.id, token: user.json.token };
    // An order of this user, for /orders/{id}.
    await fillCart();
    const order = await call('POST', '/cart:checkout', { token: me.token });
    me.order = lastSegment(order.json._links.self.href);
    done();
  } catch (e) {
    done(e);
  }
});

async function fillCart() {
  await call('POST', '/cart/items', { token: me.token, body: { book: '/books/1', quantity: 1 } });
  await call('PUT', '/cart/shipping', { token: me.token, body: { name: 'D', street: 'S 1', city: 'C', postalCode: '1', country: 'DE' } });
  await call('PUT', '/cart/payment', { token: me.token, body: { cardholder: 'D', cardNumber: '4111 1111 1111 1111', expiry: '12/39' } });
}

const template = (t) => t.origin.resourceName; // the OpenAPI path, e.g. /books/{id}
const isPairItem = (p) => /^\/(books|authors|cars|drivers)\/\{id\}\/(books|authors|cars|drivers)\/\{sub\}$/.test(p);

// The user's own resources: their id, their cart's items, their order.
async function own(t) {
  const p = template(t);
  if (p.startsWith('/users/{id}')) setPath(t, t.fullPath.replace(/^\/users\/1/, `/users/${me.id}`));
  if (p === '/orders/{id}') setPath(t, `/orders/${me.order}`);
  if (p === '/cart/items/{item}') {
    const item = await call('POST', '/cart/items', { token: me.token, body: { book: '/books/1', quantity: 1 } });
    setPath(t, pathOf(item.json._links.self.href));
  }
}

async function prepareSuccess(t) {
  const p = template(t);
  const method = t.request.method;
  const status = t.expected.statusCode;
  const h = t.request.headers;
  h.Authorization = `Bearer ${me.token}`;
  if (h['Content-Type'] === 'text/uri-list' && (t.request.body || '').startsWith('"')) {
    t.request.body = JSON.parse(t.request.body);
  }
  let body = t.request.body && h['Content-Type'] === 'application/json' ? parseBody(t) : undefined;
  if (body && h['Content-Type'] === 'application/json') {
    body = method === 'POST' ? await freshBody(p, body) : uniquify(body);
  }

  if (method !== 'DELETE') await own(t);
  if (p === '/cart/items' && method === 'POST' && status === '200') {
    await call('POST', '/cart/items', { token: me.token, body: { book: body.book, quantity: 1 } });
  }
  if (p === '/cart:checkout') await fillCart();

  // DELETE acts on a resource made for it, created the way the API creates one there.
  if (method === 'DELETE' && /\{(id|sub|item)\}$/.test(p)) {
    const parent = t.fullPath.replace(/\/[^/]+$/, '');
    const created = await call('POST', parent, {
      token: me.token,
      body: await freshBody(parent, exampleOf(p.replace(/\/\{[a-z]+\}$/, ''))),
    });
    if (created.status >= 300) throw new Error(`preparing ${t.name}: POST ${parent} gave ${created.status}`);
    setPath(t, `${parent}/${lastSegment(created.json._links.self.href)}`);
    if (p === '/users/{id}') h.Authorization = `Bearer ${created.json.token}`;
  }

  // Links: a read or a re-link needs the link; a 201 link needs it absent.
  if (isPairItem(p) && (method === 'GET' || (method === 'PUT' && status === '200'))) {
    await call('PUT', t.fullPath);
  }
  if (isPairItem(p) && method === 'PUT' && status === '201') {
    // A new link: to a resource made for it, so no demo relation is touched.
    const other = `/${p.split('/')[3]}`;
    const created = await call('POST', other, { body: await freshBody(other, exampleOf(other)) });
    setPath(t, `${t.fullPath.replace(/\/[^/]+$/, '')}/${created.json.id}`);
  }
  if (/^\/(books|authors|cars|drivers)\/\{id\}\/[a-z]+$/.test(p) && method === 'POST' && status === '204') {
    h['Content-Type'] = 'text/uri-list';
    body = undefined;
    t.request.body = `${exampleCollectionOf(t.fullPath)}/1\n`;
  }
  if (p.endsWith(':add')) await call('POST', t.fullPath.replace(':add', ':remove'), { body: parseBody(t) });
  if (p.endsWith(':remove')) await call('POST', t.fullPath.replace(':remove', ':add'), { body: parseBody(t) });
  if (body !== undefined) t.request.body = JSON.stringify(body);
  counts.prepared += 1;
}

const exampleCollectionOf = (path) => `/${path.split('/').pop()}`;

let allTransactions = [];
hooks.beforeAll((transactions, done) => { allTransactions = transactions; done(); });

// The example body dredd would send with POST on `path` (an OpenAPI path).
function exampleOf(path) {
  const post = allTransactions.find((x) => x.origin.resourceName === path && x.request.method === 'POST'
    && x.expected.statusCode.startsWith('2'));
  return post && post.request.body ? JSON.parse(post.request.body) : {};
}

async function provoke(t) {
  const status = t.expected.statusCode;
  const p = template(t);
  const h = t.request.headers;
  if (h.Authorization === undefined && me) h.Authorization = `Bearer ${me.token}`;
  if (status !== '403' && status !== '404') await own(t);
  switch (status) {
    case '400':
      setPath(t, `${t.fullPath}${t.fullPath.includes('?') ? '&' : '?'}unknownParameter=1`);
      break;
    case '401':
      delete h.Authorization;
      break;
    case '403':
      setPath(t, t.fullPath.replace(/^\/users\/\d+/, '/users/1'));
      break;
    case '404': {
      const path = t.fullPath.replace(/\/(\d+)(?=\/|$|\?|:)/, '/999999999');
      setPath(t, p === '/rels/{name}' ? '/rels/no-such-relation' : path);
      break;
    }
    case '412':
      if (p.endsWith(':remove')) {
        await call('POST', t.fullPath, { body: parseBody(t) });
      } else {
        h['If-Match'] = '"stale"';
      }
      break;
    case '413':
      h['Content-Type'] = 'application/json';
      t.request.body = JSON.stringify({ padding: 'x'.repeat(300 * 1024) });
      break;
    case '415':
      h['Content-Type'] = 'text/plain';
      t.request.body = t.request.body || 'plain text';
      break;
    case '409':
      if (p.endsWith(':add')) {
        await call('POST', t.fullPath, { body: parseBody(t) });
        break;
      }
      return false;
    case '422': {
      const body = parseBody(t);
      const refs = Object.keys(body).filter((k) => /Id$/.test(k) || k === 'book' || k === 'user');
      if (refs.length === 0 || t.request.method === 'PUT' || t.request.method === 'PATCH') return false;
      for (const k of refs) body[k] = 999999999;
      if (p === '/books-authors') body.authorId = 999999999;
      t.request.body = JSON.stringify(uniquify(body));
      break;
    }
    default:
      return false;
  }
  counts.provoked += 1;
  return true;
}

hooks.beforeEach(async (t, done) => {
  try {
    if (t.expected.statusCode.startsWith('2')) {
      await prepareSuccess(t);
    } else if (!(await provoke(t))) {
      t.skip = true;
      counts.skipped += 1;
      hooks.log(`skipped (needs a data state; asserted in tests/api): ${t.name}`);
    }
    done();
  } catch (e) {
    t.fail = `hook error: ${e.stack}`;
    done();
  }
});

hooks.afterAll((transactions, done) => {
  hooks.log(`halyard hooks: ${counts.prepared} prepared 2xx, ${counts.provoked} problems provoked, ${counts.skipped} skipped`);
  done();
});
