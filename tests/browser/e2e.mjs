// A person with a browser uses Halyard's HTML pages, knowing nothing but the root URL:
// follows links from the root to a book, links and unlinks an author through the page's
// forms and sees both sides change, pages through a collection, opens the cart with a
// token, puts a book in it, opens a book whose title is a script, sees a refused form
// explain itself, has a stale update refused, and adds a user to a group and removes it
// with the Add/Remove forms. Headless Chromium
// (Debian's, at $HALYARD_CHROMIUM or /usr/bin/chromium) is driven by playwright-core.
// Also: follows a relation name to its /rels page, reads the ETag and Allow in the
// response panel, resends the GET for HAL-FORMS, replaces a set with checkboxes, cancels
// a delete, and checks out a cart once its shipping is complete.
// Writes docs/screenshots/book.png, cart.png and openapi.png (or into $HALYARD_SCREENSHOTS).
//
// Fails with the step's name on the first failed step, on any uncaught script error,
// on any Content-Security-Policy violation, on any dialog (alert), and on any 5xx
// response. Every action times out after 10 s, every step after 60 s.
//
// Usage: node tests/browser/e2e.mjs http://127.0.0.1:8080/
// (run where `playwright-core` resolves: HALYARD_NODE_MODULES names a package.json next
// to the node_modules that has it, as .ci/browser sets it).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import {
  allItems,
  answerConfirm,
  api,
  confirmations,
  at,
  finish,
  linkLabels,
  loading,
  page,
  passedSteps,
  property,
  screenshots,
  step,
  submitForm,
} from './harness.mjs';

const allTitles = async (path) => (await allItems(path, 'books')).map((book) => book.title);

// ---- the walk ---------------------------------------------------------------------

let bookUrl;
let authorUrl;

await step('1. root -> books -> the book "Title 1"', async () => {
  await page.goto(at('/'));
  assert.ok(await page.locator('body').getAttribute('data-root'), '<body> has no data-root');
  await loading(() => page.locator('#links a[data-rel="books"]').first().click());
  const books = page.locator('#embedded table.items[data-rel="books"]');
  await loading(() => books.getByRole('link', { name: 'Title 1', exact: true }).click());
  assert.equal(await page.locator('main h1').innerText(), 'Title 1');
  assert.deepEqual(await linkLabels('authors'), ['Name 1', 'Name 2']);
  bookUrl = page.url();
});

await step('2. link the author "Name 3" with the form link-authors', async () => {
  const form = page.locator('form[data-template="link-authors"]');
  await form.locator('select[name="author"][data-loaded="true"]').waitFor();
  await form.locator('select[name="author"]').selectOption({ label: 'Name 3' });
  await submitForm(form);
  assert.ok((await linkLabels('authors')).includes('Name 3'), `authors: ${await linkLabels('authors')}`);
});

await step('3. the author "Name 3" lists the book among its books', async () => {
  await loading(() => page.locator('#links a[data-rel="authors"]', { hasText: 'Name 3' }).click());
  assert.equal(await page.locator('main h1').innerText(), 'Name 3');
  assert.ok((await linkLabels('books')).includes('Title 1'), `books: ${await linkLabels('books')}`);
  authorUrl = page.url();
});

await step('4. unlink "Name 3", one of three authors, through the single Unlink form; both sides forget it', async () => {
  await page.goBack();
  await page.reload(); // the history entry may be a cached copy from before the link
  assert.deepEqual(await linkLabels('authors'), ['Name 1', 'Name 2', 'Name 3']);
  assert.equal(await page.locator('form[data-template^="unlink-author"]').count(), 1, 'one Unlink form');
  const form = page.locator('form[data-template="unlink-author"]');
  await form.locator('select[data-role="target"]').selectOption({ label: 'Name 3' });
  answerConfirm(true);
  await submitForm(form);
  assert.match(confirmations.at(-1), /Unlink/);
  assert.deepEqual(await linkLabels('authors'), ['Name 1', 'Name 2']);
  await page.goto(authorUrl);
  assert.ok(!(await linkLabels('books')).includes('Title 1'), `books: ${await linkLabels('books')}`);
});

