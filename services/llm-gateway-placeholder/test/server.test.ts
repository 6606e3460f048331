import * as http from 'node:http';
import { chat, chatStream, HELLO, send, since, start, type Started } from './support';

interface Completion {
  id: string;
  object: string;
  model: string;
  choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
interface Chunk {
  object: string;
  choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[];
  usage?: { completion_tokens: number };
}
interface ErrorObject {
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe('placeholder over real HTTP (defaults, ephemeral port)', () => {
  let s: Started;
  beforeAll(async () => {
    // Delay overrides on, as a stage that asks for them (the tests below provoke delays).
    s = await start({ maxBodyBytes: 64 * 1024, allowDelayOverride: true });
  });
  afterAll(async () => {
    await s.server.close();
  });

  describe('GET /healthz', () => {
    it('answers 200 {"status":"ok"}', async () => {
      const reply = await send(s.port, '/healthz');
      expect(reply.status).toBe(200);
      expect(reply.json()).toEqual({ status: 'ok' });
    });

    it('answers HEAD without a body', async () => {
      const reply = await send(s.port, '/healthz', { method: 'HEAD' });
      expect(reply.status).toBe(200);
      expect(reply.text).toBe('');
    });
  });

  it('GET /v1/models lists the configured models in the OpenAI list shape', async () => {
    const reply = await send(s.port, '/v1/models');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.json()).toEqual({
      object: 'list',
      data: [{ id: 'placeholder-1', object: 'model', created: 0, owned_by: 'placeholder' }],
    });
  });

  describe('POST /v1/chat/completions (non-streaming)', () => {
    it('answers a chat.completion with deterministic content and usage', async () => {
      const reply = await chat(s.port, HELLO);
      expect(reply.status).toBe(200);
      const body = reply.json<Completion>();
      expect(body.object).toBe('chat.completion');
      expect(body.model).toBe('placeholder-1');
      expect(body.id).toMatch(/^chatcmpl-/);
      expect(body.choices).toEqual([
        expect.objectContaining({
          index: 0,
          message: expect.objectContaining({
            role: 'assistant',
            content: 'Placeholder reply to: Hello there, Kong',
          }),
          finish_reason: 'stop',
        }),
      ]);
      expect(body.usage).toEqual({ prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });
    });

    it('gives the same content for the same messages', async () => {
      const [a, b] = await Promise.all([chat(s.port, HELLO), chat(s.port, HELLO)]);
      expect(a.json<Completion>().choices[0].message).toEqual(b.json<Completion>().choices[0].message);
    });

    it('uses the last user message, including text parts of a content array', async () => {
      const reply = await chat(s.port, {
        model: 'any-model',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: [{ type: 'text', text: 'second question' }] },
        ],
      });
      const body = reply.json<Completion>();
      expect(body.model).toBe('any-model');
      expect(body.choices[0].message.content).toBe('Placeholder reply to: second question');
    });

    it('stops at max_tokens with finish_reason "length"', async () => {
      const body = (await chat(s.port, { ...HELLO, max_tokens: 2 })).json<Completion>();
      expect(body.choices[0].message.content).toBe('Placeholder reply');
      expect(body.choices[0].finish_reason).toBe('length');
      expect(body.usage.completion_tokens).toBe(2);
    });

    it('uses the Kong request id in the completion id', async () => {
      const body = (await chat(s.port, HELLO, { 'x-kong-request-id': 'abc123' })).json<Completion>();
      expect(body.id).toBe('chatcmpl-abc123');
    });
  });

