import { type KongRule, upstreamRoutes } from './model';

/** Routes to the LLM gateway stream responses (server-sent events): Kong must not buffer them. */
export const streamingUnbuffered: KongRule = {
  id: 'policy/streaming-unbuffered',
  description: 'every upstream-reaching route has response_buffering false',
  source: 'our policy: streamed LLM tokens must reach clients as they are generated (Kong defaults to true)',
  check(model) {
    return upstreamRoutes(model)
      .filter((r) => r.raw?.response_buffering !== false)
      .map((r) => `${r.where}.response_buffering: must be false (${r.name} streams responses)`);
  },
};
