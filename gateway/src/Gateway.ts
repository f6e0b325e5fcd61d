import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloGateway } from '@apollo/gateway';
import { ErrorCode, RecsError, httpStatusOf, type Logger } from '@recs/core';
import { createAuthenticator } from './auth/authenticate';
import type { GatewayConfig } from './config';
import type { GatewayContext } from './GatewayContext';
import { DocumentLimits } from './limits';
import { createGatewayMetrics } from './metrics';
import { callerHeaders, subgraphDataSource } from './subgraphDataSource';

export interface GatewayOptions {
  config: GatewayConfig;
  /** The composed supergraph SDL (committed in schema/; never introspected from subgraphs). */
  supergraphSdl: string;
  logger: Logger;
}

const REQUEST_ID = /^[\w-]{1,64}$/;
/** Distinct operation names the request-duration metric keeps as labels; later names count as `other`. */
const MAX_OPERATION_LABELS = 100;

/**
 * The federated gateway: Apollo Server + Apollo Gateway on node's HTTP server, adding what Apollo
 * Gateway lacks: authentication, query limits, CORS, `/health`, `/ready`, `/metrics`, JSON request
 * logs with a request id forwarded to subgraphs, and a draining shutdown.
 */
export class Gateway {
  private readonly apollo: ApolloServer<GatewayContext>;
  private readonly server: Server;
  private readonly metrics = createGatewayMetrics();
  private readonly authenticate;
  private readonly subgraphs = new Map<string, string>();
  private readonly limits: DocumentLimits;
  private inFlight = 0;
  private draining = false;

