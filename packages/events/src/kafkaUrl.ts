/**
 * Where a Kafka event log is, parsed from one configuration string (`EVENT_LOG_URL`), in the style of
 * `REDIS_URL`'s `redis-cluster://h1:p1,h2:p2` (packages/core/src/redisUrl.ts):
 *
 *   `kafka://host1:9092[,host2:9092,…]/<topic>[?partitions=<n>&replicationFactor=<n>&retentionHours=<n>]`
 *
 * The hosts are bootstrap brokers (the client discovers the others); the topic holds the events and
 * `<topic>.dead-letter` the dead letters. The query options are used only when the log creates the
 * topics (an existing topic is left as it is). PLAINTEXT only: TLS and SASL are not wired yet.
 * Pure parsing, no client.
 */
export interface KafkaTarget {
  brokers: string[];
  topic: string;
  /** Partitions of a topic the log creates; default 12. */
  partitions?: number;
  /** Replication factor of a topic the log creates; default: the broker's default. */
  replicationFactor?: number;
  /** `retention.ms` of a topic the log creates, in hours; default 168 (7 days). */
  retentionHours?: number;
}

const KAFKA_URL = /^kafka:\/\/([^/?#]+)\/([^/?#]+)(?:\?([^#]*))?$/i;
/** Kafka's own rule for topic names (minus the length: `.dead-letter` is appended). */
const TOPIC = /^[a-zA-Z0-9._-]{1,200}$/;

/** True for a `kafka://` URL. */
export function isKafkaUrl(url: string | undefined): boolean {
  return url !== undefined && /^kafka:\/\//i.test(url.trim());
}

/** Parses a `kafka://` URL (see {@link KafkaTarget}); throws a TypeError naming what is wrong. */
export function parseKafkaUrl(url: string): KafkaTarget {
  const m = KAFKA_URL.exec(url.trim());
  if (!m) {
    throw new TypeError(
      `not a Kafka event-log URL (kafka://host:port[,host:port…]/topic): ${JSON.stringify(url)}`,
    );
  }
  const [, hostList, rawTopic, query] = m;
  const brokers = hostList!.split(',').map((hostPort) => {
    const hp = /^(\[[0-9a-fA-F:.]+\]|[^:[\]@]+):(\d{1,5})$/.exec(hostPort.trim());
    const port = hp ? Number(hp[2]) : NaN;
    if (!hp || !(port > 0 && port < 65536)) {
      throw new TypeError(`a Kafka broker must be host:port; received ${JSON.stringify(hostPort)}`);
    }
    return `${hp[1]}:${port}`;
  });
  const topic = decodeURIComponent(rawTopic!);
  if (!TOPIC.test(topic) || topic === '.' || topic === '..') {
    throw new TypeError(
      `a Kafka topic is 1..200 characters of [a-zA-Z0-9._-]; received ${JSON.stringify(topic)}`,
    );
  }
  const out: KafkaTarget = { brokers, topic };
  const params = new URLSearchParams(query ?? '');
  const limits = { partitions: [1, 10_000], replicationFactor: [1, 100], retentionHours: [1, 24 * 3650] };
  for (const [key, value] of params) {
    if (!(key in limits)) throw new TypeError(`unknown Kafka URL option ${JSON.stringify(key)}`);
    const [min, max] = limits[key as keyof typeof limits];
    const n = Number(value);
    if (!Number.isInteger(n) || n < min! || n > max!) {
      throw new TypeError(`${key} must be an integer in [${min}, ${max}]; received ${JSON.stringify(value)}`);
    }
    out[key as keyof typeof limits] = n;
  }
  return out;
}
