import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { progressBar } from '../src/progress';

function stream(isTTY: boolean): { out: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let text = '';
  s.on('data', (c: Buffer) => (text += c.toString()));
  Object.assign(s, { isTTY });
  return { out: s as unknown as NodeJS.WriteStream, text: () => text };
}

test('a progress bar draws on a terminal and ends its line', async () => {
  const { out, text } = stream(true);
  const bar = progressBar('features', 4, out);
  bar.tick();
  bar.tick(3);
  bar.done();
  await new Promise((r) => setImmediate(r));
  assert.match(text(), /\rfeatures \[█{6}░{18}\] {2}25% \(1\/4\)/);
  assert.match(text(), /\rfeatures \[█{24}\] 100% \(4\/4\)\n$/);
});

test('nothing is written when the stream is not a terminal', async () => {
  const { out, text } = stream(false);
  const bar = progressBar('features', 4, out);
  bar.tick(4);
  bar.done();
  await new Promise((r) => setImmediate(r));
  assert.equal(text(), '');
});
