import type { Experiment } from '@recs/experiments';

/** A running 50/50 experiment `e1` on the ranking layer over all traffic, with `over` applied. */
export const experimentOf = (over: Partial<Experiment> = {}): Experiment => ({
  id: 'e1',
  layer: 'ranking',
  status: 'RUNNING',
  salt: 's1',
  traffic: { from: 0, to: 100 },
  variants: [
    { name: 'control', allocation: 50 },
    { name: 'treatment', allocation: 50 },
  ],
  ...over,
});
