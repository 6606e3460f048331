/**
 * Log lines that metric filters count (`lib/constructs/observability/log-metrics.ts`): the code
 * that prints a line and the filter that reads it take the text from here, so neither can change
 * it alone.
 */

/**
 * The one line the config-sync container prints when it stops without applying the decK file
 * (the file cannot be decoded, or every sync attempt failed). Kong keeps running on its previous
 * configuration, so the task stays healthy: this line is the only sign.
 */
export const CONFIG_SYNC_FAILED_LINE = 'config-sync: FAILED';

/**
 * What Kong's rate-limiting plugin logs (error level, prefixed `[rate-limiting]`) when it cannot
 * reach Redis; measured on Kong 3.9.3. With `fault_tolerant: false` the request is answered 500.
 */
export const KONG_REDIS_CONNECT_FAILED_LINE = 'failed to connect to Redis';