  constructor(private readonly opts: GatewayOptions) {
    const { config } = opts;
    this.limits = new DocumentLimits(config.limits);
    this.authenticate = createAuthenticator({ apiKeys: config.apiKeys, jwtSecret: config.jwtSecret });
    const gateway = new ApolloGateway({
      supergraphSdl: opts.supergraphSdl,
      buildService: ({ name, url }) => {
        const target = config.subgraphUrls[name] ?? url;
        if (!target) throw new Error(`no URL for subgraph ${name}`);
        this.subgraphs.set(name, target);
        return subgraphDataSource({
          url: target,
          gatewaySecret: config.gatewaySecret,
          timeoutMs: config.subgraphTimeoutMs,
        });
      },
    });
    const dev = config.mode === 'development';
    const metrics = this.metrics;
    this.apollo = new ApolloServer<GatewayContext>({
      gateway,
      introspection: dev,
      includeStacktraceInErrorResponses: false,
      // main.ts drains on SIGTERM / SIGINT itself; Apollo's own handler would re-raise the signal first
      stopOnTerminationSignals: false,
      plugins: [
        dev
          ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
          : ApolloServerPluginLandingPageDisabled(),
        ...(dev ? [] : [ApolloServerPluginDisableSuggestions()]),
        {
          async requestDidStart() {
            return {
              async willSendResponse({ response }) {
                if (response.body.kind !== 'single') return;
                for (const e of response.body.singleResult.errors ?? []) {
                  metrics.errors.inc({ code: String(e.extensions?.code ?? 'UNKNOWN') });
                }
              },
            };
          },
        },
      ],
    });
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  /** Starts Apollo (loads the supergraph) and listens; resolves to the GraphQL URL. */
  async start(): Promise<string> {
    await this.apollo.start();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.config.port, this.opts.config.host, () => resolve());
    });
    const addr = this.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : this.opts.config.port;
    return `http://${this.opts.config.host}:${port}/graphql`;
  }

  /** Stops accepting connections, waits for in-flight requests (up to `graceMs`), then stops Apollo. */
  async stop(graceMs = 10_000): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.server.closeIdleConnections();
    this.server.closeAllConnections();
    await closed;
    await this.apollo.stop();
  }

  /** Operation names used as metric labels so far (bounded: see {@link operationLabel}). */
  private readonly operationLabels = new Set<string>();

  /**
   * The metric label of a request's operation name. The name is the client's, so it is a label only
   * for an authenticated caller, when it is a GraphQL name, and while fewer than
   * {@link MAX_OPERATION_LABELS} names have been seen; otherwise `unauthenticated` or `other`. An
   * anonymous client cannot grow `/metrics`.
   */
  private operationLabel(operation: string, authenticated: boolean): string {
    if (!authenticated) return 'unauthenticated';
    if (operation === '-' || this.operationLabels.has(operation)) return operation;
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(operation) || this.operationLabels.size >= MAX_OPERATION_LABELS)
      return 'other';
    this.operationLabels.add(operation);
    return operation;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const rid = req.headers['x-request-id'];
    const requestId = typeof rid === 'string' && REQUEST_ID.test(rid) ? rid : randomUUID();
    res.setHeader('x-request-id', requestId);
    this.inFlight++;
    let operation = '-';
    let principalKind = '-';
    try {
      this.cors(req, res);
      const url = new URL(req.url ?? '/', 'http://gateway');
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
      if (url.pathname === '/health') return json(res, 200, { status: 'ok' });
      if (url.pathname === '/ready') return await this.ready(res);
      if (url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
        return void res.end(await this.metrics.registry.metrics());
      }
      if (url.pathname === '/events') {
        if (req.method !== 'POST') return json(res, 405, { error: 'POST events as JSON lines to /events' });
        if (this.draining)
          return graphqlError(
            res,
            new RecsError(ErrorCode.BACKEND_UNAVAILABLE, 'the gateway is shutting down'),
          );
        operation = 'events';
        const principal = this.authenticate(req.headers);
        principalKind = principal.kind === 'service' ? `service:${principal.keyId}` : 'user';
        return await this.forwardEvents(req, res, { principal, requestId });
      }
      if (url.pathname !== '/graphql' && url.pathname !== '/') return json(res, 404, { error: 'not found' });
      if (this.draining)
        return graphqlError(
          res,
          new RecsError(ErrorCode.BACKEND_UNAVAILABLE, 'the gateway is shutting down'),
        );

      // The Explorer's landing page needs no caller. Anything that can run an operation does: a query,
      // or a persisted-query hash in `extensions` (Apollo runs those on GET whatever `accept` says).
      const isLandingPage =
        req.method === 'GET' &&
        !url.searchParams.has('query') &&
        !url.searchParams.has('extensions') &&
        (req.headers.accept ?? '').includes('text/html');
      const body =
        req.method === 'POST' ? await readJsonBody(req, this.opts.config.limits.maxBodyBytes) : undefined;
      const query = (body as { query?: unknown } | undefined)?.query ?? url.searchParams.get('query');
      operation = String(
        (body as { operationName?: unknown } | undefined)?.operationName ??
          url.searchParams.get('operationName') ??
          '-',
      );
      if (typeof query === 'string') this.limits.check(query, operation === '-' ? undefined : operation);
      // No principal is ever invented: the landing page runs no operation, and should Apollo still ask
      // for a context, the caller is authenticated then.
      const principal = isLandingPage ? undefined : this.authenticate(req.headers);
      if (principal) principalKind = principal.kind === 'service' ? `service:${principal.keyId}` : 'user';

      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      const result = await this.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: async () => ({ principal: principal ?? this.authenticate(req.headers), requestId }),
      });
      for (const [k, v] of result.headers) res.setHeader(k, v);
      res.statusCode = result.status ?? 200;
      if (result.body.kind === 'complete') res.end(result.body.string);
      else {
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } catch (err) {
      if (err instanceof RecsError) {
        this.metrics.errors.inc({ code: err.code });
        graphqlError(res, err);
      } else {
        this.opts.logger.error({ err, requestId }, 'unhandled gateway error');
        graphqlError(res, new RecsError(ErrorCode.INTERNAL_SERVER_ERROR, 'internal error'));
      }
    } finally {
      this.inFlight--;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (req.url?.startsWith('/graphql'))
        this.metrics.requestDuration.observe(
          {
            operation: this.operationLabel(operation, principalKind !== '-'),
            status: String(res.statusCode),
          },
          seconds,
        );
      this.opts.logger.info(
        {
          requestId,
          method: req.method,
          path: req.url?.split('?')[0],
          status: res.statusCode,
          ms: Math.round(seconds * 1e4) / 10,
          operation,
          caller: principalKind,
        },
        'request',
      );
    }
  }

  /**
   * `POST /events`: a batch of JSON lines for the features subgraph's event endpoint, forwarded as is
   * (bounded by MAX_BODY_BYTES) with the verified caller, the way GraphQL requests reach subgraphs.
   */
  private async forwardEvents(
    req: IncomingMessage,
    res: ServerResponse,
    context: GatewayContext,
  ): Promise<void> {
    const target = this.subgraphs.get('features') ?? this.opts.config.subgraphUrls.features;
    if (!target) throw new RecsError(ErrorCode.BACKEND_UNAVAILABLE, 'no features subgraph is configured');
    const body = await readBody(req, this.opts.config.limits.maxBodyBytes);
    let upstream: Response;
    try {
      upstream = await fetch(new URL('/events', target), {
        method: 'POST',
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/x-ndjson',
          ...callerHeaders(this.opts.config.gatewaySecret, context),
        },
        body,
        signal: AbortSignal.timeout(Math.max(this.opts.config.subgraphTimeoutMs, 10_000)),
      });
    } catch (err) {
      this.opts.logger.warn(
        { err, requestId: context.requestId },
        'features subgraph unreachable for /events',
      );
      throw new RecsError(ErrorCode.BACKEND_UNAVAILABLE, 'the event service did not answer; retry the batch');
    }
    const retryAfter = upstream.headers.get('retry-after');
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
      // a rate-limited batch says when to retry
      ...(retryAfter ? { 'retry-after': retryAfter } : {}),
    });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  }

  private cors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (!origin || !this.opts.config.corsOrigins.includes(origin)) return;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'origin');
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader(
      'access-control-allow-headers',
      'content-type, x-api-key, authorization, x-request-id, apollo-require-preflight, apollographql-client-name, apollographql-client-version',
    );
    res.setHeader('access-control-max-age', '600');
  }

  private async ready(res: ServerResponse): Promise<void> {
    const checks: Record<string, boolean> = {};
    await Promise.all(
      [...this.subgraphs].map(async ([name, url]) => {
        try {
          const r = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(1_000) });
          checks[name] = r.ok;
        } catch {
          checks[name] = false;
        }
      }),
    );
    const ok = this.subgraphs.size > 0 && Object.values(checks).every(Boolean);
    json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', subgraphs: checks });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function graphqlError(res: ServerResponse, err: RecsError): void {
  json(res, httpStatusOf(err.code), { errors: [{ message: err.message, extensions: { code: err.code } }] });
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new RecsError(ErrorCode.DOCUMENT_TOO_LARGE, `the request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const text = (await readBody(req, limit)).toString('utf8');
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new RecsError(ErrorCode.BAD_USER_INPUT, 'the request body is not valid JSON');
  }
}
