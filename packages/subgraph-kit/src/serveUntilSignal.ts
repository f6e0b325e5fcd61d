import type { FastifyInstance } from 'fastify';
import type { Logger } from '@recs/core';

/**
 * Listens, logs one `listening` line with the URL, and on SIGTERM/SIGINT stops accepting connections,
 * lets in-flight requests finish (Fastify's close drains them), runs `onClose` (close clients) and exits.
 */
export async function serveUntilSignal(
  app: FastifyInstance,
  opts: { host: string; port: number; log: Logger; onClose?: () => Promise<void> },
): Promise<string> {
  const url = await app.listen({ host: opts.host, port: opts.port });
  opts.log.info({ url }, 'listening');
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    opts.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    void app
      .close()
      .then(() => opts.onClose?.())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          opts.log.error({ err }, 'error during shutdown');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return url;
}
