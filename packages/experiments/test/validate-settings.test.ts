import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  AUTOMATION_DEFAULTS,
  ExperimentConfigError,
  analyse,
  clickCounts,
  decide,
  loadExperimentsFile,
  parseInstant,
  validateExperiments,
  type AutomationSettings,
  type Experiment,
} from '@recs/experiments';
import { experimentOf as exp } from './fixtures';

/** The message of the ExperimentConfigError the set throws; fails when it is accepted. */
function refusal(experiments: unknown[]): string {
  try {
    validateExperiments(experiments as Experiment[]);
  } catch (err) {
    assert.ok(err instanceof ExperimentConfigError, `not an ExperimentConfigError: ${String(err)}`);
    return err.message;
  }
  assert.fail(`accepted ${JSON.stringify(experiments)}`);
}

const withAutomation = (automation: unknown): Experiment =>
  exp({ automation: automation as AutomationSettings });

describe('automation settings', () => {
  // [setting, value, what the message must say] — the audit's values first
  const bad: [string, unknown, RegExp][] = [
    ['alpha', 2, /automation\.alpha must be a number in \(0, 0\.5\].*; received 2$/],
    ['alpha', -1, /automation\.alpha must be a number in \(0, 0\.5\].*; received -1$/],
    ['alpha', 0, /automation\.alpha must be a number in \(0, 0\.5\].*; received 0$/],
    ['alpha', 0.95, /automation\.alpha .*not a confidence level.*; received 0\.95$/],
    ['alpha', '0.05', /automation\.alpha must be a number .*; received "0\.05"$/],
    [
      'minUsersPerVariant',
      -5,
      /automation\.minUsersPerVariant must be an integer in \[1, 2147483647\]; received -5$/,
    ],
    ['minUsersPerVariant', 0, /automation\.minUsersPerVariant must be an integer .*; received 0$/],
    ['minUsersPerVariant', 12.5, /automation\.minUsersPerVariant must be an integer .*; received 12\.5$/],
    ['minUsersPerVariant', 2 ** 31, /automation\.minUsersPerVariant .*; received 2147483648$/],
    ['minUsersPerVariant', null, /automation\.minUsersPerVariant must be an integer .*; received null$/],
    [
      'maxCtrDrop',
      -3,
      /automation\.maxCtrDrop must be a number in \[0, 1\] \(a relative drop: 0\.05 is 5%\); received -3$/,
    ],
    ['maxCtrDrop', 5, /automation\.maxCtrDrop must be a number in \[0, 1\].*; received 5$/],
    [
      'maxEmptyListRate',
      -0.1,
      /automation\.maxEmptyListRate must be a number in \[0, 1\].*; received -0\.1$/,
    ],
    ['maxEmptyListRate', 1.5, /automation\.maxEmptyListRate must be a number in \[0, 1\].*; received 1\.5$/],
    [
      'maxLatencyP95Ms',
      0,
      /automation\.maxLatencyP95Ms must be a number in \[5, 60000\] \(milliseconds\); received 0$/,
    ],
    ['maxLatencyP95Ms', -250, /automation\.maxLatencyP95Ms .*; received -250$/],
    ['maxLatencyP95Ms', 1e9, /automation\.maxLatencyP95Ms .*; received 1000000000$/],
    ['promote', 'yes', /automation\.promote must be true or false; received "yes"$/],
    ['rollback', 0, /automation\.rollback must be true or false; received 0$/],
    [
      'minUserPerVariant',
      100,
      /automation\.minUserPerVariant is not an automation setting \(expected one of promote, rollback, alpha, minUsersPerVariant, .*\); received 100$/,
    ],
  ];
  for (const [setting, value, message] of bad) {
    test(`${setting}: ${JSON.stringify(value)} is refused, naming the experiment, field and value`, () => {
      const problems = refusal([withAutomation({ [setting]: value })]).split('\n');
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, /^experiment e1: /);
      assert.match(problems[0]!, message);
    });
  }

  test('every problem is reported at once', () => {
    const problems = refusal([withAutomation({ alpha: 2, minUsersPerVariant: -5, maxCtrDrop: -3 })]);
    for (const field of ['alpha', 'minUsersPerVariant', 'maxCtrDrop']) {
      assert.match(problems, new RegExp(`automation\\.${field} `));
    }
  });

  test('automation that is not an object is refused', () => {
    assert.match(
      refusal([withAutomation([0.05])]),
      /experiment e1: automation must be an object; received \[0\.05\]/,
    );
  });

  test('the defaults, the bounds and an absent or empty automation are accepted', () => {
    const good: AutomationSettings[] = [
      AUTOMATION_DEFAULTS,
      {},
      { alpha: 0.5, minUsersPerVariant: 1, maxCtrDrop: 0, maxEmptyListRate: 0, maxLatencyP95Ms: 5 },
      {
        alpha: 1e-6,
        minUsersPerVariant: 2 ** 31 - 1,
        maxCtrDrop: 1,
        maxEmptyListRate: 1,
        maxLatencyP95Ms: 60_000,
        promote: false,
        rollback: false,
      },
    ];
    for (const automation of good) validateExperiments([exp({ automation })]);
    validateExperiments([exp()]);
  });

  test('every accepted alpha is one the statistics take (no RangeError at analysis)', () => {
    for (const alpha of [1e-6, 0.05, 0.5]) {
      const e = exp({ automation: { alpha, minUsersPerVariant: 1 } });
      validateExperiments([e]);
      const counts = new Map([
        ['control', clickCounts(1000, 100)],
        ['treatment', clickCounts(1000, 130)],
      ]);
      const analysis = analyse(e, counts);
      assert.equal(analysis.alpha, alpha);
      decide(e, analysis);
    }
  });
});

