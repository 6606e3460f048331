/** Reads the CA bundle a stage's settings name (`database.tls.caBundleFile`). */
import * as fs from 'fs';
import * as path from 'path';
import { validateCaBundle } from '../util/ca-bundle';
import { StageSettingsError, type Stage } from './load';

/** The repository root, which relative paths in the stage settings resolve against. */
export const REPOSITORY_ROOT = path.join(__dirname, '..', '..');

/**
 * Reads the CA bundle file named by the stage settings (`database.tls.caBundleFile`), relative to
 * `repositoryRoot`, and validates it. Fails with what to do when the file is missing.
 */
export function readCaBundle(repositoryRoot: string, relativePath: string): string {
  const file = path.resolve(repositoryRoot, relativePath);
  if (!fs.existsSync(file)) {
    throw new Error(
      `database.tls.caBundleFile: ${relativePath} does not exist. Download the RDS CA bundle of the stage's region ` +
        `(https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem) to that path and commit it, ` +
        `or set database.tls.verify to false (README, section "Database")`,
    );
  }
  return validateCaBundle(fs.readFileSync(file, 'utf8'), `database.tls.caBundleFile: ${relativePath}`);
}

/** Reads the stage's CA bundle; a problem with it is reported like any other settings error. */
export function caBundleOf(stage: Stage, repositoryRoot: string, relativePath: string): string {
  try {
    return readCaBundle(repositoryRoot, relativePath);
  } catch (err) {
    throw new StageSettingsError([`${stage.file}: ${(err as Error).message}`]);
  }
}
