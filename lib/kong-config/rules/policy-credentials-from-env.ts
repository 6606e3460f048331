import { envStringRefName } from '../deck-env';
import { consumerKeyVar, consumerPreviousKeyVar } from '../../contracts/deck-env-names';
import { anonymousConsumers, type KongRule } from './model';

/**
 * Every credential is a decK env reference to the consumer's own variable
 * (`DECK_CONSUMER_<STEM>_KEY`, or `_PREVIOUS_KEY` during a rotation), never a literal key, and each
 * consumer has its current key.
 */
export const credentialsFromEnv: KongRule = {
  id: 'policy/credentials-from-env',
  description: "every key is an env reference to the consumer's own variable; no literal keys",
  source: 'our policy and the contracts: keys live in Secrets Manager and reach decK through ECS secrets',
  check(model) {
    const guards = anonymousConsumers(model); // keyless by design (policy/key-guard)
    return model.consumers
      .filter((c) => !guards.has(c))
      .flatMap(({ raw, username, where }) => {
        const creds = (raw?.keyauth_credentials ?? []) as { key?: unknown }[];
        const allowed = username ? [consumerKeyVar(username), consumerPreviousKeyVar(username)] : [];
        const problems: string[] = [];
        if (creds.length === 0) problems.push(`${where}: consumer "${username}" has no key-auth credential`);
        creds.forEach((c, i) => {
          const name = envStringRefName(c?.key);
          if (name === undefined)
            problems.push(`${where}.keyauth_credentials[${i}].key: a literal key (must be an env reference)`);
          else if (!allowed.includes(name)) {
            problems.push(`${where}.keyauth_credentials[${i}].key: ${name} is not ${allowed.join(' or ')}`);
          }
        });
        if (username && !creds.some((c) => envStringRefName(c?.key) === consumerKeyVar(username))) {
          problems.push(`${where}: no credential from ${consumerKeyVar(username)}`);
        }
        return problems;
      });
  },
};