  describe('POST /v1/chat/completions with "stream": true', () => {
    it('sends chunks as server-sent events that add up to the non-streaming content, then [DONE]', async () => {
      // GIVEN a chunk delay, so each chunk leaves the server on its own
      const reply = await chatStream(
        s.port,
        { ...HELLO, stream: true },
        { 'x-placeholder-chunk-delay-ms': '25' },
      );
      // THEN the response is an event stream
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(reply.headers['cache-control']).toBe('no-cache');
      expect(reply.outcome).toBe('end');
      // AND it ends with the [DONE] terminator
      const data = reply.events.map((e) => e.data);
      expect(data[data.length - 1]).toBe('[DONE]');
      // AND several chunks arrived, spread over time (they were not buffered into one write)
      const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Chunk);
      expect(chunks.length).toBeGreaterThanOrEqual(5);
      const arrival = reply.events[reply.events.length - 1].at - reply.events[0].at;
      expect(arrival).toBeGreaterThanOrEqual(25 * (reply.events.length - 2));
      // AND the first delta carries the role, the last one the finish reason
      expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
      // AND the deltas concatenate to the same content as the non-streaming answer
      const streamed = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      const whole = (await chat(s.port, HELLO)).json<Completion>().choices[0].message.content;
      expect(streamed).toBe(whole);
    });

    it('ends with a usage chunk when stream_options.include_usage is set', async () => {
      const reply = await chatStream(s.port, {
        ...HELLO,
        stream: true,
        stream_options: { include_usage: true },
      });
      const data = reply.events.map((e) => e.data);
      expect(data[data.length - 1]).toBe('[DONE]');
      const usage = JSON.parse(data[data.length - 2]) as Chunk;
      expect(usage.choices).toEqual([]);
      expect(usage.usage?.completion_tokens).toBe(6);
    });
  });

  describe('artificial latency', () => {
    it('delays the answer by X-Placeholder-Latency-Ms', async () => {
      const t0 = Date.now();
      const reply = await chat(s.port, HELLO, { 'x-placeholder-latency-ms': '200' });
      expect(reply.status).toBe(200);
      expect(since(t0)).toBeGreaterThanOrEqual(195);
    });

    it('rejects an override above the delay cap with 400 naming the header', async () => {
      const reply = await chat(s.port, HELLO, { 'x-placeholder-latency-ms': '999999999' });
      expect(reply.status).toBe(400);
      expect(reply.json<ErrorObject>().error).toEqual(
        expect.objectContaining({ param: 'x-placeholder-latency-ms', code: 'invalid_value' }),
      );
    });
  });

  describe('GET|POST /v1/echo', () => {
    it('returns the request line, query, headers and body it received', async () => {
      const reply = await send(s.port, '/v1/echo?model=a&tag=x&tag=y', {
        method: 'POST',
        headers: { 'x-consumer-username': 'acme-app', 'content-type': 'text/plain' },
        body: 'ping',
      });
      expect(reply.status).toBe(200);
      const body = reply.json<{
        method: string;
        path: string;
        request_line: string;
        query: Record<string, unknown>;
        headers: Record<string, string>;
        body: string;
      }>();
      expect(body.method).toBe('POST');
      expect(body.path).toBe('/v1/echo');
      expect(body.request_line).toBe('POST /v1/echo?model=a&tag=x&tag=y HTTP/1.1');
      expect(body.query).toEqual({ model: 'a', tag: ['x', 'y'] });
      expect(body.headers['x-consumer-username']).toBe('acme-app');
      expect(body.headers).not.toHaveProperty('authorization');
      expect(body.body).toBe('ping');
    });

    it('takes the client address from X-Real-IP (set by Kong), else the TCP peer', async () => {
      const viaKong = (await send(s.port, '/v1/echo', { headers: { 'x-real-ip': '203.0.113.7' } })).json();
      expect(viaKong.client_ip).toBe('203.0.113.7');
      const direct = (await send(s.port, '/v1/echo', { headers: { 'x-real-ip': 'not an ip' } })).json();
      expect(direct.client_ip).toBe('127.0.0.1');
    });
  });

  describe('errors: OpenAI-style error objects', () => {
    const expectError = (reply: {
      status: number;
      text: string;
      headers: http.IncomingHttpHeaders;
    }): ErrorObject => {
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(reply.text) as ErrorObject;
      expect(Object.keys(body)).toEqual(['error']);
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(typeof body.error.message).toBe('string');
      return body;
    };

    it('400 for malformed JSON', async () => {
      const reply = await chat(s.port, '{"model": "x", "messages": [');
      expect(reply.status).toBe(400);
      expect(expectError(reply).error).toEqual(
        expect.objectContaining({ type: 'invalid_request_error', code: 'invalid_json', param: null }),
      );
    });

    it('400 for a body that is JSON but not an object', async () => {
      const reply = await chat(s.port, '[1,2]');
      expect(reply.status).toBe(400);
      expect(expectError(reply).error.code).toBe('invalid_json');
    });

    it('400 naming "messages" when it is missing', async () => {
      const reply = await chat(s.port, { model: 'placeholder-1' });
      expect(reply.status).toBe(400);
      expect(expectError(reply).error).toEqual({
        message: "Missing required parameter: 'messages'.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'missing_required_parameter',
      });
    });

    it.each([
      ['messages is not an array', { model: 'm', messages: 'hi' }, 'messages'],
      ['messages is empty', { model: 'm', messages: [] }, 'messages'],
      [
        'a message has an unknown role',
        { model: 'm', messages: [{ role: 'robot', content: 'x' }] },
        'messages[0].role',
      ],
      ['model is missing', { messages: [{ role: 'user', content: 'x' }] }, 'model'],
      ['stream is not a boolean', { ...HELLO, stream: 'yes' }, 'stream'],
      ['max_tokens is not a positive integer', { ...HELLO, max_tokens: 0 }, 'max_tokens'],
    ])('400 when %s', async (_case, body, param) => {
      const reply = await chat(s.port, body);
      expect(reply.status).toBe(400);
      expect(expectError(reply).error.param).toBe(param);
    });

    it('413 for a declared Content-Length above the limit, and closes the connection', async () => {
      const reply = await chat(s.port, { ...HELLO, padding: 'x'.repeat(4 * 1024 * 1024) });
      expect(reply.status).toBe(413);
      expect(reply.headers.connection).toBe('close');
      expect(expectError(reply).error.code).toBe('request_too_large');
    });

    it('413 for a chunked body that grows past the limit', async () => {
      const reply = await send(s.port, '/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...HELLO, padding: 'x'.repeat(4 * 1024 * 1024) }),
        chunked: true,
      });
      expect(reply.status).toBe(413);
      expect(expectError(reply).error.code).toBe('request_too_large');
    });

    it('accepts a body just under the limit', async () => {
      const body = JSON.stringify({ ...HELLO, padding: '' });
      const padded = body.replace('"padding":""', `"padding":"${'x'.repeat(64 * 1024 - body.length)}"`);
      expect(Buffer.byteLength(padded)).toBe(64 * 1024);
      expect((await chat(s.port, padded)).status).toBe(200);
    });

    it('404 for an unknown path', async () => {
      const reply = await send(s.port, '/v1/completions-typo', { method: 'POST', body: '{}' });
      expect(reply.status).toBe(404);
      expect(expectError(reply).error).toEqual(
        expect.objectContaining({ message: 'Invalid URL (POST /v1/completions-typo)', code: 'unknown_url' }),
      );
    });

    it.each([
      ['GET', '/v1/chat/completions', 'POST'],
      ['DELETE', '/v1/models', 'GET'],
      ['POST', '/healthz', 'GET, HEAD'],
    ])('405 with Allow for %s %s', async (method, path, allow) => {
      const reply = await send(s.port, path, { method });
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe(allow);
      expect(expectError(reply).error.code).toBe('method_not_allowed');
    });
  });
});

