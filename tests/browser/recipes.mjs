// A person with a browser uses the pages of a model Halyard has no code for
// (schemas/recipes.toml with its demo data), knowing nothing but the root URL: follows
// links from the root to a cook and on to a recipe, sees the computed properties, links
// an ingredient with the page's form and sees the other side list the recipe, and adds
// a step with the create form. Fails on the first failed step and on any page problem
// (see harness.mjs).
//
// Usage: node tests/browser/recipes.mjs http://127.0.0.1:8080/
import assert from 'node:assert/strict';

import { api, at, finish, linkLabels, loading, page, passedSteps, property, step, submitForm } from './harness.mjs';

process.env.HALYARD_E2E_NAME = 'recipes e2e';
let recipeUrl;

await step('1. root -> cooks -> the cook "Ada Lovelace"', async () => {
  await page.goto(at('/'));
  await loading(() => page.locator('#links a[data-rel="cooks"]').first().click());
  const cooks = page.locator('#embedded table.items[data-rel="cooks"]');
  await loading(() => cooks.getByRole('link', { name: 'Ada Lovelace', exact: true }).click());
  assert.equal(await page.locator('main h1').innerText(), 'Ada Lovelace');
  assert.equal(await property('recipeCount').innerText(), '1');
});

await step('2. the cook\'s recipes -> the soup, with its computed properties and ingredients', async () => {
  await loading(() => page.locator('#links a[data-rel="collection/recipes"]').click());
  const recipes = page.locator('#embedded table.items[data-rel="recipes"]');
  await loading(() => recipes.getByRole('link', { name: 'Leek and potato soup', exact: true }).click());
  assert.equal(await property('cookName').innerText(), 'Ada Lovelace');
  assert.equal(await property('cost').innerText(), '3.20');
  assert.deepEqual(await linkLabels('ingredients'), ['leek', 'potato']);
  recipeUrl = page.url();
});

await step('3. link "flour" with the form link-ingredients; the flour lists the soup', async () => {
  const form = page.locator('form[data-template="link-ingredients"]');
  await form.locator('select[name="ingredient"][data-loaded="true"]').waitFor();
  await form.locator('select[name="ingredient"]').selectOption({ label: 'flour' });
  await submitForm(form);
  assert.deepEqual(await linkLabels('ingredients'), ['leek', 'potato', 'flour']);
  await loading(() => page.locator('#links a[data-rel="ingredients"]', { hasText: 'flour' }).click());
  assert.ok((await linkLabels('recipes')).includes('Leek and potato soup'), `recipes: ${await linkLabels('recipes')}`);
});

await step('4. add a step with the form create-steps; the soup has three steps', async () => {
  await page.goto(recipeUrl);
  const form = page.locator('form[data-template="create-steps"]');
  await form.locator('[name="instruction"]').fill('Blend until smooth');
  await form.locator('input[name="minutes"]').fill('3');
  await submitForm(form);
  const steps = await api('GET', `${new URL(recipeUrl).pathname}/steps`);
  const instructions = steps._embedded.steps.map((s) => s.instruction);
  assert.ok(instructions.includes('Blend until smooth'), `steps: ${instructions}`);
  assert.equal(instructions.length, 3);
});

await finish();
console.log(`recipes e2e: ${passedSteps()} passed, 0 failed`);
