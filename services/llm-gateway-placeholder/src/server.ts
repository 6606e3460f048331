/**
 * The placeholder's HTTP server on node:http. Routes, body limits, delays, streaming and the
 * graceful shutdown live here; `main.ts` only wires configuration, logging and signals.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PlaceholderConfig } from './config';
import { jsonLogger, type Logger } from './logger';
import {
  complete,
  completionChunks,
  completionObject,
  errorBody,
  parseChatRequest,
  RequestError,
  type OpenAiError,
} from './openai';

/** Request headers that let a test choose its own delays (honoured when `allowDelayOverride`). */
export const LATENCY_HEADER = 'x-placeholder-latency-ms';
/** See {@link LATENCY_HEADER}. */
export const CHUNK_DELAY_HEADER = 'x-placeholder-chunk-delay-ms';

/** Outcome of {@link PlaceholderServer.close}. */
export interface ShutdownResult {
  /** True when every in-flight request finished before the shutdown timeout. */
  readonly drained: boolean;
  /** Requests in flight when the shutdown began. */
  readonly inFlightAtStart: number;
  /** Requests cut off by the timeout. */
  readonly cutOff: number;
  /** Requests that arrived after the shutdown began (while the listener stayed open). */
  readonly acceptedDuringDrain: number;
  /** Time the shutdown took, in ms. */
  readonly durationMs: number;
}

/** Per-request context: what the handlers and the request log share. */
interface Exchange {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  /** The request path without its query string. */
  readonly path: string;
  readonly requestId: string;
  /** Aborted when the response closes before it finished (client gone, or shutdown cut it off). */
  readonly signal: AbortSignal;
  /** Set by handlers for the request log. */
  stream: boolean;
  bytesIn: number;
}

type Handler = (ex: Exchange) => Promise<void> | void;

/** What an `X-Real-IP` value may look like (IPv4 or IPv6 literal). */
const CLIENT_IP_PATTERN = /^[0-9A-Fa-f:.]{2,45}$/;

/** An OpenAI-compatible stand-in for the internal LLM gateway. */
export class PlaceholderServer {
  private readonly server: http.Server;
  private readonly inFlight = new Set<http.ServerResponse>();
  private readonly routes: ReadonlyMap<string, Readonly<Record<string, Handler>>>;
  /** Set by {@link close}: `/healthz` answers 503, answers carry `Connection: close`. */
  private draining = false;
  /** Set once the listener is closed: idle keep-alive connections are closed as they fall idle. */
  private stoppedAccepting = false;
  private acceptedDuringDrain = 0;
  private closing: Promise<ShutdownResult> | undefined;

  constructor(
    private readonly config: PlaceholderConfig,
    private readonly logger: Logger = jsonLogger(),
  ) {
    const echo: Handler = (ex) => this.echo(ex);
    const health: Handler = (ex) => this.health(ex);
    this.routes = new Map<string, Record<string, Handler>>([
      ['/healthz', { GET: health, HEAD: health }],
      ['/v1/models', { GET: (ex) => this.models(ex) }],
      ['/v1/chat/completions', { POST: (ex) => this.chatCompletions(ex) }],
      ['/v1/echo', { GET: echo, HEAD: echo, POST: echo, PUT: echo, PATCH: echo, DELETE: echo }],
    ]);
    this.server = http.createServer((req, res) => this.handle(req, res));
    // Outlive Kong's upstream keep-alive (60 s idle) so Kong never reuses a connection we close.
    this.server.keepAliveTimeout = config.keepAliveTimeoutMs;
  }

