/**
 * Settings of the bootstrap stacks (`config/bootstrap.json`, not a stage): per AWS account, the
 * state bucket and its key, the GitHub OIDC provider, and the plan and deploy roles of the stages
 * deployed into that account. Validated here, with the stage files they name, before any stack is
 * built; a wrong file stops `cdktf synth` with the file and field.
 */
import { z } from 'zod';
import { describeIssues, readSettingsJson, StageSettingsError, type Stage } from './load';
import { awsRegion, STAGE_NAME_PATTERN } from './stage-settings';

/** The file's name in the config directory (the stage loader skips it). */
export const BOOTSTRAP_SETTINGS_FILE = 'bootstrap.json';

const ACCOUNT_NAME_PATTERN = /^[a-z][a-z0-9-]{1,20}$/;
const iamName = z
  .string()
  .regex(/^[A-Za-z0-9+=,.@_-]{1,64}$/, 'must be an IAM role name (1-64 of A-Z a-z 0-9 +=,.@_-)');

/** An existing CI role to adopt (import) instead of creating one. */
const existingRole = z.strictObject({
  /** Name of the role that exists (import ID); Terraform then manages it under this name. */
  existingName: iamName,
});

const stageIdentity = z.strictObject({
  /** Adopt an existing plan role. @default a new role `kong-gateway-bootstrap-plan-<stage>` */
  planRole: existingRole.optional(),
  /** Adopt an existing deploy role. @default a new role `kong-gateway-bootstrap-deploy-<stage>` */
  deployRole: existingRole.optional(),
  /** Route 53 hosted zone the stage's records live in (its deploy role may change records there only). */
  hostedZoneId: z
    .string()
    .regex(/^Z[A-Z0-9]{1,32}$/, 'must be a Route 53 hosted zone ID such as "Z0123456789EXAMPLE"')
    .optional(),
});

const accountSettings = z.strictObject({
  /** The 12-digit account ID: the provider refuses credentials of any other account. */
  accountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account ID'),
  /** Region of the state bucket and its key, and of the stages' resources. */
  region: awsRegion,
  /** The stages deployed into this account, each with a `config/<stage>.json`. */
  stages: z
    .record(z.string().regex(STAGE_NAME_PATTERN, `stage names match ${STAGE_NAME_PATTERN}`), stageIdentity)
    .refine((s) => Object.keys(s).length > 0, 'must name at least one stage'),
  stateBucket: z.strictObject({
    /** Globally unique bucket name. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 of a-z 0-9 . -)'),
    /** The bucket exists (made by the old runbook): import it. @default false */
    existing: z.boolean().default(false),
  }),
  /** The state key exists: import it (and its alias `alias/kong-gateway-tfstate`). @default absent: create it */
  existingStateKeyId: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a KMS key ID (a UUID)')
    .optional(),
  /** The account already has GitHub's OIDC provider: import it. @default false */
  existingOidcProvider: z.boolean().default(false),
  /**
   * Keep this stack's own state in the state bucket (`kong-gateway/bootstrap.tfstate`) instead of a
   * local file: the hand-over after the first deploy (docs/runbooks/bootstrap-state.md).
   * @default false
   */
  stateInBucket: z.boolean().default(false),
});

/** The schema of `config/bootstrap.json`. */
export const bootstrapSettingsSchema = z.strictObject({
  /** Editor hint, ignored. */
  $schema: z.string().optional(),
  description: z.string().optional(),
  github: z.strictObject({
    /** `owner/name`, exactly as on GitHub: every trust policy names it. */
    repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be "owner/name"'),
    /**
     * Stages whose plan role pull requests may assume (any branch of anyone with write access).
     * Only development stages: their state and keys count as exposed to every writer.
     * @default ["dev"]
     */
    pullRequestStages: z.array(z.string()).default(['dev']),
  }),
  /** Tags on every taggable resource; Project and Owner required. */
  defaultTags: z
    .record(z.string().min(1).max(128), z.string().max(256))
    .refine((tags) => 'Project' in tags && 'Owner' in tags, 'must include the "Project" and "Owner" tags'),
  /** One bootstrap stack per account (`kong-gateway-bootstrap-<account>`); one account per stage is the default. */
  accounts: z
    .record(
      z.string().regex(ACCOUNT_NAME_PATTERN, `account names match ${ACCOUNT_NAME_PATTERN}`),
      accountSettings,
    )
    .refine((a) => Object.keys(a).length > 0, 'must name at least one account'),
});

export type BootstrapSettings = z.output<typeof bootstrapSettingsSchema>;
export type BootstrapAccountSettings = BootstrapSettings['accounts'][string];

/** Problems between the bootstrap file and the stage files it names. */
function crossCheck(file: string, settings: BootstrapSettings, stages: readonly Stage[]): string[] {
  const problems: string[] = [];
  const byName = new Map(stages.map((s) => [s.name, s]));
  const seen = new Map<string, string>();
  for (const [account, a] of Object.entries(settings.accounts)) {
    for (const stage of Object.keys(a.stages)) {
      const where = `${file}: accounts.${account}.stages.${stage}`;
      if (stage === 'bootstrap')
        problems.push(`${where}: "bootstrap" is reserved (the bootstrap IAM names start with it)`);
      const other = seen.get(stage);
      if (other)
        problems.push(`${where}: the stage is already in account "${other}": a stage lives in one account`);
      seen.set(stage, account);
      const s = byName.get(stage);
      if (!s) {
        problems.push(
          `${where}: no stage file config/${stage}.json (stages: ${[...byName.keys()].join(', ')})`,
        );
        continue;
      }
      if (s.settings.localstack) problems.push(`${where}: a LocalStack stage needs no AWS identities`);
      if (s.settings.region !== a.region)
        problems.push(
          `${where}: the stage's region ${s.settings.region} differs from the account's ${a.region}`,
        );
      const backend = s.settings.backend;
      if (backend.type === 's3' && backend.bucket !== a.stateBucket.name)
        problems.push(
          `${where}: config/${stage}.json keeps its state in bucket "${backend.bucket}", not this account's "${a.stateBucket.name}"`,
        );
    }
  }
  settings.github.pullRequestStages.forEach((stage, i) => {
    const where = `${file}: github.pullRequestStages[${i}]`;
    if (!seen.has(stage)) problems.push(`${where}: "${stage}" is in no account`);
    else if (byName.get(stage)?.settings.profile === 'production')
      problems.push(`${where}: "${stage}" is a production stage: pull requests may never plan it`);
  });
  return problems;
}

/**
 * Reads and validates `file` against the schema and against `stages` (the stage files it names).
 * Throws `StageSettingsError` with every problem, naming the file and field.
 */
export function loadBootstrapSettings(file: string, stages: readonly Stage[]): BootstrapSettings {
  return validateBootstrapSettings(file, readSettingsJson(file), stages);
}

/** Validates already-parsed bootstrap settings (see {@link loadBootstrapSettings}). */
export function validateBootstrapSettings(
  file: string,
  raw: unknown,
  stages: readonly Stage[],
): BootstrapSettings {
  const result = bootstrapSettingsSchema.safeParse(raw);
  if (!result.success) throw new StageSettingsError(describeIssues(file, result.error.issues));
  const problems = crossCheck(file, result.data, stages);
  if (problems.length > 0) throw new StageSettingsError(problems);
  return result.data;
}
