/**
 * Names the bootstrap stack gives the delivery identities (CI roles, the permissions boundary) and
 * the GitHub OIDC subject they trust. The gateway stacks need the boundary's name; the workflows,
 * the trust policies and their tests need the subject format: one place for all of them.
 */

/** Stack name of the bootstrap stack of one AWS account: `kong-gateway-bootstrap-<account>`. */
export function bootstrapStackName(account: string): string {
  return `kong-gateway-bootstrap-${account}`;
}

/**
 * Prefix of every IAM name the bootstrap stack owns (CI roles, their policies, the boundaries).
 * The gateway stacks name their roles `kong-gateway-<stage>-*`, so a stage may not be called
 * `bootstrap` (its roles would fall under this prefix).
 */
export const BOOTSTRAP_IAM_PREFIX = 'kong-gateway-bootstrap-';

/** The CI roles of a stage. */
export type CiRoleKind = 'plan' | 'deploy';

/** Default name of a stage's CI role: `kong-gateway-bootstrap-<kind>-<stage>`. */
export function ciRoleName(kind: CiRoleKind, stage: string): string {
  return `${BOOTSTRAP_IAM_PREFIX}${kind}-${stage}`;
}

/** Name of a stage's permissions boundary (a managed policy): `kong-gateway-bootstrap-boundary-<stage>`. */
export function boundaryPolicyName(stage: string): string {
  return `${BOOTSTRAP_IAM_PREFIX}boundary-${stage}`;
}

/** IAM name pattern of the roles a stage's gateway stack creates (`Naming.name`). */
export function stageRolePattern(stage: string): string {
  return `kong-gateway-${stage}-*`;
}

/** State object key of a stage in the state bucket (CI points local backends at it too). */
export function stateObjectKey(stage: string): string {
  return `kong-gateway/${stage}.tfstate`;
}

/** GitHub environment a stage deploys in (required reviewers on production stages). */
export function deployEnvironment(stage: string): string {
  return stage;
}

/** GitHub environment in which a stage is planned from `main` (protected, reviewers on production). */
export function planEnvironment(stage: string): string {
  return `${stage}-plan`;
}

/**
 * The claim keys of the repository's customized OIDC subject, in order: the bootstrap runbook sets
 * them once (`PUT /repos/<repo>/actions/oidc/customization/sub`). GitHub then issues
 * `repo:<owner/name>:<context>:ref:<ref>:job_workflow_ref:<owner/name>/<path>@<ref>`, where
 * `<context>` is `environment:<name>` for a job in an environment and `pull_request` for a pull
 * request job (GitHub's OIDC reference, "Customizing the subject claims").
 */
export const OIDC_SUB_CLAIM_KEYS = ['repo', 'context', 'ref', 'job_workflow_ref'] as const;

/** The workflow files the CI roles trust (their `job_workflow_ref`). */
export const WORKFLOWS = {
  /** Pull-request plans. */
  pullRequest: '.github/workflows/pr.yml',
  /** Plans from main and deploys, one stage per call (a reusable workflow). */
  deployStage: '.github/workflows/deploy-stage.yml',
} as const;

/** The pieces of a customized OIDC subject. */
export interface OidcSubject {
  /** `owner/name`. */
  readonly repository: string;
  /** `environment:<name>` or `pull_request`. */
  readonly context: string;
  /** The git ref the job runs on (`refs/heads/main`, `refs/pull/<n>/merge`). */
  readonly ref: string;
  /** `<owner/name>/<workflow path>@<ref>` of the workflow that runs the job. */
  readonly jobWorkflowRef: string;
}

/** The subject GitHub issues under the customized template, claim by claim. */
export function oidcSubject(s: OidcSubject): string {
  return `repo:${s.repository}:${s.context}:ref:${s.ref}:job_workflow_ref:${s.jobWorkflowRef}`;
}

/** The subject of a job of `workflow` on `main` in GitHub environment `environment`. */
export function mainEnvironmentSubject(repository: string, environment: string, workflow: string): string {
  return oidcSubject({
    repository,
    context: `environment:${environment}`,
    ref: 'refs/heads/main',
    jobWorkflowRef: `${repository}/${workflow}@refs/heads/main`,
  });
}

/**
 * The subject pattern (IAM `StringLike`) of a pull-request job of `workflow`: any pull request
 * number, the workflow file as it is on the pull request's merge ref. A `*` here stands only for
 * the pull request number: every other part is literal.
 */
export function pullRequestSubjectPattern(repository: string, workflow: string): string {
  return oidcSubject({
    repository,
    context: 'pull_request',
    ref: 'refs/pull/*/merge',
    jobWorkflowRef: `${repository}/${workflow}@refs/pull/*/merge`,
  });
}