await step('4a. a relation name links to its /rels page', async () => {
  await page.goto(bookUrl);
  await loading(() => page.locator('#links th a.rel', { hasText: /^collection\/authors$/ }).click());
  assert.equal(new URL(page.url()).pathname, '/rels/collection/authors');
  assert.equal(await page.locator('main h1').innerText(), 'Relation collection/authors');
  assert.match(await page.locator('main').innerText(), /paginated/);
});

await step('4b. the response panel shows the ETag and Allow of the book', async () => {
  await page.goto(bookUrl);
  const json = await fetch(bookUrl, { headers: { Accept: 'application/hal+json' } });
  const options = await fetch(bookUrl, { method: 'OPTIONS' });
  const cell = (name) => page.locator(`#response tr[data-header="${name}"] td`).innerText();
  assert.equal(await cell('etag'), json.headers.get('etag'));
  assert.equal(await cell('allow'), options.headers.get('allow'));
});

await step('4c. resending the GET with Accept: application/prs.hal-forms+json shows _templates', async () => {
  const form = page.locator('#request-form');
  await form.locator('select[name="accept"]').selectOption('application/prs.hal-forms+json');
  await form.locator('input[name="if-none-match"]').fill('');
  await form.locator('button[type="submit"]').click();
  const body = page.locator('#request-result pre[data-part="body"]');
  await page.waitForFunction(() => document.querySelector('#request-result pre').textContent.includes('_templates'));
  assert.match(await page.locator('#request-result [data-part="status"]').innerText(), /^200/);
  assert.match(await page.locator('#request-result [data-part="headers"]').innerText(), /prs\.hal-forms\+json/);
  assert.match(await body.innerText(), /"_templates"/);
  // With the page's ETag as If-None-Match, the answer is 304.
  await form.locator('input[name="if-none-match"]').fill(await page.locator('body').getAttribute('data-etag'));
  await form.locator('button[type="submit"]').click();
  await page.waitForFunction(() => document.querySelector('#request-result [data-part="status"]').textContent.startsWith('304'));
});

await step('4d. replace the set of authors with two checked ones', async () => {
  await page.goto(bookUrl);
  const form = page.locator('form[data-template="set-authors"]');
  const boxes = form.locator('fieldset.choices[data-loaded="true"]');
  await boxes.waitFor();
  assert.match(await boxes.innerText(), /Tick every author/);
  await form.getByLabel('Name 2', { exact: true }).uncheck();
  await form.getByLabel('Name 3', { exact: true }).check();
  await submitForm(form);
  assert.deepEqual(await linkLabels('authors'), ['Name 1', 'Name 3']);
  await boxes.waitFor();
  await form.getByLabel('Name 3', { exact: true }).uncheck();
  await form.getByLabel('Name 2', { exact: true }).check();
  await submitForm(form);
  assert.deepEqual(await linkLabels('authors'), ['Name 1', 'Name 2']);
});

await step('4e. deleting asks first; cancelling leaves the book', async () => {
  const book = await api('POST', '/books', { title: 'Kept', price: '1.00' });
  await page.goto(book._links.self.href);
  const form = page.locator('form[data-template="delete"]');
  answerConfirm(false);
  await form.locator('button[type="submit"]').click();
  await form.locator('p.outcome', { hasText: 'Cancelled' }).waitFor();
  assert.match(confirmations.at(-1), /Delete the book/);
  assert.equal(page.url(), book._links.self.href);
  assert.equal((await api('GET', new URL(book._links.self.href).pathname)).title, 'Kept');
});

await step('5. screenshot the book page -> book.png', async () => {
  await page.goto(bookUrl);
  await page.locator('form[data-template="link-authors"] select[data-loaded="true"]').waitFor();
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, 'book.png'), fullPage: true });
});

