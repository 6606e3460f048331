/**
 * The smoke test's one HTTP primitive, on node:http / node:https only (no dependency). Every
 * request has a timeout, reads a bounded body, records each body read separately (so a test can
 * tell a stream that arrived in pieces from one that arrived at once) and never reuses a
 * connection (no keep-alive: each check sees the gateway as a fresh client does).
 */
import * as http from 'http';
import * as https from 'https';

/** What one request returned. */
export interface SmokeResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Response headers, names lower-cased (node's form). */
  readonly headers: http.IncomingHttpHeaders;
  /** The whole body as text (cut at `maxBodyBytes`). */
  readonly body: string;
  /** The body as it arrived: one entry per network read, with the time since the request started. */
  readonly reads: readonly { readonly text: string; readonly atMs: number }[];
  /** Method and path, for messages. */
  readonly request: string;
}

/** One request. */
export interface SmokeRequest {
  readonly method: 'GET' | 'POST';
  /** Absolute URL. */
  readonly url: URL;
  /** Request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Request body (JSON text). */
  readonly body?: string;
  /** Give up after this many milliseconds (connect + whole response). */
  readonly timeoutMs: number;
  /** Stop reading after this many bytes. @default 1 MiB */
  readonly maxBodyBytes?: number;
}

/** A request that did not produce a response (refused, timed out, reset). */
export class SmokeRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmokeRequestError';
  }
}

/** Sends one request and resolves with the full response, or rejects with a `SmokeRequestError`. */
export function send(req: SmokeRequest): Promise<SmokeResponse> {
  const maxBodyBytes = req.maxBodyBytes ?? 1024 * 1024;
  const client = req.url.protocol === 'https:' ? https : http;
  const label = `${req.method} ${req.url.pathname}`;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      reject(new SmokeRequestError(`${label}: ${message}`));
    };
    const headers: Record<string, string> = { Connection: 'close', ...req.headers };
    if (req.body !== undefined) {
      headers['Content-Type'] ??= 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(req.body));
    }
    const outgoing = client.request(req.url, { method: req.method, headers, agent: false }, (res) => {
      const reads: { text: string; atMs: number }[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (bytes >= maxBodyBytes) return;
        const part = chunk.subarray(0, maxBodyBytes - bytes);
        bytes += part.length;
        reads.push({ text: part.toString('utf8'), atMs: Date.now() - started });
        if (bytes >= maxBodyBytes) res.destroy();
      });
      const done = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: reads.map((r) => r.text).join(''),
          reads,
          request: label,
        });
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', (err) => fail(`response failed: ${err.message}`));
    });
    const timer = setTimeout(() => fail(`no complete response within ${req.timeoutMs} ms`), req.timeoutMs);
    outgoing.on('error', (err) => fail(err.message));
    outgoing.end(req.body);
  });
}

/** A header's value as one string (joined when repeated), or undefined. */
export function header(res: SmokeResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** What a declared-but-unsent body got. */
export interface DeclaredBodyResult {
  /** `100 Continue` came before the final answer (from the gateway, or a proxy in front of it). */
  readonly continued: boolean;
  /** The final answer. */
  readonly response: SmokeResponse;
}

/**
 * Sends a POST that DECLARES `contentLength` bytes with `Expect: 100-continue` and never sends the
 * body: a gateway whose body limit is below `contentLength` answers at once (nginx: 413), without
 * `100 Continue`, so the check costs a few hundred bytes whatever the limit.
 */
export function sendDeclaredBody(
  url: URL,
  contentLength: number,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<DeclaredBodyResult> {
  const client = url.protocol === 'https:' ? https : http;
  const label = `POST ${url.pathname}`;
  return new Promise((resolve, reject) => {
    let continued = false;
    let settled = false;
    const finish = (result: DeclaredBodyResult | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const outgoing = client.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          Connection: 'close',
          'Content-Type': 'application/json',
          ...headers,
          'Content-Length': String(contentLength),
          Expect: '100-continue',
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        const done = (): void =>
          finish({
            continued,
            response: {
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(parts)
                .toString('utf8')
                .slice(0, 64 * 1024),
              reads: [],
              request: label,
            },
          });
        res.on('end', done);
        res.on('close', done);
      },
    );
    // The gateway (or a proxy before it: the ALB) invites the body; keep waiting for the final
    // answer without sending it: Kong behind a proxy still answers 413 on the declared length.
    outgoing.on('continue', () => {
      continued = true;
    });
    outgoing.on('error', (err) => finish(new SmokeRequestError(`${label}: ${err.message}`)));
    const timer = setTimeout(
      () =>
        finish(
          new SmokeRequestError(
            `${label}: no answer to the declared body within ${timeoutMs} ms${continued ? ' after 100 Continue (the limit is not enforced on the declared length)' : ''}`,
          ),
        ),
      timeoutMs,
    );
    outgoing.flushHeaders();
  });
}