  /** Starts listening on the configured host and port; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.config.port, this.config.host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Requests being served right now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Graceful shutdown, in three steps from the call (SIGTERM):
   * 1. for `shutdownAcceptMs`, keep the listener open and serve new requests (clients still hold
   *    the address from DNS), while `/healthz` answers 503 and every answer says `Connection: close`;
   * 2. then stop accepting, close keep-alive connections as they fall idle, and let in-flight
   *    requests (streams included) finish;
   * 3. at `shutdownTimeoutMs`, cut off whatever still runs.
   * Idempotent: a second call returns the same promise.
   */
  close(): Promise<ShutdownResult> {
    if (this.closing !== undefined) return this.closing;
    this.draining = true;
    const started = Date.now();
    const inFlightAtStart = this.inFlight.size;
    this.closing = new Promise((resolve) => {
      let cutOff = 0;
      let accepting: NodeJS.Timeout | undefined;
      const stopAccepting = (): void => {
        if (this.stoppedAccepting) return;
        this.stoppedAccepting = true;
        clearTimeout(accepting);
        this.server.close(() => {
          clearTimeout(deadline);
          resolve({
            drained: cutOff === 0,
            inFlightAtStart,
            cutOff,
            acceptedDuringDrain: this.acceptedDuringDrain,
            durationMs: Date.now() - started,
          });
        });
        this.server.closeIdleConnections();
      };
      const deadline = setTimeout(() => {
        stopAccepting();
        cutOff = this.inFlight.size;
        this.server.closeAllConnections();
      }, this.config.shutdownTimeoutMs);
      if (this.config.shutdownAcceptMs > 0)
        accepting = setTimeout(stopAccepting, this.config.shutdownAcceptMs);
      else stopAccepting();
    });
    return this.closing;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = process.hrtime.bigint();
    const controller = new AbortController();
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const ex: Exchange = {
      req,
      res,
      path: queryAt < 0 ? target : target.slice(0, queryAt),
      requestId: headerValue(req, 'x-kong-request-id') ?? randomUUID(),
      signal: controller.signal,
      stream: false,
      bytesIn: 0,
    };
    this.inFlight.add(res);
    if (this.draining) this.acceptedDuringDrain++;
    res.on('close', () => {
      this.inFlight.delete(res);
      const finished = res.writableFinished;
      if (!finished) controller.abort();
      this.logger.log(finished ? 'info' : 'warn', 'request', {
        method: req.method,
        // The path only: a query string may carry a credential (`?apikey=`).
        path: ex.path,
        status: res.statusCode,
        duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        request_id: ex.requestId,
        client_ip: clientIp(req),
        consumer: headerValue(req, 'x-consumer-username') ?? null,
        stream: ex.stream,
        bytes_in: ex.bytesIn,
        completed: finished,
      });
      // Once the listener is closed, a keep-alive connection that just fell idle is closed at once.
      if (this.stoppedAccepting) setImmediate(() => this.server.closeIdleConnections());
    });

    Promise.resolve()
      .then(() => this.route(ex))
      .catch((err: unknown) => this.onHandlerError(ex, err));
  }

  /** Dispatches to the handler of the path and method, or answers 404 / 405. */
  private route(ex: Exchange): Promise<void> | void {
    const { req, res, path } = ex;
    const route = this.routes.get(path);
    const method = req.method ?? 'GET';
    if (route === undefined) {
      return this.sendError(
        res,
        404,
        errorBody(`Invalid URL (${method} ${path})`, 'invalid_request_error', null, 'unknown_url'),
      );
    }
    const handler = route[method];
    if (handler === undefined) {
      const allow = Object.keys(route).join(', ');
      res.setHeader('Allow', allow);
      return this.sendError(
        res,
        405,
        errorBody(
          `Method ${method} is not allowed on ${path}; allowed: ${allow}.`,
          'invalid_request_error',
          null,
          'method_not_allowed',
        ),
      );
    }
    return handler(ex);
  }

  private onHandlerError(ex: Exchange, err: unknown): void {
    // The client left (mid-upload or mid-stream) or shutdown cut it off: nobody to answer; the
    // request log line records it as not completed.
    if (ex.signal.aborted || ex.res.destroyed) return;
    if (err instanceof RequestError && !ex.res.headersSent) {
      this.sendError(ex.res, err.status, err.body);
      return;
    }
    this.logger.log('error', 'unhandled error', {
      request_id: ex.requestId,
      error: err instanceof Error ? err.message : String(err),
    });
    if (ex.res.headersSent) ex.res.destroy();
    else
      this.sendError(ex.res, 500, errorBody('The placeholder failed to handle the request.', 'server_error'));
  }

  private health(ex: Exchange): void {
    if (this.draining) this.sendJson(ex.res, 503, { status: 'draining' });
    else this.sendJson(ex.res, 200, { status: 'ok' });
  }

