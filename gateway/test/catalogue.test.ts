import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPromotedBundle } from '@recs/pipeline';
import { startCatalogueSubgraph, startStack, trainedRegistry } from '@recs/testkit';

/**
 * Our three subgraphs inside a shop's existing graph: a stand-in catalogue subgraph owns
 * Product.title and price; the gateway composes all four and one query joins our recommendations
 * with the shop's titles.
 */
test('recommendations compose with and are served through a shop-owned catalogue subgraph', async (t) => {
  const bundle = await loadPromotedBundle(await trainedRegistry());
  const catalogue = await startCatalogueSubgraph(
    new Map(
      [...bundle.catalogue].map(([id, c]) => [id, { title: `Shop title of ${c.title}`, price: c.price }]),
    ),
  );
  t.after(() => catalogue.stop());
  const stack = await startStack({
    extraSubgraphs: [{ name: 'catalogue', url: catalogue.url, sdl: catalogue.sdl }],
  });
  t.after(() => stack.stop());

  const { body } = await stack.query({
    query: `{ user(id: "17850") { recommendations(surface: HOME, limit: 3) {
      items { product { id title price features { observedTitle } } reasonCode } } } }`,
  });
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  const items = (
    body.data as {
      user: {
        recommendations: {
          items: {
            product: { id: string; title: string; price: number; features: { observedTitle: string } };
          }[];
        };
      };
    }
  ).user.recommendations.items;
  assert.equal(items.length, 3);
  for (const { product } of items) {
    assert.equal(product.title, `Shop title of ${product.features.observedTitle}`);
    assert.ok(product.price > 0);
  }
  assert.ok(catalogue.resolved() >= 3, 'the catalogue subgraph resolved the product references');
});
