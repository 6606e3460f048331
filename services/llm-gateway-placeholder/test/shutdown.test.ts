import * as http from 'node:http';
import { chat, chatStream, HELLO, send, since, start } from './support';

interface Chunk {
  choices: { delta: { content?: string } }[];
}

describe('graceful shutdown (PlaceholderServer.close, what SIGTERM calls)', () => {
  it('without an accept window, lets an in-flight stream finish with [DONE] while refusing new connections', async () => {
    // GIVEN a stream in flight (7 chunks, 60 ms apart)
    const s = await start({ chunkDelayMs: 60, shutdownTimeoutMs: 5000 });
    let closing: ReturnType<typeof s.server.close> | undefined;
    let refused: Promise<unknown> | undefined;
    const stream = chatStream(s.port, { ...HELLO, stream: true }, {}, (_event, index) => {
      if (index === 0) {
        // WHEN shutdown starts right after the first chunk
        closing = s.server.close();
        refused = send(s.port, '/healthz').then(
          () => 'answered',
          (err: NodeJS.ErrnoException) => err.code,
        );
      }
    });
    const reply = await stream;
    // THEN the stream still ran to its end
    expect(reply.outcome).toBe('end');
    const data = reply.events.map((e) => e.data);
    expect(data[data.length - 1]).toBe('[DONE]');
    const content = data
      .slice(0, -1)
      .map((d) => (JSON.parse(d) as Chunk).choices[0]?.delta.content ?? '')
      .join('');
    expect(content).toBe('Placeholder reply to: Hello there, Kong');
    // AND a new connection made during the drain was refused
    expect(await refused).toBe('ECONNREFUSED');
    // AND the shutdown reports a clean drain of the one request
    expect(await closing).toEqual(expect.objectContaining({ drained: true, inFlightAtStart: 1, cutOff: 0 }));
  });

  it('cuts off what is still running at the shutdown timeout (bounded drain)', async () => {
    // GIVEN a slow stream (1 s per chunk) and a 300 ms shutdown bound
    const s = await start({ chunkDelayMs: 1000, shutdownTimeoutMs: 300 });
    let closing: ReturnType<typeof s.server.close> | undefined;
    let t0 = 0;
    const reply = await chatStream(s.port, { ...HELLO, stream: true }, {}, (_event, index) => {
      if (index === 0) {
        t0 = Date.now();
        closing = s.server.close();
      }
    });
    const result = await closing;
    // THEN the shutdown ends near its bound, reporting the request it cut off
    expect(since(t0)).toBeLessThan(1500);
    expect(result).toEqual(expect.objectContaining({ drained: false, inFlightAtStart: 1, cutOff: 1 }));
    expect(result?.durationMs).toBeGreaterThanOrEqual(290);
    // AND the client saw the stream break off without [DONE]
    expect(reply.outcome).toBe('aborted');
    expect(reply.events.map((e) => e.data)).not.toContain('[DONE]');
  });

  it('does not wait for idle keep-alive connections (75 s keep-alive does not delay the stop)', async () => {
    // GIVEN a client holding an idle keep-alive connection
    const s = await start({ shutdownTimeoutMs: 10_000 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await send(s.port, '/healthz', { agent })).status).toBe(200);
    // WHEN the server shuts down
    const t0 = Date.now();
    const result = await s.server.close();
    // THEN it stops at once and reports a clean drain
    expect(since(t0)).toBeLessThan(1000);
    expect(result).toEqual(expect.objectContaining({ drained: true, inFlightAtStart: 0 }));
    agent.destroy();
  });

  it('answers requests already on a kept-alive connection during the drain with Connection: close', async () => {
    // GIVEN a keep-alive connection with a slow request in flight
    const s = await start({ shutdownTimeoutMs: 5000, allowDelayOverride: true });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const slow = send(s.port, '/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify(HELLO),
      headers: { 'x-placeholder-latency-ms': '200' },
      agent,
    });
    await new Promise((r) => setTimeout(r, 50));
    // WHEN shutdown starts
    const closing = s.server.close();
    // THEN the in-flight request is answered, telling the client not to reuse the connection
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.headers.connection).toBe('close');
    expect((await closing).drained).toBe(true);
    agent.destroy();
  });

  it('keeps the listener open for the accept window: /healthz says 503, new requests are served', async () => {
    // GIVEN a placeholder that keeps accepting for 600 ms after SIGTERM (the DNS TTL plus a margin)
    const s = await start({ shutdownAcceptMs: 600, shutdownTimeoutMs: 3000 });
    // WHEN shutdown starts
    const closing = s.server.close();
    // THEN a fresh connection still gets answers: the health check fails, so Cloud Map and ECS see
    // the task going, while a client holding the cached address is still served
    const health = await send(s.port, '/healthz');
    expect(health.status).toBe(503);
    expect(health.json()).toEqual({ status: 'draining' });
    const served = await chat(s.port, HELLO);
    expect(served.status).toBe(200);
    // AND it asks the client not to reuse the connection
    expect(served.headers.connection).toBe('close');
    // AND once the window is over the listener closes and the shutdown reports what it served
    const result = await closing;
    expect(result).toEqual(
      expect.objectContaining({ drained: true, inFlightAtStart: 0, cutOff: 0, acceptedDuringDrain: 2 }),
    );
    expect(result.durationMs).toBeGreaterThanOrEqual(590);
    await expect(send(s.port, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('finishes a stream accepted during the window after the listener closed, within the drain limit', async () => {
    // GIVEN a 300 ms accept window and a 5 s drain limit
    const s = await start({ chunkDelayMs: 100, shutdownAcceptMs: 300, shutdownTimeoutMs: 5000 });
    const closing = s.server.close();
    let refusedAfterWindow: Promise<unknown> | undefined;
    // WHEN a stream starts inside the window (7 chunks, 100 ms apart: it outlives the window)
    const t0 = Date.now();
    const reply = await chatStream(s.port, { ...HELLO, stream: true }, {}, (_event, index) => {
      if (index === 4) {
        // by now (>= 400 ms) the window is over
        refusedAfterWindow = send(s.port, '/healthz').then(
          () => 'answered',
          (err: NodeJS.ErrnoException) => err.code,
        );
      }
    });
    // THEN the stream ran to [DONE] though the listener closed under it
    expect(reply.outcome).toBe('end');
    expect(reply.events[reply.events.length - 1]!.data).toBe('[DONE]');
    expect(since(t0)).toBeGreaterThanOrEqual(300);
    // AND new connections were refused once the window was over
    expect(await refusedAfterWindow).toBe('ECONNREFUSED');
    expect(await closing).toEqual(
      expect.objectContaining({ drained: true, cutOff: 0, acceptedDuringDrain: 1 }),
    );
  });

  it('cuts off a stream accepted during the window that outlives the drain limit', async () => {
    // GIVEN a 200 ms window and a 600 ms drain limit, and a stream of 7 x 1 s chunks begun in the window
    const s = await start({ chunkDelayMs: 1000, shutdownAcceptMs: 200, shutdownTimeoutMs: 600 });
    const closing = s.server.close();
    const reply = await chatStream(s.port, { ...HELLO, stream: true });
    // THEN it is cut at the limit, without [DONE], and the shutdown says so
    expect(reply.outcome).toBe('aborted');
    expect(reply.events.map((e) => e.data)).not.toContain('[DONE]');
    const result = await closing;
    expect(result).toEqual(expect.objectContaining({ drained: false, cutOff: 1, acceptedDuringDrain: 1 }));
    expect(result.durationMs).toBeLessThan(1500);
  });

  it('close() is idempotent', async () => {
    const s = await start();
    const first = s.server.close();
    expect(s.server.close()).toBe(first);
    await first;
  });
});
