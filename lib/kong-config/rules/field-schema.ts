/**
 * A small transcription of the Kong schema DSL (`kong/db/schema/init.lua`): field types, `one_of`,
 * `between`, `gt`, `len_min`, `starts_with`, `match` and `required`, and the rejection of unknown
 * fields. Each rule file transcribes the Kong 3.9.3 schema it cites into these specs, so a value
 * Kong would refuse is refused here without a running Kong.
 *
 * `required` here means "must be present": Kong fills a required field that has a `default`, so
 * such fields are not marked required in the specs.
 */
import { isEnvIntRef, isEnvStringRef } from '../deck-env';
import type { Json } from './model';

interface Common {
  /** Must be present (Kong: `required = true` without a `default`). */
  readonly required?: boolean;
}

/** One field of a Kong schema. */
export type FieldSpec =
  | (Common & {
      readonly type: 'string';
      readonly oneOf?: readonly string[];
      /** Kong `match` (a Lua pattern), transcribed to a JS RegExp. */
      readonly pattern?: RegExp;
      readonly startsWith?: string;
      readonly lenMin?: number;
      /** A `${{ env "DECK_X" }}` reference is accepted (decK fills in a string). */
      readonly env?: boolean;
      /** A `{vault://...}` reference is accepted (Kong: `referenceable = true`). */
      readonly referenceable?: boolean;
    })
  | (Common & {
      readonly type: 'integer' | 'number';
      readonly between?: readonly [number, number];
      readonly gt?: number;
      readonly oneOf?: readonly number[];
      /** A `${{ env "DECK_X" | toInt }}` reference is accepted. */
      readonly env?: boolean;
    })
  | (Common & { readonly type: 'boolean' })
  | (Common & { readonly type: 'array' | 'set'; readonly elements: FieldSpec; readonly lenMin?: number })
  | (Common & { readonly type: 'record'; readonly fields: Readonly<Record<string, FieldSpec>> })
  /** A decK nesting (routes under a service, plugins under an entity), checked by its own rule. */
  | (Common & { readonly type: 'nested' });

/** `typedefs.header_name` (`validate_header_name`): letters, digits, `_` and `-`. */
export const HEADER_NAME: FieldSpec = { type: 'string', pattern: /^[A-Za-z0-9_-]+$/ };
/** `typedefs.port`. */
export const PORT: FieldSpec = { type: 'integer', between: [0, 65535], env: true };
/** `typedefs.host` / `typedefs.sni`: a DNS name (or, for host, an address); env references allowed. */
export const HOST: FieldSpec = {
  type: 'string',
  pattern: /^[A-Za-z0-9.-]+$/,
  env: true,
};
/** `typedefs.timeout` (ms). */
export const TIMEOUT: FieldSpec = { type: 'integer', between: [0, 2 ** 31 - 2] };
/** The `nonzero_timeout` of services.lua (ms). */
export const NONZERO_TIMEOUT: FieldSpec = { type: 'integer', between: [1, 2 ** 31 - 2] };
/** `typedefs.utf8_name` as used for entity names: no spaces or reserved URL characters. */
export const NAME: FieldSpec = { type: 'string', pattern: /^[\p{L}\p{N}._~-]+$/u };
/** `typedefs.tags`. */
export const TAGS: FieldSpec = { type: 'set', elements: { type: 'string' } };

const VAULT_REFERENCE = /^\{vault:\/\/[a-z0-9_-]+\/[^}]+\}$/;

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Checks one value against a spec; returns one line per problem, prefixed with `path`. */
export function checkField(value: Json, spec: FieldSpec, path: string): string[] {
  if (value === undefined || value === null) {
    return spec.required ? [`${path}: required field missing`] : [];
  }
  switch (spec.type) {
    case 'string': {
      if (typeof value !== 'string') return [`${path}: expected a string, got ${describe(value)}`];
      if (isEnvStringRef(value)) {
        return spec.env ? [] : [`${path}: a decK env reference is not accepted here`];
      }
      if (VAULT_REFERENCE.test(value)) {
        return spec.referenceable ? [] : [`${path}: not referenceable in Kong's schema, got ${value}`];
      }
      const problems: string[] = [];
      if (spec.lenMin !== undefined && value.length < spec.lenMin) {
        problems.push(`${path}: shorter than ${spec.lenMin}`);
      }
      if (spec.oneOf && !spec.oneOf.includes(value)) {
        problems.push(`${path}: expected one of ${spec.oneOf.join(', ')}, got ${describe(value)}`);
      }
      if (spec.startsWith !== undefined && !value.startsWith(spec.startsWith)) {
        problems.push(`${path}: must start with "${spec.startsWith}", got ${describe(value)}`);
      }
      if (spec.pattern && !spec.pattern.test(value)) {
        problems.push(`${path}: invalid value ${describe(value)}`);
      }
      return problems;
    }
    case 'integer':
    case 'number': {
      if (isEnvIntRef(value)) return spec.env ? [] : [`${path}: a decK env reference is not accepted here`];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return [
          `${path}: expected ${spec.type === 'integer' ? 'an integer' : 'a number'}, got ${describe(value)}`,
        ];
      }
      if (spec.type === 'integer' && !Number.isInteger(value))
        return [`${path}: expected an integer, got ${value}`];
      const problems: string[] = [];
      if (spec.between && (value < spec.between[0] || value > spec.between[1])) {
        problems.push(
          `${path}: value should be between ${spec.between[0]} and ${spec.between[1]}, got ${value}`,
        );
      }
      if (spec.gt !== undefined && !(value > spec.gt))
        problems.push(`${path}: value must be greater than ${spec.gt}`);
      if (spec.oneOf && !spec.oneOf.includes(value)) {
        problems.push(`${path}: expected one of ${spec.oneOf.join(', ')}, got ${value}`);
      }
      return problems;
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean, got ${describe(value)}`];
    case 'array':
    case 'set': {
      if (!Array.isArray(value)) return [`${path}: expected an array, got ${describe(value)}`];
      const problems: string[] = [];
      if (spec.lenMin !== undefined && value.length < spec.lenMin) {
        problems.push(`${path}: length must be at least ${spec.lenMin}`);
      }
      if (spec.type === 'set' && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
        problems.push(`${path}: a set must not repeat elements`);
      }
      value.forEach((v, i) => problems.push(...checkField(v, spec.elements, `${path}[${i}]`)));
      return problems;
    }
    case 'record':
      return checkRecord(value, spec.fields, path);
    case 'nested':
      return Array.isArray(value) ? [] : [`${path}: expected an array, got ${describe(value)}`];
  }
}

/** Checks an object against a record's fields: unknown fields, then each field. */
export function checkRecord(
  value: Json,
  fields: Readonly<Record<string, FieldSpec>>,
  path: string,
): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [`${path}: expected a record, got ${describe(value)}`];
  }
  const problems = Object.keys(value)
    .filter((k) => !(k in fields))
    .map((k) => `${path}.${k}: unknown field`);
  for (const [name, spec] of Object.entries(fields))
    problems.push(...checkField(value[name], spec, `${path}.${name}`));
  return problems;
}
