import { effectivePlugin, type KongRule } from './model';

/** A catch-all route on "/" answers unknown paths with a JSON 404 from request-termination. */
export const jsonNotFound: KongRule = {
  id: 'policy/json-not-found',
  description: 'a catch-all "/" route answers 404 with a JSON content type and a JSON body',
  source: "our policy: unknown paths get a JSON error, never Kong's content-negotiated default text",
  check(model) {
    const catchAll = model.routes.filter((r) => Array.isArray(r.raw?.paths) && r.raw.paths.includes('/'));
    if (catchAll.length === 0) return ['no route on "/": unknown paths would get Kong\'s default answer'];
    return catchAll.flatMap((r) => {
      const term = effectivePlugin(model, r, 'request-termination');
      if (!term) return [`${r.where}: the "/" route has no request-termination`];
      const c = term.config ?? {};
      const problems: string[] = [];
      if (c.status_code !== 404) problems.push(`${term.where}.config.status_code: must be 404`);
      if (!/^application\/json\b/.test(String(c.content_type ?? '')))
        problems.push(`${term.where}.config.content_type: must be application/json`);
      try {
        JSON.parse(String(c.body));
      } catch {
        problems.push(`${term.where}.config.body: not JSON`);
      }
      return problems;
    });
  },
};
