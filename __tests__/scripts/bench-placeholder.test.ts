import { benchPlaceholder } from '../../scripts/bench-placeholder';

describe('benchPlaceholder (a tiny bounded run)', () => {
  let section: string;
  beforeAll(async () => {
    section = await benchPlaceholder({ requests: 40, connections: 4, warmup: 5, timeCapMs: 10_000 });
  });

  it('returns a markdown section with one row per scenario', () => {
    expect(section).toMatch(/^## Placeholder upstream \(loopback\)\n/);
    expect(section).toContain('| scenario | requests | errors | duration | req/s | p50 | p99 | max |');
    expect(section).toMatch(
      /\| chat completion, non-streaming \| 40 \| 0 \| [\d.]+ s \| \d+ \| [\d.]+ ms \| [\d.]+ ms \|/,
    );
    expect(section).toMatch(/\| chat completion, streaming \(SSE to `\[DONE\]`\) \| 40 \| 0 \|/);
  });

  it('states the bound of the load it ran', () => {
    expect(section).toContain(
      '40 measured requests per scenario after 5 warm-up requests, 4 keep-alive connections',
    );
    expect(section).toContain('127.0.0.1 only');
  });
});

describe('benchPlaceholder time cap', () => {
  it('stops a scenario at its hard cap and says so', async () => {
    // GIVEN far more requests than fit in 300 ms
    const t0 = Date.now();
    const section = await benchPlaceholder({
      requests: 1_000_000,
      connections: 2,
      warmup: 0,
      timeCapMs: 300,
    });
    // THEN each scenario stops at the cap, and the report marks it
    expect(section.match(/\(time cap hit\)/g)).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});
