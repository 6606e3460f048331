/**
 * Finds, reads and validates stage settings files. Every requested stage is validated before any
 * stack is built, so a bad file stops `cdktf synth` before it writes anything.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { z } from 'zod';
import { isProductionStage } from './production-stages';
import { STAGE_NAME_PATTERN, stageSettingsSchema, type StageSettings } from './stage-settings';

/** Files in the config directory that are not stages (bootstrap.json: lib/settings/bootstrap-settings.ts). */
const NON_STAGE_FILES = new Set(['schema.json', 'bootstrap.json']);

/** A stage's name and its validated settings. */
export interface Stage {
  /** The stage name, from the file name (`config/<name>.json`). */
  readonly name: string;
  /** The file it was read from, as given to the loader (for messages). */
  readonly file: string;
  /** The validated, defaulted settings. */
  readonly settings: StageSettings;
}

/** One or more stage settings files are wrong; the message lists every problem, one per line. */
export class StageSettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stage settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'StageSettingsError';
  }
}

/** The stage names that have a settings file in `configDir`, sorted. */
export function availableStages(configDir: string): string[] {
  if (!fs.existsSync(configDir)) {
    throw new StageSettingsError([`${configDir}: the stage settings directory does not exist`]);
  }
  return fs
    .readdirSync(configDir)
    .filter((f) => f.endsWith('.json') && !NON_STAGE_FILES.has(f))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/**
 * Parses a `STAGES` value ("dev,prod", blanks ignored). Undefined or empty means every stage.
 */
export function parseStageSelection(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Formats a zod issue path as `a.b[0].c`. */
function formatPath(issuePath: readonly PropertyKey[]): string {
  return issuePath.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc === '' ? String(key) : `${acc}.${String(key)}`;
  }, '');
}

/** Turns zod issues into `file: field: message` lines. */
export function describeIssues(file: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const field = formatPath(issue.path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: not part of the schema (typo?)`;
    }
    // A record's key failed its own checks: say which check, not just "Invalid key in record".
    if (issue.code === 'invalid_key') {
      message = `key ${JSON.stringify(issue.path[issue.path.length - 1])}: ${issue.issues.map((i) => i.message).join('; ')}`;
    }
    return field === '' ? `${file}: ${message}` : `${file}: ${field}: ${message}`;
  });
}

/** Validates already-parsed JSON as the settings of `stageName`, read from `file`. */
export function validateStageSettings(stageName: string, file: string, raw: unknown): Stage {
  const problems: string[] = [];
  if (!STAGE_NAME_PATTERN.test(stageName)) {
    problems.push(`${file}: the stage name "${stageName}" must match ${STAGE_NAME_PATTERN}`);
  }
  const profile = (raw as { profile?: unknown } | null)?.profile;
  if (isProductionStage(stageName) && profile !== 'production') {
    problems.push(
      `${file}: profile: must be "production": "${stageName}" is a production stage ` +
        `(PRODUCTION_STAGES in lib/settings/production-stages.ts), and its file cannot opt out, got ${JSON.stringify(profile)}`,
    );
  }
  const result = stageSettingsSchema.safeParse(raw);
  if (!result.success) problems.push(...describeIssues(file, result.error.issues));
  if (problems.length > 0 || !result.success) throw new StageSettingsError(problems);
  return { name: stageName, file, settings: result.data };
}

/** Reads and validates one stage's file. */
export function loadStage(configDir: string, stageName: string): Stage {
  const file = path.join(configDir, `${stageName}.json`);
  if (!fs.existsSync(file)) {
    const known = availableStages(configDir);
    throw new StageSettingsError([
      `${file}: stage "${stageName}" has no settings file (known stages: ${known.join(', ') || 'none'})`,
    ]);
  }
  return validateStageSettings(stageName, file, readSettingsJson(file));
}

/**
 * The parsed JSON of a settings file (a stage file, `bootstrap.json`); a file that cannot be read
 * or parsed is a `StageSettingsError` naming it.
 */
export function readSettingsJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new StageSettingsError([`${file}: not readable: ${(err as Error).message}`]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StageSettingsError([`${file}: not valid JSON: ${(err as Error).message}`]);
  }
}

/**
 * Loads the selected stages (all when `selection` is undefined). Validates every one and reports
 * the problems of all files together before returning anything.
 */
export function loadStages(configDir: string, selection?: readonly string[]): Stage[] {
  const names = selection ?? availableStages(configDir);
  if (names.length === 0) {
    throw new StageSettingsError([`${configDir}: no stage settings files (config/<stage>.json)`]);
  }
  const stages: Stage[] = [];
  const problems: string[] = [];
  for (const name of names) {
    try {
      stages.push(loadStage(configDir, name));
    } catch (err) {
      if (err instanceof StageSettingsError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new StageSettingsError(problems);
  return stages;
}
