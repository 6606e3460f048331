/**
 * Issue 13, item 1: raising a key or password generation must change Kong's task definition, or
 * the deploy rolls nothing and the old key keeps working. The difference must be a digest of
 * version numbers: no key, no random value, nothing a rollback could resurrect.
 */
import {
  CONTAINERS,
  CREDENTIAL_VERSIONS_ENV,
  credentialVersionsDigest,
} from '../../lib/constructs/kong/kong-containers';
import { errorAnnotations } from '../../lib/policy/stack-policy-aspect';
import { synthGateway, type Json, type SynthesizedStack } from '../support/synth';

/** The Kong service's task definition, with its container definitions parsed. */
function kongTask(synth: SynthesizedStack): { values: Json; containers: Json[] } {
  const values = synth.resourceNamed('aws_ecs_task_definition', 'kong_task');
  return { values, containers: JSON.parse(values.container_definitions) };
}

/** `name=value` of every environment entry of every container, and each container's secrets. */
function flatten(containers: Json[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of containers) {
    for (const e of c.environment ?? []) out.set(`${c.name} env ${e.name}`, e.value);
    for (const s of c.secrets ?? []) out.set(`${c.name} secret ${s.name}`, s.valueFrom);
    out.set(`${c.name} command`, JSON.stringify(c.command ?? null));
    out.set(`${c.name} image`, c.image);
  }
  return out;
}

/** Entries that differ between two task definitions, as `what: before -> after`. */
function differences(before: Json[], after: Json[]): string[] {
  const a = flatten(before);
  const b = flatten(after);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => `${k}: ${a.get(k)} -> ${b.get(k)}`);
}

const bumpConsumer = (raw: Json) => {
  const c = raw.consumers.find((x: Json) => x.name === 'smoke');
  c.keyVersion = (c.keyVersion ?? 1) + 1;
};

describe('a new key or password generation rolls the Kong service', () => {
  // GIVEN dev as committed (keyVersion 1, passwordVersion 1), and the same with one raised
  const base = kongTask(synthGateway('dev').synth);
  const rotatedStack = synthGateway('dev', bumpConsumer);
  const rotatedKey = kongTask(rotatedStack.synth);
  const rotatedPassword = kongTask(
    synthGateway('dev', (raw) => (raw.database.passwordVersion = (raw.database.passwordVersion ?? 1) + 1))
      .synth,
  );
  const digestLine = (task: { containers: Json[] }) =>
    flatten(task.containers).get(`${CONTAINERS.configSync} env ${CREDENTIAL_VERSIONS_ENV}`);

  it('changes the task definition when a consumer keyVersion goes from 1 to 2', () => {
    expect(rotatedKey.values.container_definitions).not.toEqual(base.values.container_definitions);
  });

  it('changes only the config-sync digest, never a secret reference or another container', () => {
    expect(differences(base.containers, rotatedKey.containers)).toEqual([
      expect.stringMatching(new RegExp(`^${CONTAINERS.configSync} env ${CREDENTIAL_VERSIONS_ENV}: `)),
    ]);
    expect(differences(base.containers, rotatedPassword.containers)).toEqual([
      expect.stringMatching(new RegExp(`^${CONTAINERS.configSync} env ${CREDENTIAL_VERSIONS_ENV}: `)),
    ]);
    // The secrets keep pointing at the current value, unpinned: a rollback to the old task
    // definition reads today's keys, not the revoked ones.
    for (const c of rotatedKey.containers) {
      for (const s of c.secrets ?? [])
        expect(s.valueFrom).not.toMatch(/AWSCURRENT|AWSPREVIOUS|:[0-9a-f-]{36}$/);
    }
  });

  it('holds a digest of version numbers only: reproducible, no key, no Terraform reference', () => {
    const expected = (smoke: number, password: number) =>
      credentialVersionsDigest({
        'consumer/dev-playground': 1,
        'consumer/smoke': smoke,
        'database/password': password,
      });
    expect(digestLine(base)).toBe(expected(1, 1));
    expect(digestLine(rotatedKey)).toBe(expected(2, 1));
    expect(digestLine(rotatedPassword)).toBe(expected(1, 2));
    // A literal: nothing resolved at apply time (a random_password result, a secret version ID).
    expect(digestLine(rotatedKey)).toMatch(/^[0-9a-f]{64}$/);
    expect(rotatedKey.values.container_definitions).not.toMatch(
      /random_password|secretsmanager_secret_version/,
    );
  });

  it('passes the stack policy (the digest is not mistaken for a secret in the environment)', () => {
    expect(errorAnnotations(rotatedStack.stack)).toEqual([]);
  });

  it('keeps everything else of the task definition as it was', () => {
    const withoutContainers = (values: Json) =>
      Object.fromEntries(Object.entries(values).filter(([k]) => k !== 'container_definitions'));
    expect(withoutContainers(rotatedKey.values)).toEqual(withoutContainers(base.values));
    expect(Object.keys(withoutContainers(base.values))).toContain('family');
  });
});

describe('the new values are stored before a task can read them', () => {
  // GIVEN the committed dev stack
  const { synth } = synthGateway('dev');
  const task = synth.resourceNamed('aws_ecs_task_definition', 'kong_task');
  const versions = synth.resources('aws_secretsmanager_secret_version');

  it('makes the Kong task definition wait for every consumer key and database credential value', () => {
    const consumerValues = versions.filter((v) => /^consumer-keys_/.test(v.name));
    const databaseValue = versions.filter((v) => /^database_credentials-value/.test(v.name));
    expect(consumerValues).toHaveLength(2); // smoke, dev-playground
    expect(databaseValue).toHaveLength(1);
    expect(task.depends_on).toEqual(
      expect.arrayContaining(
        [...consumerValues, ...databaseValue].map((v) => `aws_secretsmanager_secret_version.${v.name}`),
      ),
    );
  });
});

describe('credentialVersionsDigest', () => {
  it('does not depend on the order of the names', () => {
    expect(credentialVersionsDigest({ 'consumer/a': 1, 'database/password': 2 })).toBe(
      credentialVersionsDigest({ 'database/password': 2, 'consumer/a': 1 }),
    );
  });

  it('tells apart a version moved from one credential to another', () => {
    expect(credentialVersionsDigest({ 'consumer/a': 2, 'consumer/b': 1 })).not.toBe(
      credentialVersionsDigest({ 'consumer/a': 1, 'consumer/b': 2 }),
    );
  });

  it('rejects versions that are not positive integers and names that could hide a separator', () => {
    expect(() => credentialVersionsDigest({ 'consumer/a': 0 })).toThrow(
      /"consumer\/a" must be a positive integer, got 0/,
    );
    expect(() => credentialVersionsDigest({ 'consumer/a': 1.5 })).toThrow(/positive integer/);
    expect(() => credentialVersionsDigest({ 'consumer/a=1\nconsumer/b': 1 })).toThrow(
      /not a credential name/,
    );
    expect(() => credentialVersionsDigest({})).toThrow(/no credential versions/);
  });
});