  private models(ex: Exchange): void {
    this.sendJson(ex.res, 200, {
      object: 'list',
      data: this.config.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'placeholder' })),
    });
  }

  private async echo(ex: Exchange): Promise<void> {
    const { req } = ex;
    const url = new URL(req.url ?? '/', 'http://placeholder.invalid');
    const body = await this.readBody(ex);
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length === 1 ? values[0] : values;
    }
    this.sendJson(ex.res, 200, {
      method: req.method,
      path: ex.path,
      query,
      http_version: req.httpVersion,
      request_line: `${req.method} ${req.url} HTTP/${req.httpVersion}`,
      // As received (names lower-cased by node): this is what proves what Kong added or stripped.
      headers: req.headers,
      client_ip: clientIp(req),
      body: body.length > 0 ? body.toString('utf8') : null,
      body_bytes: body.length,
    });
  }

  private async chatCompletions(ex: Exchange): Promise<void> {
    const latencyMs = this.delayFrom(ex.req, LATENCY_HEADER, this.config.latencyMs);
    const chunkDelayMs = this.delayFrom(ex.req, CHUNK_DELAY_HEADER, this.config.chunkDelayMs);
    const request = parseChatRequest(await this.readBody(ex));
    const completion = complete(request);
    const id = `chatcmpl-${ex.requestId}`;
    const created = Math.floor(Date.now() / 1000);
    ex.stream = request.stream;
    if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: ex.signal });

    if (!request.stream) {
      this.sendJson(ex.res, 200, completionObject(id, created, request.model, completion));
      return;
    }
    const { res } = ex;
    this.writeHead(res, 200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      // Asks nginx-based proxies (Kong) not to buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const chunks = completionChunks(id, created, request.model, completion, request.includeUsage);
    for (let i = 0; i < chunks.length; i++) {
      if (i > 0 && chunkDelayMs > 0) await sleep(chunkDelayMs, undefined, { signal: ex.signal });
      if (!res.write(`data: ${JSON.stringify(chunks[i])}\n\n`)) await drained(res, ex.signal);
    }
    if (chunkDelayMs > 0) await sleep(chunkDelayMs, undefined, { signal: ex.signal });
    res.end('data: [DONE]\n\n');
  }

  /** Writes the status line and headers; while draining, asks the client to close the connection. */
  private writeHead(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders): void {
    if (this.draining) res.setHeader('Connection', 'close');
    res.writeHead(status, headers);
  }

  private sendJson(res: http.ServerResponse, status: number, body: unknown): void {
    const payload = JSON.stringify(body);
    this.writeHead(res, status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(payload),
    });
    res.end(payload);
  }

  /** Sends an OpenAI-style error object. */
  private sendError(res: http.ServerResponse, status: number, body: OpenAiError): void {
    this.sendJson(res, status, body);
  }

  /** A delay in ms: the override header when allowed and present, else the configured one. */
  private delayFrom(req: http.IncomingMessage, header: string, configured: number): number {
    const raw = headerValue(req, header);
    if (!this.config.allowDelayOverride || raw === undefined) return configured;
    const value = /^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!(value >= 0 && value <= this.config.maxDelayMs)) {
      throw new RequestError(
        400,
        errorBody(
          `Invalid header ${header}: expected a whole number of milliseconds between 0 and ${this.config.maxDelayMs}.`,
          'invalid_request_error',
          header,
          'invalid_value',
        ),
      );
    }
    return value;
  }

  /**
   * Reads the whole body up to `maxBodyBytes`; a larger body (declared or actual) is a 413 and the
   * connection is closed after the answer, so the rest of the upload is never buffered.
   */
  private readBody(ex: Exchange): Promise<Buffer> {
    const { req } = ex;
    const limit = this.config.maxBodyBytes;
    const tooLarge = (): RequestError => {
      ex.res.setHeader('Connection', 'close');
      return new RequestError(
        413,
        errorBody(
          `Request body too large: the limit is ${limit} bytes.`,
          'invalid_request_error',
          null,
          'request_too_large',
        ),
      );
    };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return Promise.reject(tooLarge());
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      const onData = (chunk: Buffer): void => {
        ex.bytesIn += chunk.length;
        if (ex.bytesIn > limit) {
          req.off('data', onData);
          req.resume(); // discard the rest; the 413 closes the connection
          reject(tooLarge());
          return;
        }
        parts.push(chunk);
      };
      req.on('data', onData);
      req.once('end', () => resolve(Buffer.concat(parts)));
      req.once('error', reject);
    });
  }
}

/** The first value of a request header, if present. */
function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The client address: `X-Real-IP` as set by Kong (its trusted view), else the TCP peer. */
function clientIp(req: http.IncomingMessage): string | null {
  const real = headerValue(req, 'x-real-ip')?.trim();
  if (real !== undefined && CLIENT_IP_PATTERN.test(real)) return real;
  return req.socket.remoteAddress ?? null;
}

/** Waits for `drain`, or rejects when the exchange is aborted. */
function drained(res: http.ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      res.off('drain', onDrain);
      reject(signal.reason);
    };
    const onDrain = (): void => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    res.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
