/**
 * Consumer names as the contracts fix them, shared by the settings schema, the decK renderer, the
 * consumer-key secrets, the smoke tool and the local profile. Imports nothing of the project.
 */

/** Consumer names as the contracts fix them. */
export const CONSUMER_NAME_PATTERN = /^[a-z][a-z0-9-]{1,40}$/;
/** The consumer the smoke test uses; every stage must declare it. */
export const SMOKE_CONSUMER = 'smoke';

/**
 * The environment-variable stem of a consumer: `acme-app` -> `ACME_APP`. Kong's task receives
 * `DECK_CONSUMER_<stem>_KEY` (and `_PREVIOUS_KEY` while rotating), as fixed in the contracts.
 */
export function consumerEnvStem(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** Names that collide, grouped by the env-var stem they share. */
export function envStemCollisions(names: readonly string[]): string[][] {
  const byStem = new Map<string, string[]>();
  for (const name of names) {
    const stem = consumerEnvStem(name);
    byStem.set(stem, [...(byStem.get(stem) ?? []), name]);
  }
  return [...byStem.values()].filter((group) => group.length > 1);
}
