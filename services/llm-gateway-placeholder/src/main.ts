/**
 * Entry point: configuration from the environment, JSON logs on stdout, graceful shutdown on
 * SIGTERM/SIGINT. Exit codes: 0 after a clean drain, 1 when the shutdown timeout cut requests off
 * or the server failed, 2 for invalid configuration.
 */
import { ConfigError, loadConfig, type PlaceholderConfig } from './config';
import { jsonLogger } from './logger';
import { PlaceholderServer } from './server';

async function main(): Promise<void> {
  const logger = jsonLogger();
  let config: PlaceholderConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    logger.log('error', 'invalid configuration', { variable: err.variable, error: err.message });
    process.exitCode = 2;
    return;
  }

  const server = new PlaceholderServer(config, logger);
  const address = await server.listen();
  logger.log('info', 'listening', {
    host: address.address,
    port: address.port,
    latency_ms: config.latencyMs,
    chunk_delay_ms: config.chunkDelayMs,
    max_body_bytes: config.maxBodyBytes,
    shutdown_timeout_ms: config.shutdownTimeoutMs,
    shutdown_accept_ms: config.shutdownAcceptMs,
    allow_delay_override: config.allowDelayOverride,
  });
  // A parent started with an IPC channel (the benchmark) learns the ephemeral port this way.
  process.send?.({ type: 'listening', port: address.port });

  const shutdown = (signal: NodeJS.Signals): void => {
    logger.log('info', 'shutting down', {
      signal,
      in_flight: server.inFlightCount,
      // New requests are still served this long (DNS caches), then in-flight ones until the limit.
      accept_ms: config.shutdownAcceptMs,
      drain_limit_ms: config.shutdownTimeoutMs,
    });
    void server.close().then((result) => {
      logger.log(result.drained ? 'info' : 'warn', 'stopped', {
        drained: result.drained,
        in_flight_at_start: result.inFlightAtStart,
        cut_off: result.cutOff,
        accepted_during_drain: result.acceptedDuringDrain,
        duration_ms: result.durationMs,
      });
      process.exit(result.drained ? 0 : 1);
    });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  jsonLogger().log('error', 'fatal', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
