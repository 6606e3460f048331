/** Reads the CA bundle a stage's settings name (`database.tls.caBundleFile`), or the committed one. */
import * as fs from 'fs';
import * as path from 'path';
import { committedRdsCaFile, RDS_CA_IDENTIFIER } from '../contracts/rds-ca';
import { validateCaBundle } from '../util/ca-bundle';
import { StageSettingsError, type Stage } from './load';

/** The repository root, which relative paths in the stage settings resolve against. */
export const REPOSITORY_ROOT = path.join(__dirname, '..', '..');

/** Where the README's fallback downloads a region's bundle from. */
function downloadUrl(region: string): string {
  return `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`;
}

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

/**
 * The CA bundle Kong verifies the stage's database against, or undefined when `database.tls.verify`
 * is false: the file `database.tls.caBundleFile` names, else the root committed for the stage's
 * region (`infra/kong/certs/<region>-rds-ca-rsa2048-g1.pem`). A region without a committed root
 * needs the download (README, section "Database"). A problem is reported like any settings error.
 */
export function stageCaBundle(stage: Stage, repositoryRoot: string): string | undefined {
  const { tls } = stage.settings.database;
  if (!tls.verify) return undefined;
  const region = stage.settings.region;
  const relativePath = tls.caBundleFile ?? committedRdsCaFile(region);
  if (tls.caBundleFile === undefined && !fs.existsSync(path.resolve(repositoryRoot, relativePath))) {
    throw new StageSettingsError([
      `${stage.file}: database.tls.caBundleFile: no ${RDS_CA_IDENTIFIER} root is committed for region ${region} ` +
        `(${relativePath}). Download the region's bundle (${downloadUrl(region)}) into infra/kong/certs/, commit it ` +
        `and name it in database.tls.caBundleFile (README, section "Database")`,
    ]);
  }
  return caBundleOf(stage, repositoryRoot, relativePath);
}

/** Reads the stage's CA bundle; a problem with it is reported like any other settings error. */
export function caBundleOf(stage: Stage, repositoryRoot: string, relativePath: string): string {
  try {
    return readCaBundle(repositoryRoot, relativePath);
  } catch (err) {
    throw new StageSettingsError([`${stage.file}: ${(err as Error).message}`]);
  }
}
