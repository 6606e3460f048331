/**
 * A stand-in for the deployed gateway, on node:http and an ephemeral loopback port: key-auth on
 * the LLM prefix (`apikey` header, or `Authorization: Bearer` as the pre-function maps it),
 * per-consumer fixed-window rate limiting with Kong's headers, the placeholder's echo and SSE
 * completions behind it (what Kong would forward, credential removed, consumer headers added), and
 * a JSON catch-all 404, and issue 14's edge: the key guard (failed authentications from one client
 * get 429 after `guardLimit`, headers hidden), a JSON 400 for a key in the query string, every key
 * header stripped before the upstream, and nginx's 413 for a declared body above the limit
 * without `100 Continue`. Each `misbehave` flag breaks one of those the way a wrong configuration
 * would, so the smoke tool can be shown to catch it.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

/** One way the gateway can be misconfigured. */
export interface Misbehaviour {
  /** Answers 200 on the LLM routes without any key (key-auth missing). */
  readonly acceptsWithoutKey?: boolean;
  /** Accepts any key, valid or not (the wrong consumer, anonymous fallback). */
  readonly acceptsAnyKey?: boolean;
  /** Never limits (rate-limiting missing). */
  readonly neverLimits?: boolean;
  /** Sends this `Server` header on every response (e.g. "kong/3.9.3": KONG_HEADERS not set). */
  readonly serverHeader?: string;
  /** Sends Kong's latency headers (KONG_HEADERS left at its default). */
  readonly latencyHeaders?: boolean;
  /** Forwards the credential to the upstream (hide_credentials false). */
  readonly passesCredential?: boolean;
  /** Does not set X-Consumer-Username upstream. */
  readonly noConsumerHeader?: boolean;
  /** Answers unknown paths with a text 404 (no catch-all route). */
  readonly textNotFound?: boolean;
  /** Answers unknown paths with Kong's own JSON message. */
  readonly kongNotFound?: boolean;
  /** Sends the whole SSE stream in one write (response buffering on). */
  readonly bufferedStream?: boolean;
  /** Leaves `Retry-After` off the 429. */
  readonly noRetryAfter?: boolean;
  /** Leaves the RateLimit-* headers off (hide_client_headers true). */
  readonly hidesRateLimitHeaders?: boolean;
  /** Never throttles failed authentications (no key guard). */
  readonly noKeyGuard?: boolean;
  /** The key guard's 429 and 401s carry RateLimit headers (hide_client_headers false). */
  readonly guardShowsHeaders?: boolean;
  /** Ignores a key in the query string (and forwards it). */
  readonly keyInQueryIgnored?: boolean;
  /** Forwards a second key header (only the matched one stripped: hide_credentials alone). */
  readonly passesSecondKey?: boolean;
  /** Answers `100 Continue` to a declared body above the limit, then 417 (nginx above the plugin). */
  readonly continuesLargeBody?: boolean;
  /** Answers every request after this many milliseconds (a stuck gateway). */
  readonly hangMs?: number;
}

/** How the fake gateway behaves. */
export interface FakeGatewayOptions {
  /** Valid keys and their consumer. */
  readonly keys: Readonly<Record<string, string>>;
  /** Requests per window and consumer. @default 5 */
  readonly limit?: number;
  /** Extra requests admitted past the limit (`local` policy over several nodes). @default 0 */
  readonly overshoot?: number;
  /** Requests already counted in the current window when the server starts. @default 0 */
  readonly alreadyUsed?: number;
  /** The 429's Retry-After, in seconds. @default 42 */
  readonly retryAfterSeconds?: number;
  /** Counters reset this many ms after the first 429 (a window that ends). @default never */
  readonly windowResetMs?: number;
  /** Failed authentications one client may make per window before 429. @default 10 */
  readonly guardLimit?: number;
  /** Largest body in bytes. @default 8 MiB */
  readonly maxBodyBytes?: number;
  /** The misconfiguration to play. @default none */
  readonly misbehave?: Misbehaviour;
  /**
   * Base URL of a real upstream (the placeholder) to proxy the LLM routes to, streaming, as Kong
   * does with `response_buffering: false`. @default answer with a built-in echo and stream
   */
  readonly upstream?: string;
}

/** A running fake gateway. */
export interface FakeGateway {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Requests received, as `METHOD path`. */
  readonly requests: string[];
  close(): Promise<void>;
}

