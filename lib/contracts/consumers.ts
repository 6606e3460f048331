/**
 * Consumer names as the contracts fix them, shared by the settings schema, the decK renderer, the
 * consumer-key secrets, the smoke tool and the local profile. Imports nothing of the project.
 */

/** Consumer names as the contracts fix them. */
export const CONSUMER_NAME_PATTERN = /^[a-z][a-z0-9-]{1,40}$/;
/** The longest name {@link CONSUMER_NAME_PATTERN} admits. */
export const CONSUMER_NAME_MAX_LENGTH = 41;
/** The consumer the smoke test uses; every stage must declare it. */
export const SMOKE_CONSUMER = 'smoke';
/**
 * Reserved: the name of the key guard, the Kong consumer that key-auth falls back to when a
 * request has no valid key (it is rate-limited per IP, then answered 401). It has no key and no
 * username (it is Kong's `custom_id`), and no stage file may declare a consumer of this name.
 */
export const KEY_GUARD_CONSUMER = 'key-guard';

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
