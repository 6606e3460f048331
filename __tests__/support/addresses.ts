/**
 * Terraform addresses of a synthesized stack, and the committed lists they are compared with.
 *
 * A list file holds one managed resource per line. Most lines are the address itself
 * (`aws_db_instance.database_instance_D7FC2283`). A resource that exists once per consumer is one
 * template line instead, `<type> <construct path with {consumer}>`
 * (`aws_secretsmanager_secret consumer-keys/{consumer}/secret`), expanded with the stage file's
 * consumers through cdktf's own logical-ID function: adding a consumer is not an address change.
 */
import * as fs from 'fs';
import * as path from 'path';
// cdktf's logical-ID function (every address here is `makeUniqueId(path below the stack)`).
import { makeUniqueId } from 'cdktf/lib/private/unique';
import type { Json } from './synth';

/** Where the lists live: `<stage>.txt` (today's) and `d51df54/<stage>.txt` (the deployed baseline). */
export const ADDRESS_LIST_DIR = path.join(__dirname, '..', 'fixtures', 'addresses');
/** The commit whose stacks users have deployed: every address it had must still exist or be moved. */
export const BASELINE_COMMIT = 'd51df54';

/** One managed resource as a list line describes it. */
export interface ResourceEntry {
  readonly type: string;
  readonly name: string;
  /** Construct path below the stack. */
  readonly path: string[];
}

/** Every managed resource of a synthesized stack (data sources cannot be moved and are left out). */
export function managedResources(stackJson: Json): ResourceEntry[] {
  const out: ResourceEntry[] = [];
  for (const [type, byName] of Object.entries<Json>(stackJson.resource ?? {})) {
    for (const [name, values] of Object.entries<Json>(byName)) {
      const fullPath: string = values['//']?.metadata?.path ?? '';
      out.push({ type, name, path: fullPath.split('/').slice(1) });
    }
  }
  return out;
}

/** The `moved` blocks of a synthesized stack, as from-address -> to-address. */
export function movedBlocks(stackJson: Json): Map<string, string> {
  const moves = new Map<string, string>();
  for (const block of (stackJson.moved ?? []) as { from: string; to: string }[])
    moves.set(block.from, block.to);
  return moves;
}

/** The list lines of a stack: addresses, and one template line per per-consumer resource. */
export function addressLines(stackJson: Json, consumers: readonly string[]): string[] {
  const lines = new Set<string>();
  for (const r of managedResources(stackJson)) {
    const at = r.path.findIndex((segment) => consumers.includes(segment));
    if (at < 0) {
      lines.add(`${r.type}.${r.name}`);
    } else {
      const template = r.path.map((segment, i) => (i === at ? '{consumer}' : segment)).join('/');
      lines.add(`${r.type} ${template}`);
    }
  }
  return [...lines].sort();
}

/** Expands list lines into addresses for the given consumers. */
export function expandAddressLines(lines: readonly string[], consumers: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const template = /^(\S+) (\S*\{consumer\}\S*)$/.exec(line);
    if (!template) {
      out.push(line);
      continue;
    }
    for (const consumer of consumers) {
      const components = template[2]!.replace('{consumer}', consumer).split('/');
      out.push(`${template[1]}.${makeUniqueId(components)}`);
    }
  }
  return out.sort();
}

/** Reads a committed list (`#` comments and blank lines ignored). */
export function readAddressList(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The file of a stage's current list, or of its baseline list. */
export function addressListFile(stage: string, baseline = false): string {
  return path.join(ADDRESS_LIST_DIR, ...(baseline ? [BASELINE_COMMIT] : []), `${stage}.txt`);
}

/** What a list file starts with. */
export function addressListHeader(stage: string, baseline: boolean): string {
  return baseline
    ? `# Managed resources of kong-gateway-${stage} at ${BASELINE_COMMIT}, the deployed baseline. Never edit.\n` +
        '# Every one must still exist or be the `from` of a moved block (__tests__/stacks/addresses.test.ts).\n'
    : `# Managed resources of kong-gateway-${stage}. An address change is deliberate: update this file with\n` +
        '# `npm run addresses` and the list of moves in docs/adr/0015-layout-and-dependency-rule.md.\n';
}

/** Baseline addresses that neither exist nor are moved to an address that exists. */
export function lostAddresses(baseline: readonly string[], stackJson: Json): string[] {
  const actual = new Set(managedResources(stackJson).map((r) => `${r.type}.${r.name}`));
  const moves = movedBlocks(stackJson);
  return baseline.filter((address) => {
    if (actual.has(address)) return false;
    const to = moves.get(address);
    return to === undefined || !actual.has(to);
  });
}

/** The bootstrap stacks (`kong-gateway-bootstrap-<account>`) a synth wrote under `outdir`. */
export function bootstrapStackNames(outdir: string): string[] {
  const dir = path.join(outdir, 'stacks');
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('kong-gateway-bootstrap-'))
    .sort();
}
