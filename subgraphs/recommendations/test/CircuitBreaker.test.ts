import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker, CircuitOpenError, type CircuitState } from '../src/CircuitBreaker';

test('opens after consecutive failures, fails fast while open, probes once after the cool-down', async () => {
  let now = 0;
  const states: CircuitState[] = [];
  const b = new CircuitBreaker('graph', {
    failureThreshold: 3,
    coolDownMs: 1000,
    now: () => now,
    onStateChange: (s) => states.push(s),
  });
  let calls = 0;
  const fail = () => {
    calls++;
    return Promise.reject(new Error('down'));
  };
  const ok = () => {
    calls++;
    return Promise.resolve('up');
  };

  // a success between failures resets the count
  await assert.rejects(b.run(fail), /down/);
  await assert.rejects(b.run(fail), /down/);
  assert.equal(await b.run(ok), 'up');
  await assert.rejects(b.run(fail), /down/);
  await assert.rejects(b.run(fail), /down/);
  assert.equal(b.state, 'closed');
  await assert.rejects(b.run(fail), /down/);
  assert.equal(b.state, 'open');

  // open: no call reaches the backend
  calls = 0;
  now = 999;
  await assert.rejects(b.run(ok), CircuitOpenError);
  assert.equal(calls, 0);

  // after the cool-down one probe goes through; concurrent calls still fail fast
  now = 1000;
  let release!: () => void;
  const probe = b.run(() => new Promise<string>((resolve) => (release = () => resolve('up'))));
  await assert.rejects(b.run(ok), CircuitOpenError);
  assert.equal(b.state, 'half_open');
  release();
  assert.equal(await probe, 'up');
  assert.equal(b.state, 'closed');

  // a failed probe opens it for another cool-down
  for (let i = 0; i < 3; i++) await assert.rejects(b.run(fail));
  now = 2500;
  await assert.rejects(b.run(fail), /down/);
  assert.equal(b.state, 'open');
  now = 3000;
  await assert.rejects(b.run(ok), CircuitOpenError);
  assert.deepEqual(states, ['open', 'half_open', 'closed', 'open', 'half_open', 'open']);
});
