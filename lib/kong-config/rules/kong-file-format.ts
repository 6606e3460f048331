import type { KongRule } from './model';

/** The plugins this repository uses; each has a schema rule in this directory. */
export const CHECKED_PLUGINS = [
  'key-auth',
  'post-function',
  'pre-function',
  'prometheus',
  'rate-limiting',
  'request-size-limiting',
  'request-termination',
];

const TOP_LEVEL = new Set([
  '_format_version',
  '_transform',
  '_info',
  'services',
  'routes',
  'consumers',
  'plugins',
]);

/**
 * The file itself: `_format_version` "3.0" (decK's format for Kong 3.x, Kong/go-database-reconciler
 * pkg/file/types.go `Content`), only the top-level sections this repository uses, and only plugins
 * whose Kong schema a rule here encodes (so nothing reaches Kong unchecked; extend the rules when
 * adding a plugin).
 */
export const fileFormat: KongRule = {
  id: 'kong/file-format',
  description: '_format_version 3.0, known sections, only plugins with a schema rule',
  source: 'Kong/go-database-reconciler pkg/file/types.go (Content); this directory (plugin rules)',
  check(model) {
    const problems: string[] = [];
    if (model.raw?._format_version !== '3.0') {
      problems.push(`_format_version: expected "3.0", got ${JSON.stringify(model.raw?._format_version)}`);
    }
    for (const k of Object.keys(model.raw ?? {})) {
      if (!TOP_LEVEL.has(k)) problems.push(`${k}: not a section this configuration uses (typo?)`);
    }
    for (const p of model.plugins) {
      if (!CHECKED_PLUGINS.includes(p.name))
        problems.push(`${p.where}: plugin "${p.name}" has no schema rule here`);
    }
    return problems;
  },
};
