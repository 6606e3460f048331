/** Test helpers: a started server on an ephemeral loopback port, a raw HTTP client, a log capture. */
import * as http from 'node:http';
import { DEFAULT_CONFIG, type PlaceholderConfig } from '../src/config';
import type { Logger, LogFields, LogLevel } from '../src/logger';
import { PlaceholderServer } from '../src/server';

/** One captured log line. */
export interface LogLine extends LogFields {
  readonly level: LogLevel;
  readonly msg: string;
}

/** A logger that keeps its lines in memory, serialised exactly as the real one would write them. */
export class CapturingLogger implements Logger {
  readonly lines: LogLine[] = [];
  readonly raw: string[] = [];
  log(level: LogLevel, msg: string, fields: LogFields = {}): void {
    const line = JSON.stringify({ level, msg, ...fields });
    this.raw.push(line);
    this.lines.push(JSON.parse(line) as LogLine);
  }
  requests(): LogLine[] {
    return this.lines.filter((l) => l.msg === 'request');
  }
}

/** A placeholder listening on 127.0.0.1:<ephemeral>. */
export interface Started {
  readonly server: PlaceholderServer;
  readonly port: number;
  readonly logger: CapturingLogger;
}

/** Starts a placeholder with the defaults overridden by `overrides`, on an ephemeral port. */
export async function start(overrides: Partial<PlaceholderConfig> = {}): Promise<Started> {
  const logger = new CapturingLogger();
  const server = new PlaceholderServer(
    { ...DEFAULT_CONFIG, host: '127.0.0.1', port: 0, ...overrides },
    logger,
  );
  const address = await server.listen();
  return { server, port: address.port, logger };
}

/** A whole response. */
export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON (throws if it is not JSON). */
  json<T = Record<string, unknown>>(): T;
}

/** Options of {@link send}. */
export interface SendOptions {
  readonly method?: string;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body?: string | Buffer;
  /** Send the body with chunked encoding (no Content-Length). */
  readonly chunked?: boolean;
  readonly agent?: http.Agent | false;
}

/** Sends one request on a fresh connection (unless an agent is given) and reads the whole answer. */
export function send(port: number, path: string, options: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...options.headers };
    if (options.body !== undefined && !options.chunked) {
      headers['content-length'] = Buffer.byteLength(options.body);
    }
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
        headers,
        agent: options.agent ?? false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Posts a chat completion body (object or raw string). */
export function chat(
  port: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
  agent?: http.Agent,
): Promise<Reply> {
  return send(port, '/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    agent,
  });
}

/** One server-sent event as received, with the time it arrived. */
export interface SseEvent {
  readonly data: string;
  readonly at: number;
}

/** A streamed response: its events in order, and how the stream ended. */
export interface StreamReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly events: SseEvent[];
  /** 'end' when the server finished the response, 'aborted' when the connection dropped. */
  readonly outcome: 'end' | 'aborted';
}

/**
 * Posts a streaming chat completion and collects its events as they arrive. `onEvent` runs after
 * each event (e.g. to send SIGTERM once the stream has started).
 */
export function chatStream(
  port: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
  onEvent?: (event: SseEvent, index: number) => void,
): Promise<StreamReply> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/chat/completions',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
        agent: false,
      },
      (res) => {
        const events: SseEvent[] = [];
        let buffer = '';
        let settled = false;
        const finish = (outcome: 'end' | 'aborted'): void => {
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, events, outcome });
        };
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          buffer += text;
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n');
            const event = { data, at: Date.now() };
            events.push(event);
            onEvent?.(event, events.length - 1);
            cut = buffer.indexOf('\n\n');
          }
        });
        res.on('end', () => finish(res.complete ? 'end' : 'aborted'));
        res.on('aborted', () => finish('aborted'));
        res.on('error', () => finish('aborted'));
        res.on('close', () => finish(res.complete ? 'end' : 'aborted'));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A minimal valid chat-completion body. */
export const HELLO = { model: 'placeholder-1', messages: [{ role: 'user', content: 'Hello there, Kong' }] };

/** Milliseconds since `t0`. */
export const since = (t0: number): number => Date.now() - t0;
