import { effectivePlugin, type KongRule, upstreamRoutes } from './model';

/** Every upstream-reaching route limits request bodies with a positive size (answering 413 first). */
export const bodySizeLimited: KongRule = {
  id: 'policy/body-size-limited',
  description: 'every upstream-reaching route has request-size-limiting with a positive size',
  source: 'our policy and the contracts (size limits in order: nginx = request-size-limiting <= upstream)',
  check(model) {
    return upstreamRoutes(model).flatMap((r) => {
      const p = effectivePlugin(model, r, 'request-size-limiting');
      if (!p) return [`${r.where} (${r.name}): no request-size-limiting`];
      const size = p.config?.allowed_payload_size;
      return Number.isInteger(size) && size > 0
        ? []
        : [`${p.where}.config.allowed_payload_size: must be a positive integer`];
    });
  },
};