const PREFIX = '/llm';

/** Starts a fake gateway on 127.0.0.1 and an ephemeral port. */
export async function startFakeGateway(options: FakeGatewayOptions): Promise<FakeGateway> {
  const m = options.misbehave ?? {};
  const limit = options.limit ?? 5;
  const counts = new Map<string, number>();
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let firstLimitAt: number | undefined;
  for (const consumer of Object.values(options.keys)) counts.set(consumer, options.alreadyUsed ?? 0);
  let failures = 0;
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 2 ** 20;

  const server = http.createServer((req, res) => {
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      requests.push(`${req.method} ${new URL(req.url ?? '/', 'http://fake.invalid').pathname}`);
      json(res, 413, { message: 'Payload too large' }, { Connection: 'close' });
      req.socket.destroySoon();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const t = setTimeout(() => {
        timers.delete(t);
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      }, m.hangMs ?? 0);
      timers.add(t);
    });
  });

  // nginx decides on the declared length before anything is read (no 100 Continue over the limit).
  server.on('checkContinue', (req, res) => {
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      if (m.continuesLargeBody) {
        res.writeContinue();
        requests.push(`${req.method} ${new URL(req.url ?? '/', 'http://fake.invalid').pathname}`);
        json(res, 417, { message: 'Request size limit exceeded' });
        return;
      }
      server.emit('request', req, res);
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });

  function baseHeaders(): Record<string, string> {
    const h: Record<string, string> = { 'X-Kong-Request-Id': Math.random().toString(16).slice(2) };
    if (m.serverHeader) h.Server = m.serverHeader;
    if (m.latencyHeaders) {
      h['X-Kong-Upstream-Latency'] = '3';
      h['X-Kong-Proxy-Latency'] = '1';
    }
    return h;
  }

  function json(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    extra: Record<string, string> = {},
  ): void {
    res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'application/json; charset=utf-8', ...extra });
    res.end(JSON.stringify(body));
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    requests.push(`${req.method} ${url.pathname}`);
    if (!url.pathname.startsWith(`${PREFIX}/`)) {
      if (m.textNotFound) {
        res.writeHead(404, { ...baseHeaders(), 'Content-Type': 'text/html' });
        res.end('<html><body>404 Not Found</body></html>');
      } else if (m.kongNotFound) {
        json(res, 404, { message: 'no Route matched with those values', request_id: 'x' });
      } else {
        json(res, 404, { error: { message: 'Not found', type: 'not_found' } });
      }
      return;
    }

    // The global pre-function: no key in the URL; then the Bearer mapping; then key-auth.
    if (!m.keyInQueryIgnored && [...url.searchParams.keys()].some((k) => /^(apikey|x-api-key)$/i.test(k))) {
      json(res, 400, {
        message: 'API keys go in a header (apikey, x-api-key or Authorization: Bearer), never in the URL',
      });
      return;
    }
    const headers = { ...req.headers };
    const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
    if (bearer) {
      headers.apikey = bearer[1];
      delete headers.authorization;
    }
    const keyHeader = (['apikey', 'x-api-key'] as const).find((h) => typeof headers[h] === 'string');
    const presented = keyHeader ? (headers[keyHeader] as string) : undefined;
    let consumer = presented !== undefined ? options.keys[presented] : undefined;
    if (consumer === undefined && presented !== undefined && m.acceptsAnyKey) consumer = 'anonymous';
    if (consumer === undefined && !m.acceptsWithoutKey) {
      // The key guard: counted per client, 429 past the limit, its headers hidden.
      failures += 1;
      const shown: Record<string, string> = m.guardShowsHeaders
        ? { 'RateLimit-Limit': String(options.guardLimit ?? 10) }
        : {};
      if (!m.noKeyGuard && failures > (options.guardLimit ?? 10)) {
        json(res, 429, { message: 'Too many requests without a valid API key' }, shown);
        return;
      }
      json(
        res,
        401,
        { message: presented === undefined ? 'No API key found in request' : 'Unauthorized' },
        { 'WWW-Authenticate': 'Key', ...shown },
      );
      return;
    }

    // Rate limiting, per consumer.
    const rl: Record<string, string> = {};
    if (consumer !== undefined && !m.neverLimits) {
      const used = (counts.get(consumer) ?? 0) + 1;
      counts.set(consumer, used);
      const remaining = Math.max(0, limit - used);
      if (!m.hidesRateLimitHeaders) {
        Object.assign(rl, {
          'RateLimit-Limit': String(limit),
          'RateLimit-Remaining': String(remaining),
          'RateLimit-Reset': '42',
          'X-RateLimit-Limit-Minute': String(limit),
          'X-RateLimit-Remaining-Minute': String(remaining),
        });
      }
      if (used > limit + (options.overshoot ?? 0)) {
        if (firstLimitAt === undefined && options.windowResetMs !== undefined) {
          firstLimitAt = Date.now();
          const t = setTimeout(() => {
            timers.delete(t);
            for (const c of counts.keys()) counts.set(c, 0);
          }, options.windowResetMs);
          timers.add(t);
        }
        const extra: Record<string, string> = {
          ...rl,
          'RateLimit-Remaining': '0',
          'X-RateLimit-Remaining-Minute': '0',
        };
        if (m.hidesRateLimitHeaders)
          for (const k of Object.keys(extra)) delete extra[k as keyof typeof extra];
        if (!m.noRetryAfter) extra['Retry-After'] = String(options.retryAfterSeconds ?? 42);
        json(res, 429, { message: 'API rate limit exceeded' }, extra);
        return;
      }
    }

    // What Kong forwards upstream.
    const upstream: Record<string, string | string[] | undefined> = { ...headers, via: '1.1 kong/3.9.3' };
    if (!m.passesCredential) {
      if (m.passesSecondKey) delete upstream[keyHeader!];
      else for (const h of ['apikey', 'x-api-key', 'authorization']) delete upstream[h];
    } else if (bearer) upstream.authorization = req.headers.authorization;
    if (consumer !== undefined && !m.noConsumerHeader) {
      upstream['x-consumer-username'] = consumer;
      upstream['x-consumer-id'] = '7c0e6b9a-0000-4000-8000-000000000000';
    }
    const path = url.pathname.slice(PREFIX.length);
    if (options.upstream) {
      proxy(req, res, options.upstream + path + url.search, upstream, body, rl);
      return;
    }
    if (path === '/v1/echo') {
      json(res, 200, { method: req.method, path, query: {}, headers: upstream, body: body || null }, rl);
      return;
    }
    if (path === '/v1/chat/completions' && req.method === 'POST') {
      stream(res, rl);
      return;
    }
    json(
      res,
      404,
      { error: { message: `Invalid URL (${req.method} ${path})`, type: 'invalid_request_error' } },
      rl,
    );
  }

  function proxy(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: string,
    headers: Record<string, string | string[] | undefined>,
    body: string,
    rl: Record<string, string>,
  ): void {
    const forwarded: http.OutgoingHttpHeaders = {
      ...headers,
      host: new URL(target).host,
      connection: 'close',
    };
    delete forwarded['content-length'];
    delete forwarded['transfer-encoding'];
    if (body) forwarded['content-length'] = Buffer.byteLength(body);
    const out = http.request(target, { method: req.method, headers: forwarded, agent: false }, (up) => {
      const h: http.OutgoingHttpHeaders = { ...up.headers, ...baseHeaders(), ...rl };
      delete h.connection;
      delete h['keep-alive'];
      res.writeHead(up.statusCode ?? 502, h);
      if (m.bufferedStream) {
        const parts: Buffer[] = [];
        up.on('data', (c: Buffer) => parts.push(c));
        up.on('end', () => res.end(Buffer.concat(parts)));
      } else {
        up.pipe(res);
      }
    });
    out.on('error', (err) => json(res, 502, { message: `upstream: ${err.message}` }));
    out.end(body || undefined);
  }

  function stream(res: http.ServerResponse, rl: Record<string, string>): void {
    res.writeHead(200, { ...baseHeaders(), ...rl, 'Content-Type': 'text/event-stream; charset=utf-8' });
    const events = ['Hello', ' from', ' the', ' fake'].map(
      (content) =>
        `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ delta: { content } }] })}\n\n`,
    );
    events.push('data: [DONE]\n\n');
    if (m.bufferedStream) {
      res.end(events.join(''));
      return;
    }
    let i = 0;
    const next = (): void => {
      res.write(events[i++]);
      if (i === events.length) {
        res.end();
        return;
      }
      const t = setTimeout(() => {
        timers.delete(t);
        next();
      }, 25);
      timers.add(t);
    };
    next();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
