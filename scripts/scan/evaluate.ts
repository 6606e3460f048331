/**
 * Judges one stack's Checkov report against the stack's synthesized Terraform JSON: which failures
 * are skipped by a reasoned resource-level skip (`lib/policy/checkov.ts`), which remain, and whether
 * Checkov read the stack at all. Pure functions; `scripts/scan/report.ts` does the I/O.
 */

/** A Checkov result record (the fields this module reads). */
export interface CheckovRecord {
  readonly check_id: string;
  readonly check_name?: string;
  /** `resource.<name>` / `data.<name>` (Python checks) or `<type>.<name>` (graph checks). */
  readonly resource: string;
}

/** The part of Checkov's JSON report (`-o json`) this module reads. */
export interface CheckovReport {
  readonly check_type?: string;
  readonly results?: {
    readonly passed_checks?: readonly CheckovRecord[];
    readonly failed_checks?: readonly CheckovRecord[];
    readonly skipped_checks?: readonly CheckovRecord[];
    readonly parsing_errors?: readonly string[];
  };
  readonly summary?: { readonly parsing_errors?: number };
}

/** A block of the synthesized stack that Checkov can report on. */
interface Block {
  /** Terraform address: `aws_x.name` or `data.aws_x.name`. */
  readonly address: string;
  /** `"//".checkov.skip` of the block. */
  readonly skips: readonly { id: string; comment: string }[];
}

/** One failed check, with the Terraform address it maps to. */
export interface Finding {
  readonly checkId: string;
  readonly checkName: string;
  /** Terraform address (`aws_x.name`, `data.aws_x.name`), or Checkov's ID when unmapped. */
  readonly address: string;
}

/** A failure turned into a skip by a reason on the resource. */
export interface SkippedFinding extends Finding {
  readonly reason: string;
}

/** The verdict on one stack. */
export interface StackVerdict {
  readonly stack: string;
  /** Distinct resources and data sources Checkov reported at least one check on. */
  readonly resourcesChecked: number;
  /** Resources and data sources in the synthesized stack. */
  readonly resourcesInStack: number;
  readonly passed: number;
  /** Failures without a skip: each one fails the scan. */
  readonly failures: readonly Finding[];
  /** Failures with a reasoned skip on their resource. */
  readonly skipped: readonly SkippedFinding[];
  /** Problems with the scan itself (nothing parsed, stale or malformed skips): each fails it. */
  readonly errors: readonly string[];
  /** True when the stack passes. */
  readonly ok: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Every resource and data source of a synthesized stack, with its skips. */
function blocksOf(stackJson: Json, errors: string[]): Map<string, Block> {
  const blocks = new Map<string, Block>();
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries<Json>(stackJson?.[kind] ?? {})) {
      for (const [name, values] of Object.entries<Json>(byName ?? {})) {
        const address = kind === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
        const raw: unknown = values?.['//']?.checkov?.skip ?? [];
        const skips: { id: string; comment: string }[] = [];
        for (const s of Array.isArray(raw) ? raw : [raw]) {
          if (typeof s?.id === 'string' && typeof s?.comment === 'string' && s.comment.trim().length >= 10) {
            skips.push({ id: s.id, comment: s.comment.trim() });
          } else {
            errors.push(`${address}: malformed Checkov skip ${JSON.stringify(s)}: needs an id and a reason`);
          }
        }
        blocks.set(`${kind}:${type}.${name}`, { address, skips });
      }
    }
  }
  return blocks;
}

/** Maps Checkov's resource ID to a block of the stack, if it names one. */
function lookup(blocks: Map<string, Block>, checkovId: string): Block | undefined {
  const parts = checkovId.split('.');
  if (parts.length === 2 && (parts[0] === 'resource' || parts[0] === 'data')) {
    // Python checks name the block kind and the name only; cdktf names are unique per kind.
    const suffix = `.${parts[1]}`;
    const matches = [...blocks.entries()].filter(([k]) => k.startsWith(`${parts[0]}:`) && k.endsWith(suffix));
    return matches.length === 1 ? matches[0]![1] : undefined;
  }
  if (parts.length === 3 && parts[0] === 'data') return blocks.get(`data:${parts[1]}.${parts[2]}`);
  if (parts.length === 2) return blocks.get(`resource:${checkovId}`) ?? blocks.get(`data:${checkovId}`);
  return undefined;
}