describe('schedules', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    [
      'Feb 30 (rolled over by Date.parse)',
      { startAt: '2011-02-30T00:00:00Z' },
      /schedule\.startAt .*; received "2011-02-30T00:00:00Z"$/,
    ],
    [
      'Feb 29 of a common year',
      { endAt: '2023-02-29T12:00:00Z' },
      /schedule\.endAt .*; received "2023-02-29T12:00:00Z"$/,
    ],
    [
      'April 31',
      { startAt: '2025-04-31T00:00:00+02:00' },
      /schedule\.startAt .*; received "2025-04-31T00:00:00\+02:00"$/,
    ],
    ['month 13', { startAt: '2025-13-01T00:00:00Z' }, /schedule\.startAt /],
    ['hour 24', { startAt: '2025-01-01T24:00:00Z' }, /schedule\.startAt /],
    ['minute 60', { startAt: '2025-01-01T10:60:00Z' }, /schedule\.startAt /],
    ['offset +25:00', { startAt: '2025-01-01T10:00:00+25:00' }, /schedule\.startAt /],
    ['no time zone', { startAt: '2025-01-01T10:00:00' }, /schedule\.startAt .*with a time zone/],
    ['a date only', { startAt: '2025-01-01' }, /schedule\.startAt /],
    ['free text', { startAt: 'March 1, 2025' }, /schedule\.startAt /],
    ['an empty string', { endAt: '' }, /schedule\.endAt .*; received ""$/],
    ['a number', { startAt: 1_735_689_600_000 }, /schedule\.startAt .*; received 1735689600000$/],
    [
      'endAt before startAt',
      { startAt: '2025-03-02T00:00:00Z', endAt: '2025-03-01T00:00:00Z' },
      /schedule\.endAt must be after startAt "2025-03-02T00:00:00Z"; received "2025-03-01T00:00:00Z"$/,
    ],
    [
      'endAt equal to startAt (in another zone)',
      { startAt: '2025-03-01T01:00:00+01:00', endAt: '2025-03-01T00:00:00Z' },
      /schedule\.endAt must be after startAt/,
    ],
  ];
  for (const [what, schedule, message] of bad) {
    test(`${what} is refused, naming the field and value`, () => {
      const problems = refusal([exp({ schedule: schedule as Experiment['schedule'] })]).split('\n');
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, /^experiment e1: /);
      assert.match(problems[0]!, message);
    });
  }

  test('real instants are accepted, in any zone and precision', () => {
    for (const schedule of [
      { startAt: '2024-02-29T00:00:00Z' },
      { endAt: '2000-02-29T23:59:59.999Z' },
      { startAt: '2025-03-01T09:30+01:00', endAt: '2025-03-31T23:59:59.123456-05:00' },
      { startAt: '2025-03-01T00:00:00.000Z', endAt: '2025-03-01T00:00:00.001Z' },
    ]) {
      validateExperiments([exp({ schedule })]);
    }
  });

  test('parseInstant agrees with Date.parse on real instants (what isLive reads back)', () => {
    for (const v of [
      '2024-02-29T00:00:00Z',
      '2025-03-01T09:30+01:00',
      '2025-12-31T23:59:59.5-05:30',
      '1999-12-31T23:59:59.999999999Z',
    ]) {
      assert.equal(parseInstant(v), Date.parse(v), v);
    }
    for (const v of [
      '2011-02-30T00:00:00Z',
      '2100-02-29T00:00:00Z',
      '2025-00-10T00:00:00Z',
      '2025-01-00T00:00:00Z',
    ]) {
      assert.equal(parseInstant(v), undefined, v);
    }
  });
});

