import assert from 'node:assert/strict';

/**
 * Asks the same operation text three times (`ask(0..2)`): Mercurius runs it interpreted the first
 * time and compiled by graphql-jit from the second (`jit: 1`), so the three answers must agree. Each
 * must have data and no errors; `normalise` removes what legitimately differs (fresh ids). Returns the
 * first answer.
 */
export async function askedThrice<B extends { data?: unknown; errors?: unknown }>(
  ask: (i: number) => Promise<B>,
  normalise: (body: B) => unknown = (body) => body,
): Promise<B> {
  const answers: B[] = [];
  for (let i = 0; i < 3; i++) answers.push(await ask(i));
  for (const [i, answer] of answers.entries()) {
    assert.equal(answer.errors, undefined, `answer ${i + 1}: ${JSON.stringify(answer.errors)}`);
    assert.ok(answer.data, `answer ${i + 1} has data`);
  }
  assert.deepEqual(normalise(answers[1]!), normalise(answers[0]!), 'first compiled answer');
  assert.deepEqual(normalise(answers[2]!), normalise(answers[0]!), 'second compiled answer');
  return answers[0]!;
}