/** Normalizes `-o json` output: one report object, or a list of them (one per framework). */
function reportsOf(report: CheckovReport | readonly CheckovReport[]): readonly CheckovReport[] {
  return Array.isArray(report) ? report : [report as CheckovReport];
}

/**
 * The verdict on one stack: fails on any unskipped failure, on a report that checked no resource
 * (Checkov read nothing), on parsing errors, and on a skip that matches no failure (stale, or
 * naming a check that does not fail there), so skips never outlive their reason.
 */
export function evaluateStack(
  stack: string,
  stackJson: Json,
  report: CheckovReport | readonly CheckovReport[],
): StackVerdict {
  const errors: string[] = [];
  const blocks = blocksOf(stackJson, errors);
  const reports = reportsOf(report);

  const checked = new Set<string>();
  let passed = 0;
  const failures: Finding[] = [];
  const skipped: SkippedFinding[] = [];
  const usedSkips = new Set<string>();

  for (const r of reports) {
    const parsingErrors = r.results?.parsing_errors ?? [];
    if (parsingErrors.length > 0 || (r.summary?.parsing_errors ?? 0) > 0) {
      errors.push(
        `Checkov could not parse: ${parsingErrors.join(', ') || `${r.summary?.parsing_errors} file(s)`}`,
      );
    }
    for (const rec of r.results?.passed_checks ?? []) {
      passed++;
      const block = lookup(blocks, rec.resource);
      if (block) checked.add(block.address);
    }
    for (const rec of r.results?.skipped_checks ?? []) {
      const block = lookup(blocks, rec.resource);
      if (block) checked.add(block.address);
    }
    for (const rec of r.results?.failed_checks ?? []) {
      const block = lookup(blocks, rec.resource);
      if (block) checked.add(block.address);
      const finding: Finding = {
        checkId: rec.check_id,
        checkName: rec.check_name ?? '',
        address: block?.address ?? rec.resource,
      };
      const skip = block?.skips.find((s) => s.id === rec.check_id);
      if (skip) {
        skipped.push({ ...finding, reason: skip.comment });
        usedSkips.add(`${block!.address}|${skip.id}`);
      } else {
        failures.push(finding);
      }
    }
  }

  if (checked.size === 0) {
    errors.push('Checkov checked no resource of this stack: it read nothing (wrong framework or file?)');
  }
  for (const block of blocks.values()) {
    for (const s of block.skips) {
      if (!usedSkips.has(`${block.address}|${s.id}`)) {
        errors.push(`${block.address}: skip of ${s.id} matches no failure: remove it ("${s.comment}")`);
      }
    }
  }

  return {
    stack,
    resourcesChecked: checked.size,
    resourcesInStack: blocks.size,
    passed,
    failures,
    skipped,
    errors,
    ok: failures.length === 0 && errors.length === 0,
  };
}

/** A human-readable report of verdicts. */
export function formatVerdicts(verdicts: readonly StackVerdict[]): string {
  const lines: string[] = [];
  for (const v of verdicts) {
    lines.push(
      `${v.ok ? 'PASS' : 'FAIL'} ${v.stack}: ${v.resourcesChecked} of ${v.resourcesInStack} resources checked, ` +
        `${v.passed} passed, ${v.failures.length} failed, ${v.skipped.length} skipped with a reason`,
    );
    for (const f of v.failures) lines.push(`  FAILED  ${f.checkId} ${f.address}: ${f.checkName}`);
    for (const s of v.skipped) lines.push(`  skipped ${s.checkId} ${s.address}: ${s.reason}`);
    for (const e of v.errors) lines.push(`  ERROR   ${e}`);
  }
  return lines.join('\n');
}
