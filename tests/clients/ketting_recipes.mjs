// Ketting on a second domain (schemas/recipes.toml), knowing nothing but the root URL:
// it creates a cook through the cooks collection's form, a recipe through the cook's
// recipes form, creates and links an ingredient through the recipe's create form, and
// reads the relation back from the ingredient's side. Halyard has no code for this
// domain: the forms and links come from the schema. Exits non-zero on the first surprise.
//
// Usage: node tests/clients/ketting_recipes.mjs http://127.0.0.1:8080/
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(process.env.HALYARD_NODE_MODULES || import.meta.url);
const { Ketting } = require('ketting');

const base = process.argv[2];
if (!base) {
  console.error('usage: node ketting_recipes.mjs ROOT_URL');
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

const rootState = await root.get();
for (const rel of ['cooks', 'recipes', 'ingredients', 'recipe-ingredients']) {
  check(`the root links ${rel}`, () => assert.ok(rootState.links.has(rel)));
}
check('the root links the shopping list, the singleton the schema declares', () => assert.ok(rootState.links.has('shopping-list')));

const cooks = await (await root.follow('cooks')).get();
const cook = await cooks.action('default').submit({ name: 'Ketting', handle: `ketting-${Date.now()}` });
check('the cooks form creates a cook', () => assert.equal(cook.data.name, 'Ketting'));

const cookRecipes = await client.go(cook.links.get('collection/recipes').href).get();
// The form asks for the cook again; the server takes it when it names this cook.
const recipe = await cookRecipes.action('default').submit({ title: 'Ketting stew', serves: 3, cookId: cook.data.id });
check('the cook\'s recipes form creates a recipe of that cook', () => {
  assert.equal(recipe.data.cookName, 'Ketting');
  assert.equal(recipe.links.get('cook').href, cook.links.get('self').href);
});

const recipeResource = client.go(recipe.links.get('self').href);
const recipeState = await recipeResource.get();
const ingredient = await recipeState.action('create-ingredients').submit({ name: `carrot ${Date.now()}`, kind: 'vegetable' });
check('the recipe\'s create-ingredients form creates and links an ingredient', () => {
  assert.equal(ingredient.data.kind, 'vegetable');
});
const refreshed = await recipeResource.refresh();
check('the recipe lists the ingredient, titled by its name', () => {
  const link = refreshed.links.getMany('ingredients').find((l) => l.href === ingredient.links.get('self').href);
  assert.ok(link, 'the new ingredient is linked');
  assert.equal(link.title, ingredient.data.name);
});
const fromIngredient = await client.go(ingredient.links.get('self').href).refresh();
check('the ingredient lists the recipe', () => {
  assert.ok(fromIngredient.links.getMany('recipes').some((l) => l.href === recipe.links.get('self').href));
});
console.log(`ketting recipes: ${checks} passed, 0 failed`);
