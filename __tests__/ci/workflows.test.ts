/**
 * The GitHub workflows: actionlint over all of them (when it is installed: `.ci/run` builds it
 * with scripts/install-actionlint.sh), and the delivery rules as text checks, each shown able to
 * fail on a deliberately broken workflow.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import type { Json } from '../support/synth';
import { planEnvironment, WORKFLOWS as TRUSTED_WORKFLOWS } from '../../lib/contracts/delivery-identity';

const ROOT = path.join(__dirname, '..', '..');
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const ACTIONS = path.join(ROOT, '.github', 'actions');
const read = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), 'utf8');
const workflowFiles = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
/** The local composite actions the workflows use (`.github/actions/<name>/action.yml`). */
const actionFiles = fs.existsSync(ACTIONS)
  ? fs.readdirSync(ACTIONS).map((d) => path.join(ACTIONS, d, 'action.yml'))
  : [];

/**
 * `uses:` lines whose remote action is not pinned to a full 40-hex commit SHA with its release tag
 * in a comment (`owner/repo@<sha> # vX.Y.Z`). Local actions and reusable workflows (`./`) are exempt.
 */
function unpinnedActions(text: string): string[] {
  return [...text.matchAll(/^\s*(?:-\s*)?uses:\s*(\S+)(.*)$/gm)]
    .filter((m) => !m[1]!.startsWith('./'))
    .filter((m) => !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(m[1]!) || !/^\s+# v\d+\.\d+\.\d+$/.test(m[2]!))
    .map((m) => `${m[1]}${m[2]}`.trim());
}

/** Whether the workflow's top level narrows the token (a `permissions:` key at column 0). */
function hasTopLevelPermissions(text: string): boolean {
  return /^permissions:/m.test(text);
}

/** Terraform versions set up, as `major.minor.patch` strings. */
function terraformVersions(text: string): string[] {
  return [...text.matchAll(/^\s*TERRAFORM_VERSION:\s*'?(\d+\.\d+\.\d+)'?/gm)].map((m) => m[1]!);
}

function findActionlint(): string | undefined {
  const local = path.join(ROOT, '.tools', 'bin', 'actionlint');
  if (fs.existsSync(local)) return local;
  const onPath = spawnSync('actionlint', ['--version'], { encoding: 'utf8' });
  return onPath.status === 0 ? 'actionlint' : undefined;
}

describe('GitHub workflows', () => {
  const actionlint = findActionlint();
  const lint = actionlint ? it : it.skip;
  lint(
    actionlint
      ? 'pass actionlint'
      : 'pass actionlint (skipped: actionlint not installed; run scripts/install-actionlint.sh)',
    () => {
      const result = spawnSync(actionlint!, ['-color=false'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(`${result.stdout}${result.stderr}`).toBe('');
      expect(result.status).toBe(0);
    },
  );

  // actionlint knows popular actions' inputs by major tag (`actions/checkout@v4`) only: check the
  // inputs on a copy whose exact pins are cut back to their major.
  lint(
    actionlint
      ? 'pass actionlint with action inputs checked against each major version'
      : 'pass actionlint with action inputs checked (skipped: actionlint not installed; run scripts/install-actionlint.sh)',
    () => {
      const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'workflows-'));
      try {
        fs.mkdirSync(path.join(copy, '.git'));
        fs.mkdirSync(path.join(copy, '.github', 'workflows'), { recursive: true });
        // `owner/repo@<sha> # v4.2.2` becomes `owner/repo@v4`, in the workflows and the local actions.
        const toMajor = (text: string) =>
          text.replace(/(uses: [^\s@]+)@[0-9a-f]{40} # (v\d+)\.\d+\.\d+/g, '$1@$2');
        for (const file of workflowFiles)
          fs.writeFileSync(path.join(copy, '.github', 'workflows', file), toMajor(read(file)));
        for (const file of actionFiles) {
          const target = path.join(copy, path.relative(ROOT, file));
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, toMajor(fs.readFileSync(file, 'utf8')));
        }
        const result = spawnSync(actionlint!, ['-color=false'], {
          cwd: copy,
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(`${result.stdout}${result.stderr}`).toBe('');
        expect(result.status).toBe(0);
      } finally {
        fs.rmSync(copy, { recursive: true, force: true });
      }
    },
  );

  it('exist for pull requests and deploys', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['pr.yml', 'deploy.yml', 'deploy-stage.yml']));
  });

  it('pin every action to a full commit SHA, with its release tag in a comment', () => {
    for (const file of workflowFiles)
      expect({ file, unpinned: unpinnedActions(read(file)) }).toEqual({ file, unpinned: [] });
    expect(actionFiles.length).toBeGreaterThan(0);
    for (const file of actionFiles)
      expect({ file, unpinned: unpinnedActions(fs.readFileSync(file, 'utf8')) }).toEqual({
        file,
        unpinned: [],
      });
    const sha = '11bd71901bbe5b1630ceea73d27597364c9af683';
    expect(
      unpinnedActions(
        [
          '    - uses: actions/checkout@v4.2.2', // a tag
          `    - uses: actions/checkout@${sha}`, // no tag comment
          `    - uses: actions/checkout@${sha.slice(0, 12)} # v4.2.2`, // short SHA
          `    - uses: actions/checkout@${sha} # v4.2.2`, // pinned
          '      uses: ./.github/workflows/deploy-stage.yml', // local: exempt
          '    - uses: ./.github/actions/stage-toolchain',
        ].join('\n'),
      ),
    ).toEqual([
      'actions/checkout@v4.2.2',
      `actions/checkout@${sha}`,
      `actions/checkout@${sha.slice(0, 12)} # v4.2.2`,
    ]);
  });

  it('narrow the token at the top of every workflow', () => {
    for (const file of workflowFiles)
      expect({ file, ok: hasTopLevelPermissions(read(file)) }).toEqual({ file, ok: true });
    expect(hasTopLevelPermissions('on: push\njobs:\n  x:\n    permissions:\n      contents: read\n')).toBe(
      false,
    );
    expect(read('pr.yml')).toMatch(/^permissions:\n {2}contents: read\n\n/m);
    expect(read('deploy.yml')).toMatch(/^permissions:\n {2}contents: read\n\n/m);
  });

  it('pin a Terraform version the README supports (1.10 to 1.14)', () => {
    for (const file of ['pr.yml', 'deploy-stage.yml']) {
      const versions = terraformVersions(read(file));
      expect(versions).toHaveLength(1);
      expect(versions[0]).toMatch(/^1\.1[0-4]\.\d+$/);
    }
    expect(terraformVersions("env:\n  TERRAFORM_VERSION: '1.9.8'\n")[0]).not.toMatch(/^1\.1[0-4]\.\d+$/);
  });

  it('grant id-token: write only to jobs that assume an AWS role, and nothing wider than needed', () => {
    const offenders: string[] = [];
    for (const file of workflowFiles) {
      const workflow: Json = parse(read(file));
      expect(workflow.permissions).toEqual({
        contents: 'read',
        ...(file === 'deploy-stage.yml' ? { 'id-token': 'write' } : {}),
      });
      for (const [name, job] of Object.entries<Json>(workflow.jobs)) {
        const perms = job.permissions ?? {};
        const steps = JSON.stringify(job.steps ?? []);
        const assumesRole =
          steps.includes('configure-aws-credentials') ||
          steps.includes('./.github/actions/stage-toolchain') ||
          job.uses?.includes('deploy-stage.yml');
        if (perms['id-token'] === 'write' && !assumesRole) offenders.push(`${file}:${name}`);
        for (const [scope, level] of Object.entries(perms)) {
          if (level === 'write' && !['id-token', 'pull-requests'].includes(scope))
            offenders.push(`${file}:${name}:${scope}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('let no two deploys of one stage overlap, and never cancel one mid-apply', () => {
    expect(read('deploy-stage.yml')).toMatch(
      /concurrency:\n\s+group: deploy-\$\{\{ inputs\.stage \}\}\n\s+cancel-in-progress: false/,
    );
  });

  it('deploy dev first, then prod through its GitHub environment', () => {
    const deploy = read('deploy.yml');
    expect(deploy).toMatch(/^ {2}prod:\n(?: {4}.*\n)*? {4}needs: dev$/m);
    expect(read('deploy-stage.yml')).toMatch(/environment:\n\s+name: \$\{\{ inputs\.stage \}\}/);
  });

  it('gets AWS credentials only from OIDC, never from stored keys', () => {
    for (const text of [...workflowFiles.map(read), ...actionFiles.map((f) => fs.readFileSync(f, 'utf8'))]) {
      expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
      if (text.includes('configure-aws-credentials')) expect(text).toMatch(/role-to-assume:/);
    }
  });

  it('tells fork pull requests why they get no plan instead of failing', () => {
    const pr = read('pr.yml');
    expect(pr).toMatch(/github\.event\.pull_request\.head\.repo\.full_name/);
    expect(pr).toMatch(/no OIDC token/);
    expect(pr).toMatch(/cdktf diff/);
  });

  it('runs the scan and the compose smoke test on pull requests', () => {
    const pr = read('pr.yml');
    expect(pr).toMatch(/run: npm run scan/);
    expect(pr).toMatch(/run: npm run local:up/);
    expect(pr).toMatch(/run: npm run smoke -- --url http:\/\/localhost:8000/);
  });

  it('are kept current by Dependabot, actions (workflows and local actions) and npm alike', () => {
    const dependabot: Json = parse(fs.readFileSync(path.join(ROOT, '.github', 'dependabot.yml'), 'utf8'));
    const actions = dependabot.updates.find((u: Json) => u['package-ecosystem'] === 'github-actions');
    expect(actions.directories).toEqual(['/', '/.github/actions/*']);
    expect(
      dependabot.updates.some((u: Json) => u['package-ecosystem'] === 'npm' && u.directory === '/'),
    ).toBe(true);
  });

  it('validate every synthesized stack (warnings fail) before any pull-request plan', () => {
    /** Whether `workflow` validates after synth in the test job, and the diff job waits for it. */
    const validatesBeforePlans = (workflow: Json): boolean => {
      const steps: Json[] = workflow.jobs.test.steps;
      const at = (run: RegExp) => steps.findIndex((s) => run.test(s.run ?? ''));
      const synth = at(/^npm run synth$/);
      return (
        synth >= 0 &&
        at(/terraform-validate\.sh cdktf\.out\/stacks/) > synth &&
        workflow.jobs.diff.needs === 'test'
      );
    };
    const pr: Json = parse(read('pr.yml'));
    expect(validatesBeforePlans(pr)).toBe(true);
    const script = fs.readFileSync(path.join(ROOT, 'scripts', 'ci', 'terraform-validate.sh'), 'utf8');
    expect(script).toMatch(/init -backend=false/);
    expect(script).toMatch(/warnings" != 0/);
    // Broken: a diff that does not wait for the validation.
    expect(validatesBeforePlans({ jobs: { ...pr.jobs, diff: { ...pr.jobs.diff, needs: undefined } } })).toBe(
      false,
    );
  });

  it('plan on pull requests only the development stages, with no lock and no refresh', () => {
    const pr: Json = parse(read('pr.yml'));
    expect(pr.jobs.diff.strategy.matrix.stage).toEqual(['dev']);
    const bootstrap = JSON.parse(fs.readFileSync(path.join(ROOT, 'config', 'bootstrap.json'), 'utf8'));
    expect(pr.jobs.diff.strategy.matrix.stage).toEqual(bootstrap.github.pullRequestStages);
    for (const file of ['pr.yml', 'deploy-stage.yml'])
      expect(read(file)).toMatch(/TF_CLI_ARGS_plan: -lock=false -refresh=false/);
  });

  it('run the jobs the CI roles trust from the workflow files the trust policies name', () => {
    // The trust names these files (job_workflow_ref): the jobs assuming each role live there.
    expect(read(path.basename(TRUSTED_WORKFLOWS.pullRequest))).toMatch(
      /role-to-assume: \$\{\{ vars\.AWS_PLAN_ROLE_ARN \}\}/,
    );
    const deployStage = read(path.basename(TRUSTED_WORKFLOWS.deployStage));
    expect(deployStage).toMatch(/role-to-assume: \$\{\{ vars\.AWS_PLAN_ROLE_ARN \}\}/);
    expect(deployStage).toMatch(/role-to-assume: \$\{\{ vars\.AWS_DEPLOY_ROLE_ARN \}\}/);
    expect(read('deploy.yml')).not.toMatch(/role-to-assume/);
    const stage: Json = parse(read('deploy-stage.yml'));
    expect(stage.jobs.plan.environment.name).toBe(planEnvironment('${{ inputs.stage }}'));
    expect(stage.jobs.deploy.environment.name).toBe('${{ inputs.stage }}');
  });

  it('deploy only from main, whatever triggers the run', () => {
    const onlyMain = (condition: unknown) =>
      typeof condition === 'string' && condition.includes("github.ref == 'refs/heads/main'");
    const deploy: Json = parse(read('deploy.yml'));
    expect(Object.keys(deploy.on)).toEqual(['push', 'workflow_dispatch']);
    for (const [name, job] of Object.entries<Json>(deploy.jobs))
      expect({ name, guarded: onlyMain(job.if) }).toEqual({ name, guarded: true });
    const stage: Json = parse(read('deploy-stage.yml'));
    for (const name of ['plan', 'deploy'])
      expect({ name, guarded: onlyMain(stage.jobs[name].if) }).toEqual({ name, guarded: true });
    expect(deploy.jobs.prod.with.plan).toBe(true);
    // Broken: a job without the guard.
    expect(onlyMain(undefined)).toBe(false);
  });
});