test('an entry that is not an object is a problem, not a TypeError', () => {
  assert.match(refusal([exp(), null]), /experiment #2 must be an object; received null/);
});

test("a variant's config with a misspelt key, a wrong type or no object is refused", () => {
  const withConfig = (config: unknown) =>
    exp({
      variants: [
        { name: 'control', allocation: 50 },
        { name: 'treatment', allocation: 50, config: config as Experiment['variants'][number]['config'] },
      ],
    });
  assert.match(
    refusal([withConfig({ sourceWeight: { buy_again: 1.5 } })]),
    /variant treatment config: unknown key "sourceWeight" \(expected modelVersion, ranker, sourceWeights, rules\)/,
  );
  assert.match(refusal([withConfig({ ranker: 'no' })]), /config: ranker must be a boolean; received "no"/);
  assert.match(
    refusal([withConfig({ modelVersion: 7 })]),
    /config: modelVersion must be a string; received 7/,
  );
  assert.match(
    refusal([withConfig([1])]),
    /config: a variant configuration must be a JSON object; received \[1\]/,
  );
  assert.doesNotThrow(() =>
    validateExperiments([withConfig({ ranker: false, sourceWeights: { buy_again: 1.5 } })]),
  );
});

describe('loadExperimentsFile', () => {
  async function withFile(content: unknown, work: (file: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'experiments-file-'));
    try {
      const file = join(dir, 'experiments.json');
      await writeFile(file, JSON.stringify(content));
      await work(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test('a file with out-of-range settings fails, naming the file, experiment, field and value', async () => {
    const experiments = [
      exp({ id: 'fine', layer: 'a' }),
      exp({
        id: 'negative-users',
        layer: 'b',
        automation: { minUsersPerVariant: -5, alpha: 2 },
        schedule: { startAt: '2011-02-30T00:00:00Z' },
      }),
    ];
    await withFile(experiments, async (file) => {
      await assert.rejects(loadExperimentsFile(file), (err: unknown) => {
        assert.ok(err instanceof ExperimentConfigError);
        const [head, ...problems] = err.message.split('\n');
        assert.equal(head, `EXPERIMENTS_FILE ${file} is not a valid experiment set:`);
        assert.equal(problems.length, 3, err.message);
        assert.match(
          problems.join('\n'),
          /^experiment negative-users: schedule\.startAt .*; received "2011-02-30T00:00:00Z"$/m,
        );
        assert.match(problems.join('\n'), /^experiment negative-users: automation\.alpha .*; received 2$/m);
        assert.match(
          problems.join('\n'),
          /^experiment negative-users: automation\.minUsersPerVariant must be an integer in \[1, 2147483647\]; received -5$/m,
        );
        return true;
      });
    });
  });

  test('a valid file loads', async () => {
    const experiments = [exp({ automation: { alpha: 0.01, minUsersPerVariant: 1000 } })];
    await withFile(experiments, async (file) => {
      assert.deepEqual(await loadExperimentsFile(file), experiments);
    });
  });
});

test('only: an experiment stored under older rules blocks no change to another, and overlaps still count', () => {
  // saved before the strict checks: a zone-less start and a confidence level as alpha
  const legacy = exp({
    id: 'legacy',
    layer: 'old',
    schedule: { startAt: '2025-03-01T00:00:00' },
    automation: { alpha: 0.95 },
  });
  const other = exp({ id: 'other', layer: 'new' });
  assert.doesNotThrow(() => validateExperiments([legacy, other], { only: 'other' }));
  assert.throws(() => validateExperiments([legacy, other], { only: 'legacy' }), /legacy: .*alpha/s);
  assert.throws(() => validateExperiments([legacy, other]), /alpha/);
  // the set's own checks still see every experiment
  const overlapping = exp({ id: 'other', layer: 'old' });
  assert.throws(() => validateExperiments([legacy, overlapping], { only: 'other' }), /overlap in layer old/);
});
