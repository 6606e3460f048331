import { accessCode } from './policy-key-guard';
import { effectivePlugin, type KongRule, upstreamRoutes } from './model';

/**
 * No credential reaches the upstream, whichever header carried it: on every upstream-reaching
 * route a post-function (after key-auth) clears each of key-auth's `key_names` and
 * `Authorization` (`hide_credentials` only strips the header that matched).
 */
export const credentialsStripped: KongRule = {
  id: 'policy/credentials-stripped',
  description: 'a post-function clears every key-auth key_names header and Authorization before the upstream',
  source: 'our policy: upstreams never see a client key (issue 14)',
  check(model) {
    return upstreamRoutes(model).flatMap((r) => {
      const post = effectivePlugin(model, r, 'post-function');
      const code = accessCode(post);
      const names = [
        ...((effectivePlugin(model, r, 'key-auth')?.config?.key_names ?? []) as string[]),
        'authorization',
      ];
      return names
        .filter(
          (n) =>
            !code.includes(`"${n.toLowerCase()}"`) || !code.includes('kong.service.request.clear_header('),
        )
        .map(
          (n) => `${post?.where ?? r.where} (${r.name}): the ${n} header is not cleared before the upstream`,
        );
    });
  },
};

/**
 * What a client sends never passes for Kong's own findings: a global pre-function clears
 * client-sent `X-Consumer-*` headers (so the access log's `consumer` and the upstream's
 * `X-Consumer-Username` are key-auth's or empty) and rejects keys in the query string with 400.
 */
export const clientIdentityCleared: KongRule = {
  id: 'policy/client-identity-cleared',
  description:
    'a global pre-function clears client-sent X-Consumer-* headers and rejects keys in the query string',
  source:
    'our policy: the access log never records a client-chosen consumer; keys never travel in URLs (issue 14)',
  check(model) {
    const global = model.plugins.find(
      (p) => p.name === 'pre-function' && !p.scope.route && !p.scope.service && !p.scope.consumer,
    );
    if (!global) return ['no global pre-function: client-sent X-Consumer-* headers would reach the log'];
    const code = accessCode(global);
    const problems: string[] = [];
    if (!code.includes('x%-consumer%-') || !code.includes('kong.service.request.clear_header('))
      problems.push(`${global.where}: does not clear client-sent X-Consumer-* headers`);
    if (!code.includes('kong.request.get_query(') || !code.includes('kong.response.exit(400'))
      problems.push(`${global.where}: does not reject keys in the query string with 400`);
    return problems;
  },
};
