/**
 * Where callers put their API key, shared by the decK renderer (key-auth `key_names`, the Bearer
 * mapping) and the WAF (which headers count as "carries a key"). Imports nothing of the project.
 */

/**
 * Header names key-auth reads the key from: Kong's default and the one Anthropic-style clients use
 * (never the query string or the body).
 */
export const KEY_NAMES = ['apikey', 'x-api-key'] as const;
/** The header a Bearer token is copied into before key-auth runs (ADR 0008). */
export const BEARER_TARGET_HEADER = KEY_NAMES[0];
