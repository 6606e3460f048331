/**
 * Structured logs: one JSON object per line on stdout, which the ECS awslogs driver ships as is.
 * Callers pass fields, never raw headers: the request log names what it records explicitly, so a
 * credential (`Authorization`, `apikey`, `X-API-Key`) cannot end up in a log line by accident.
 */

/** Severity of a log line. */
export type LogLevel = 'info' | 'warn' | 'error';

/** Fields of one log line; values must be JSON-serializable. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** The logging surface the service uses. */
export interface Logger {
  /** Writes one line at `level` with message `msg` and the given fields. */
  log(level: LogLevel, msg: string, fields?: LogFields): void;
}

/** Something that accepts lines of text (process.stdout, or a capture in tests). */
export interface LineSink {
  write(chunk: string): unknown;
}

/** A logger writing JSON lines to `sink`. */
export function jsonLogger(sink: LineSink = process.stdout, service = 'llm-gateway-placeholder'): Logger {
  return {
    log(level, msg, fields = {}) {
      sink.write(`${JSON.stringify({ time: new Date().toISOString(), level, service, msg, ...fields })}\n`);
    },
  };
}

/** A logger that drops everything (benchmarks that measure the server without its log volume). */
export const silentLogger: Logger = { log: () => undefined };