await step('6. page through /books two at a time: every book exactly once', async () => {
  const stamp = Date.now();
  for (let n = 1; n <= 5; n += 1) await api('POST', '/books', { title: `Paged ${n} (${stamp})`, price: '9.99' });
  const expected = await allTitles('/books?max_page_size=50');
  await page.goto(at('/books?max_page_size=2'));
  const seen = new Map(); // href -> title
  for (let pages = 1; ; pages += 1) {
    assert.ok(pages <= expected.length, `more pages than books (${pages})`);
    const links = page.locator('#embedded table.items tbody tr td:first-child a');
    for (const link of await links.all()) {
      const href = await link.getAttribute('href');
      assert.ok(!seen.has(href), `${href} is on two pages`);
      seen.set(href, await link.innerText());
    }
    const next = page.locator('nav[aria-label="Pagination"] a[rel="next"]');
    if ((await next.count()) === 0) break;
    await loading(() => next.click());
  }
  assert.deepEqual([...seen.values()].sort(), expected.sort());
  console.log(`   ${seen.size} books on ${Math.ceil(seen.size / 2)} pages`);
});

await step('7. the cart: 401 without a token, then the token, then a book in it -> cart.png', async () => {
  const email = `e2e-${Date.now()}@example.org`; // unique, so the test reruns on one server
  const user = await api('POST', '/users', { emailAddress: email, displayName: 'E2E' });
  assert.ok(user.token, 'POST /users returned no token');
  const response = await page.goto(at('/cart'));
  assert.equal(response.status(), 401);
  assert.match(await page.locator('main h1').innerText(), /401/);
  await page.locator('#token-input').fill(user.token);
  await loading(() => page.locator('#token-form button[type="submit"]').click());
  assert.match(await page.locator('main h1').innerText(), /cart/i);
  assert.equal(await property('itemCount').innerText(), '0');
  const form = page.locator('form[data-template="add-items"]');
  await form.locator('select[name="bookId"][data-loaded="true"]').waitFor();
  await form.locator('select[name="bookId"]').selectOption({ label: 'Title 1' });
  await form.locator('input[name="quantity"]').fill('2');
  await submitForm(form);
  // itemCount counts copies (the quantities added up), not lines: one line of 2 is 2.
  assert.equal(await property('itemCount').innerText(), '2');
  assert.deepEqual(await linkLabels('items'), ['Title 1']);
  // No shipping yet: Check out is shown, disabled, with the reason.
  const checkout = page.locator('form[data-template="checkout"]');
  assert.ok(await checkout.locator('button[type="submit"]').isDisabled(), 'Check out is enabled');
  assert.equal(await checkout.locator('p.unavailable').innerText(), 'Add shipping information first.');
  await api('PUT', '/cart/shipping', { name: 'E2E', street: '1 Road', city: 'Town', postalCode: '12345', country: 'GB' }, user.token);
  await api('PUT', '/cart/payment', { cardholder: 'E2E', cardNumber: '4242424242424242', expiry: '12/99' }, user.token);
  await page.reload();
  assert.ok(await checkout.locator('button[type="submit"]').isEnabled(), 'Check out is still disabled');
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, 'cart.png'), fullPage: true });
  await submitForm(checkout);
  assert.match(await page.locator('#flash').innerText(), /201/);
  assert.match(await page.locator('#flash a').getAttribute('href'), /\/orders\/\d+$/);
  assert.equal(await property('itemCount').innerText(), '0');
  const orders = await api('GET', '/orders', undefined, user.token);
  assert.equal(orders._embedded.orders.length, 1);
});

await step('8. a book titled <script>alert(1)</script> shows that text and runs nothing', async () => {
  const title = '<script>alert(1)</script>';
  const book = await api('POST', '/books', { title, price: '9.99' });
  await page.goto(book._links.self.href);
  assert.equal(await page.locator('main h1').innerText(), title);
  await page.goto(at('/books?max_page_size=1000'));
  assert.equal(await page.locator('#embedded table.items').getByRole('link', { name: title, exact: true }).count(), 1);
  await page.goto(at('/openapi.html'));
  assert.equal(await page.locator('main script').count(), 0);
  assert.ok(await page.locator('section.path h2', { hasText: /^\/books\/\{id\}$/ }).count() === 1);
  await page.screenshot({ path: join(screenshots, 'openapi.png') });
  await page.waitForTimeout(300); // give a script that slipped through the time to run
});