describe('delay overrides by default (PLACEHOLDER_ALLOW_DELAY_OVERRIDE unset)', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('ignores X-Placeholder-Latency-Ms: a client cannot hold the connection open', async () => {
    // GIVEN the defaults WHEN a client asks for a 5 s delay
    const t0 = Date.now();
    const reply = await chat(s.port, HELLO, { 'x-placeholder-latency-ms': '5000' });
    // THEN it is answered at once
    expect(reply.status).toBe(200);
    expect(since(t0)).toBeLessThan(1000);
  });

  it('ignores X-Placeholder-Chunk-Delay-Ms on a stream', async () => {
    const t0 = Date.now();
    const reply = await chatStream(
      s.port,
      { ...HELLO, stream: true },
      { 'x-placeholder-chunk-delay-ms': '1000' },
    );
    expect(reply.outcome).toBe('end');
    expect(since(t0)).toBeLessThan(1000);
  });
});

describe('configured latency and chunk delay', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start({ latencyMs: 150, chunkDelayMs: 20, allowDelayOverride: false });
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('waits PLACEHOLDER_LATENCY_MS before answering', async () => {
    const t0 = Date.now();
    expect((await chat(s.port, HELLO)).status).toBe(200);
    expect(since(t0)).toBeGreaterThanOrEqual(145);
  });

  it('spaces streamed chunks by PLACEHOLDER_CHUNK_DELAY_MS', async () => {
    const reply = await chatStream(s.port, { ...HELLO, stream: true });
    const gaps = reply.events.slice(1).map((e, i) => e.at - reply.events[i].at);
    expect(gaps.length).toBeGreaterThanOrEqual(5);
    // Timers never fire early; 10 ms of slack covers event-loop jitter on a loaded machine.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(10);
  });

  it('ignores the override headers when overrides are disabled', async () => {
    const t0 = Date.now();
    const reply = await chat(s.port, HELLO, { 'x-placeholder-latency-ms': 'not-a-number' });
    expect(reply.status).toBe(200);
    expect(since(t0)).toBeLessThan(1000);
  });
});

