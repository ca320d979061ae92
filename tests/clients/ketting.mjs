// Ketting, a generic HAL/HAL-FORMS client, drives Halyard knowing nothing but the root
// URL: it follows every collection relation the root offers, follows an item of each,
// creates a user through the users collection's form, writes relationships through
// the forms it finds on a book and a group, and reads each change back from the other
// side. Exits non-zero on the first surprise.
//
// Usage: node tests/clients/ketting.mjs http://127.0.0.1:8080/
// (run where the `ketting` package resolves, e.g. NODE_PATH or a node_modules nearby).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(process.env.HALYARD_NODE_MODULES || import.meta.url);
const { Ketting, bearerAuth } = require('ketting');

const base = process.argv[2];
if (!base) {
  console.error('usage: node ketting.mjs ROOT_URL');
  process.exit(2);
}
const client = new Ketting(base);
const root = client.go();
let checks = 0;
const check = (what, fn) => {
  fn();
  checks += 1;
  console.log(`ok ${checks} - ${what}`);
};

// 1. Every collection the root links, and one item of each.
const rootState = await root.get();
const collections = ['books', 'authors', 'books-authors', 'users', 'groups', 'customers', 'invoices', 'cars', 'drivers'];
for (const rel of collections) {
  check(`the root links ${rel}`, () => assert.ok(rootState.links.has(rel)));
  const collection = root.follow(rel);
  const items = await collection.followAll(rel);
  check(`${rel} embeds its items`, () => assert.ok(items.length > 0, `${rel} is empty`));
  const item = await items[0].get();
  check(`an item of ${rel} has its own self link`, () => assert.equal(item.links.get('self').href, items[0].uri));
  check(`an item of ${rel} has an id`, () => assert.equal(typeof item.data.id, 'number'));
}

// 2. A user, created through the form of the users collection; its token authenticates.
const users = await (await root.follow('users')).get();
const email = `ketting-${Date.now()}@example.org`;
const created = await users.action('default').submit({ emailAddress: email, displayName: 'Ketting' });
check('the users form creates a user and returns a token once', () => {
  assert.equal(created.data.emailAddress, email);
  assert.match(created.data.token, /^hal_/);
});
const userUri = created.links.get('self').href;
const userId = created.data.id;
client.use(bearerAuth(created.data.token));

// 3. The cart and the orders, behind the token.
const cart = await (await root.follow('cart')).get();
check('the cart links its owner, the user just made', () => assert.equal(cart.links.get('owner').href, new URL(userUri, base).href));
for (const rel of ['shipping', 'billing', 'payment', 'checkout', 'collection/items']) {
  check(`the cart links ${rel}`, () => assert.ok(cart.links.has(rel)));
}
const orders = await (await root.follow('orders')).get();
check('orders is a list', () => assert.ok(orders.links.has('self')));

// 4. A book: link an author through the "create-authors" form found on it, then read
//    the author from the authors side and see the book there.
const book = root.follow('books').followAll('books').then((b) => b[0]);
const bookResource = await book;
const bookState = await bookResource.get();
check('a book offers the relationship forms', () => {
  for (const name of ['default', 'delete', 'link-authors', 'create-authors', 'create-books-authors']) {
    assert.ok(bookState.action(name), `no ${name} form`);
  }
});
const authorName = `Ketting Author ${Date.now()}`;
const newAuthor = await bookState.action('create-authors').submit({ name: authorName });
check('create-authors answers with the new author', () => assert.equal(newAuthor.data.name, authorName));
const authorResource = client.go(newAuthor.links.get('self').href);
const author = await authorResource.refresh();
check('the new author lists the book among its books', () =>
  assert.ok(author.links.getMany('books').some((l) => l.href === bookResource.uri), JSON.stringify(author.links.getMany('books'))));
const bookAgain = await bookResource.refresh();
check('the book lists the new author (read back through the book)', () =>
  assert.ok(bookAgain.links.getMany('authors').some((l) => l.title === authorName)));

// 5. A group: add the new user with the "add-users" form; the user's groups show it.
const group = (await root.follow('groups').followAll('groups'))[0];
const groupState = await group.get();
await groupState.action('add-users').submit({ user: userId });
const userGroups = await client.go(userUri).follow('collection/groups').followAll('groups');
check("the add-users form made the user a member: the user's groups list the group", () =>
  assert.ok(userGroups.some((g) => g.uri === group.uri)));
const groupAfter = await group.refresh();
await groupAfter.action('remove-users').submit({ user: userId });
const userGroupsAfter = await (await client.go(userUri).follow('collection/groups')).refresh();
check('the remove-users form took the membership away again', () =>
  assert.equal(userGroupsAfter.links.getMany('groups').length, 0));

// 6. An invoice: its line items are reachable through collection/lineitems, and a line
//    item links back to its invoice.
const invoice = (await root.follow('invoices').followAll('invoices'))[0];
const lines = await invoice.follow('collection/lineitems').followAll('lineitems');
const line = await lines[0].get();
check('a line item links its invoice', () => assert.equal(line.links.get('invoice').href, invoice.uri));

console.log(`ketting: ${checks} passed, 0 failed`);