await step('9. a refused form shows the problem under it and changes nothing', async () => {
  const before = await allTitles('/books?max_page_size=50');
  await page.goto(at('/books'));
  const form = page.locator('form[data-template="default"]');
  await form.locator('input[name="title"]').fill('Too precise');
  await form.locator('input[name="price"]').fill('1.234');
  await form.locator('button[type="submit"]').click();
  const outcome = form.locator('p.outcome.error');
  await outcome.waitFor();
  assert.match(await outcome.innerText(), /^400 /);
  assert.match(await outcome.innerText(), /price/);
  assert.equal(new URL(page.url()).pathname, '/books', 'the page stayed');
  assert.deepEqual(await allTitles('/books?max_page_size=50'), before);
});

await step('10. an update from a page that went stale is refused (412), then made after a reload', async () => {
  await page.goto(bookUrl);
  const form = page.locator('form[data-template="default"]');
  // Someone else renames the book after the page was shown.
  await api('PATCH', new URL(bookUrl).pathname, { title: 'Renamed meanwhile' });
  await form.locator('input[name="price"]').fill('13.00');
  await form.locator('button[type="submit"]').click();
  const outcome = form.locator('p.outcome.error');
  await outcome.waitFor();
  assert.match(await outcome.innerText(), /^412 /);
  let book = await api('GET', new URL(bookUrl).pathname);
  assert.deepEqual([book.title, book.price], ['Renamed meanwhile', '12.50']);
  await page.reload();
  assert.equal(await form.locator('input[name="title"]').inputValue(), 'Renamed meanwhile');
  await form.locator('input[name="price"]').fill('13.00');
  await submitForm(form);
  assert.equal(await property('price').innerText(), '13.00');
  book = await api('GET', new URL(bookUrl).pathname);
  assert.deepEqual([book.title, book.price], ['Renamed meanwhile', '13.00']);
});

await step('11. add a user to a group with :add, see it among the members, :remove it, then 412', async () => {
  const name = `Member ${Date.now()}`;
  const user = await api('POST', '/users', { emailAddress: `member-${Date.now()}@example.org`, displayName: name });
  await page.goto(at('/'));
  await loading(() => page.locator('#links a[data-rel="groups"]').first().click());
  await loading(() => page.locator('#embedded table.items').getByRole('link', { name: 'Readers', exact: true }).click());
  const groupUrl = page.url();
  const count = Number(await property('userCount').innerText());
  const choose = async (template) => {
    const form = page.locator(`form[data-template="${template}"]`);
    await form.locator('select[name="user"][data-loaded="true"]').waitFor();
    await form.locator('select[name="user"]').selectOption({ label: name });
    return form;
  };
  await submitForm(await choose('add-users'));
  assert.equal(Number(await property('userCount').innerText()), count + 1);
  await loading(() => page.locator('#links a[data-rel="collection/users"]').click());
  const shown = await page.locator('#embedded table.items[data-rel="users"] tbody tr td:first-child').allInnerTexts();
  assert.ok(shown.includes(name), `members shown: ${shown}`);
  await page.goto(groupUrl);
  await submitForm(await choose('remove-users'));
  assert.equal(Number(await property('userCount').innerText()), count);
  // Removing a user who is not a member is the failed precondition the pattern names.
  const form = await choose('remove-users');
  await form.locator('button[type="submit"]').click();
  const outcome = form.locator('p.outcome.error');
  await outcome.waitFor();
  assert.match(await outcome.innerText(), /^412 .*member/s);
  assert.equal((await api('GET', new URL(groupUrl).pathname)).userCount, count);
  const members = await allItems(`${new URL(groupUrl).pathname}/users`, 'users');
  assert.ok(!members.some((member) => member._links.self.href === user._links.self.href));
});

await finish();
console.log(`e2e: ${passedSteps()} passed, 0 failed`);
