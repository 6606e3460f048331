import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../src/config';

describe('loadConfig', () => {
  it('takes the defaults when nothing is set (8 MiB body limit, keep-alive above Kong 60 s)', () => {
    // GIVEN an environment without any of the service's variables
    // WHEN the configuration is read
    const config = loadConfig({ PATH: '/usr/bin', HOME: '/home/node' });
    // THEN every value is the documented default
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config.maxBodyBytes).toBe(8 * 1024 * 1024);
    expect(config.keepAliveTimeoutMs).toBeGreaterThan(60_000);
    expect(config.port).toBe(8080);
    // Off unless a stage asks: with it, any consumer could hold a connection for maxDelayMs.
    expect(config.allowDelayOverride).toBe(false);
    // No DNS to wait for unless the task says so.
    expect(config.shutdownAcceptMs).toBe(0);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', PLACEHOLDER_LATENCY_MS: ' ' })).toEqual(DEFAULT_CONFIG);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      PLACEHOLDER_LATENCY_MS: '250',
      PLACEHOLDER_CHUNK_DELAY_MS: '20',
      PLACEHOLDER_MAX_BODY_BYTES: '1048576',
      PLACEHOLDER_SHUTDOWN_TIMEOUT_MS: '5000',
      PLACEHOLDER_SHUTDOWN_ACCEPT_MS: '1500',
      PLACEHOLDER_KEEP_ALIVE_TIMEOUT_MS: '90000',
      PLACEHOLDER_ALLOW_DELAY_OVERRIDE: 'true',
      PLACEHOLDER_MAX_DELAY_MS: '60000',
      PLACEHOLDER_MODELS: 'gpt-4o-mini, internal/llama-3.1:8b',
    });
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 0,
      latencyMs: 250,
      chunkDelayMs: 20,
      maxBodyBytes: 1048576,
      shutdownTimeoutMs: 5000,
      shutdownAcceptMs: 1500,
      keepAliveTimeoutMs: 90000,
      allowDelayOverride: true,
      maxDelayMs: 60000,
      models: ['gpt-4o-mini', 'internal/llama-3.1:8b'],
    });
  });

  it.each([
    ['PORT', 'abc', /whole number between 0 and 65535, got 'abc'/],
    ['PORT', '65536', /got '65536'/],
    ['PORT', '80.5', /got '80.5'/],
    ['HOST', 'http://0.0.0.0', /address to bind/],
    ['PLACEHOLDER_LATENCY_MS', '-1', /got '-1'/],
    ['PLACEHOLDER_CHUNK_DELAY_MS', '10ms', /got '10ms'/],
    ['PLACEHOLDER_MAX_BODY_BYTES', '100', /between 1024 and/],
    ['PLACEHOLDER_SHUTDOWN_TIMEOUT_MS', '1e4', /got '1e4'/],
    ['PLACEHOLDER_SHUTDOWN_ACCEPT_MS', '-5', /got '-5'/],
    ['PLACEHOLDER_KEEP_ALIVE_TIMEOUT_MS', '0', /between 1000 and/],
    ['PLACEHOLDER_ALLOW_DELAY_OVERRIDE', 'yes', /'true' or 'false', got 'yes'/],
    ['PLACEHOLDER_MAX_DELAY_MS', '99999999', /between 0 and 3600000/],
    ['PLACEHOLDER_MODELS', ' , ', /at least one model id/],
    ['PLACEHOLDER_MODELS', 'ok,not ok', /'not ok' is not a model id/],
    ['PLACEHOLDER_MODELS', 'a,a', /unique/],
  ])('rejects %s=%j with a message naming the variable', (variable, value, reason) => {
    // GIVEN one bad value
    const read = (): unknown => loadConfig({ [variable]: value });
    // THEN the start fails with an error that names the variable and says why
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(new RegExp(`^${variable}: `));
    expect(read).toThrow(reason);
  });

  it('rejects an accept window that does not end before the drain limit', () => {
    expect(() =>
      loadConfig({ PLACEHOLDER_SHUTDOWN_TIMEOUT_MS: '10000', PLACEHOLDER_SHUTDOWN_ACCEPT_MS: '10000' }),
    ).toThrow(
      /^PLACEHOLDER_SHUTDOWN_ACCEPT_MS: 10000 must be below PLACEHOLDER_SHUTDOWN_TIMEOUT_MS \(10000\)/,
    );
    expect(loadConfig({ PLACEHOLDER_SHUTDOWN_TIMEOUT_MS: '0' }).shutdownAcceptMs).toBe(0);
  });

  it('rejects a configured delay above the delay cap', () => {
    expect(() => loadConfig({ PLACEHOLDER_MAX_DELAY_MS: '1000', PLACEHOLDER_LATENCY_MS: '1001' })).toThrow(
      /^PLACEHOLDER_LATENCY_MS: expected a whole number between 0 and 1000/,
    );
  });

  it('rejects an unknown PLACEHOLDER_* variable (a typo would otherwise be ignored silently)', () => {
    let error: unknown;
    try {
      loadConfig({ PLACEHOLDER_LATENCY: '500' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('PLACEHOLDER_LATENCY');
    expect((error as ConfigError).message).toMatch(/unknown setting .*PLACEHOLDER_LATENCY_MS/);
  });
});
