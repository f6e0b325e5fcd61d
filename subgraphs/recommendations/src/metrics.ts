import { Counter, Gauge, Registry } from 'prom-client';

/** The recommender's Prometheus metrics and the callbacks that feed them. */
export function recommenderMetrics(registry = new Registry()) {
  const sourceFailures = new Counter({
    name: 'recs_source_failures_total',
    help: 'Candidate sources and live reads that failed or missed their time budget, by source',
    labelNames: ['source'],
    registers: [registry],
  });
  const shed = new Counter({
    name: 'recs_shed_total',
    help: 'Backend calls not made because the backend had its limit of calls running (answered from what remains), by source',
    labelNames: ['source'],
    registers: [registry],
  });
  const ruleRemoved = new Counter({
    name: 'recs_rule_removed_total',
    help: 'Candidates removed by business rules, by rule',
    labelNames: ['rule'],
    registers: [registry],
  });
  const circuitOpen = new Gauge({
    name: 'recs_circuit_open',
    help: '1 while a backend circuit breaker is open or half-open, by source',
    labelNames: ['source'],
    registers: [registry],
  });
  const exposureErrors = new Counter({
    name: 'recs_exposure_log_failures_total',
    help: 'Served lists whose exposure (running experiment) or impression-log entry could not be written',
    registers: [registry],
  });
  const sharedRankings = new Counter({
    name: 'recs_shared_rankings_total',
    help: 'Rankings shared by shoppers the model does not know: hit, miss, warm (computed ahead), refresh (recomputed ahead of expiry), evict',
    labelNames: ['event'],
    registers: [registry],
  });
  return {
    registry,
    onSharedRanking: (event: string) => sharedRankings.inc({ event }),
    onExposureError: () => exposureErrors.inc(),
    onCircuitChange: (source: string, state: string) =>
      circuitOpen.set({ source }, state === 'closed' ? 0 : 1),
    onSourceFailure: (source: string) => sourceFailures.inc({ source }),
    onShed: (source: string) => shed.inc({ source }),
    onRuleRemoved: (rule: string, count: number) => ruleRemoved.inc({ rule }, count),
  };
}
