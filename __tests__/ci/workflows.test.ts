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

const ROOT = path.join(__dirname, '..', '..');
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const read = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), 'utf8');
const workflowFiles = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

/** Remote actions not pinned to a full release tag (`owner/repo@vX.Y.Z`). */
function unpinnedActions(text: string): string[] {
  return [...text.matchAll(/^\s*(?:-\s*)?uses:\s*(\S+)/gm)]
    .map((m) => m[1]!)
    .filter((ref) => !ref.startsWith('./') && !/^[\w.-]+\/[\w./-]+@v\d+\.\d+\.\d+$/.test(ref));
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
        for (const file of workflowFiles) {
          const text = read(file).replace(/(uses: [^\s@]+@v\d+)\.\d+\.\d+/g, '$1');
          fs.writeFileSync(path.join(copy, '.github', 'workflows', file), text);
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

  it('pin every action to a release tag', () => {
    for (const file of workflowFiles)
      expect({ file, unpinned: unpinnedActions(read(file)) }).toEqual({ file, unpinned: [] });
    expect(
      unpinnedActions('    - uses: actions/checkout@main\n      uses: foo/bar@v4\n  - uses: ./local.yml'),
    ).toEqual(['actions/checkout@main', 'foo/bar@v4']);
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
          steps.includes('configure-aws-credentials') || job.uses?.includes('deploy-stage.yml');
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
    for (const file of workflowFiles) {
      const text = read(file);
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

  it('are kept current by Dependabot, actions and npm alike', () => {
    const dependabot = fs.readFileSync(path.join(ROOT, '.github', 'dependabot.yml'), 'utf8');
    expect(dependabot).toMatch(/package-ecosystem: github-actions/);
    expect(dependabot).toMatch(/package-ecosystem: npm\n\s+directory: \/\n/);
  });
});
