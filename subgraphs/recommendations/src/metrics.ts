import { Counter, Registry } from 'prom-client';

/** The recommender's Prometheus metrics and the callbacks that feed them. */
export function recommenderMetrics(registry = new Registry()) {
  const sourceFailures = new Counter({
    name: 'recs_source_failures_total',
    help: 'Candidate sources and live reads that failed or missed their time budget, by source',
    labelNames: ['source'],
    registers: [registry],
  });
  const ruleRemoved = new Counter({
    name: 'recs_rule_removed_total',
    help: 'Candidates removed by business rules, by rule',
    labelNames: ['rule'],
    registers: [registry],
  });
  return {
    registry,
    onSourceFailure: (source: string) => sourceFailures.inc({ source }),
    onRuleRemoved: (rule: string, count: number) => ruleRemoved.inc({ rule }, count),
  };
}
