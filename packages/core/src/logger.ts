import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths never written to logs: credentials travel in these headers and must not leak into log storage.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-recs-gateway-secret"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-recs-gateway-secret"]',
  '*.password',
  '*.secret',
];

/** A structured JSON logger (one line per event) named after the service, with secrets redacted. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({ name: service, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