describe('request logs', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start({ allowDelayOverride: true });
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('writes one line per request with method, path, status, duration, Kong request id, client, consumer', async () => {
    await chat(s.port, HELLO, {
      'x-kong-request-id': 'req-1',
      'x-real-ip': '198.51.100.4',
      'x-consumer-username': 'acme-app',
    });
    await send(s.port, '/nope');
    const lines = s.logger.requests();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual(
      expect.objectContaining({
        level: 'info',
        method: 'POST',
        path: '/v1/chat/completions',
        status: 200,
        request_id: 'req-1',
        client_ip: '198.51.100.4',
        consumer: 'acme-app',
        stream: false,
        completed: true,
      }),
    );
    expect(typeof lines[0].duration_ms).toBe('number');
    expect(lines[1]).toEqual(expect.objectContaining({ method: 'GET', path: '/nope', status: 404 }));
  });

  it('never logs credentials: no Authorization, apikey or X-API-Key value, no query string', async () => {
    // GIVEN requests carrying secrets in every place a client might put them
    const secrets = ['Bearer sk-live-AAA', 'key-BBB', 'key-CCC', 'key-DDD'];
    await send(s.port, '/v1/echo?apikey=key-DDD', {
      headers: { authorization: secrets[0], apikey: secrets[1], 'x-api-key': secrets[2] },
    });
    await chat(s.port, HELLO, { authorization: secrets[0], apikey: secrets[1], 'x-api-key': secrets[2] });
    // THEN none of them appears in any log line
    const all = s.logger.raw.join('\n');
    expect(s.logger.requests().length).toBeGreaterThanOrEqual(2);
    for (const secret of ['sk-live-AAA', 'key-BBB', 'key-CCC', 'key-DDD']) {
      expect(all).not.toContain(secret);
    }
  });

  it('logs a stream the client abandoned as not completed, and stops serving it', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: s.port,
          path: '/v1/chat/completions',
          method: 'POST',
          agent: false,
          headers: { 'x-placeholder-chunk-delay-ms': '200', 'x-kong-request-id': 'gone' },
        },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      req.end(JSON.stringify({ ...HELLO, stream: true }));
      setTimeout(() => reject(new Error('no first chunk')), 2000).unref();
    });
    await waitFor(() => s.logger.requests().some((l) => l.request_id === 'gone'));
    const line = s.logger.requests().find((l) => l.request_id === 'gone');
    expect(line).toEqual(expect.objectContaining({ level: 'warn', completed: false, stream: true }));
    expect(s.server.inFlightCount).toBe(0);
  });
});

describe('a client that leaves mid-upload', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('is logged as not completed, without an error and without a response attempt', async () => {
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port: s.port,
        path: '/v1/chat/completions',
        method: 'POST',
        agent: false,
        headers: { 'content-length': '100000', 'x-kong-request-id': 'half' },
      });
      req.on('error', () => resolve());
      req.write('{"model":"m","messages":[');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await waitFor(() => s.logger.requests().some((l) => l.request_id === 'half'));
    expect(s.logger.requests().find((l) => l.request_id === 'half')).toEqual(
      expect.objectContaining({ completed: false, bytes_in: 25 }),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(s.logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(s.server.inFlightCount).toBe(0);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const t0 = Date.now();
  while (!condition()) {
    if (since(t0) > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
