/**
 * Writes docs/iam/ from the synthesized bootstrap stacks: each CI role's trust and policies, each
 * stage's permissions boundary and the state bucket policy, as the IAM JSON Terraform applies
 * (references replaced with placeholder ARNs), and docs/iam/README.md with the actions granted
 * on "*" and why. `npm run iam-docs`; __tests__/docs/iam-docs.test.ts fails when the files are stale.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildApp } from '../lib/stacks/app';
import { UNSCOPED_ACTIONS } from '../lib/constructs/delivery-identity/unscoped-actions';
import { extractPolicies } from './scan/iam-policies';

/** docs/iam/ of the repository. */
export const IAM_DOCS_DIR = path.join(__dirname, '..', 'docs', 'iam');

/** The generated files: path below docs/iam/ -> content. */
export function renderIamDocs(): Map<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-docs-'));
  try {
    const { app } = buildApp({ outdir });
    app.synth();
    const files = new Map<string, string>();
    const index: string[] = [];
    const stacks = fs
      .readdirSync(path.join(outdir, 'stacks'))
      .filter((s) => s.startsWith('kong-gateway-bootstrap-'));
    for (const stack of stacks.sort()) {
      const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
      for (const p of extractPolicies(stack, json)) {
        const [type, name] = p.address.split('.') as [string, string];
        const values = json.resource[type][name];
        let file: string | undefined;
        if (type === 'aws_iam_policy') file = `${values.name}.json`;
        else if (type === 'aws_iam_role') file = `${values.name}.trust.json`;
        else if (type === 'aws_s3_bucket_policy') file = 'state-bucket-policy.json';
        if (!file) continue; // the state key's policy is AWS's default
        files.set(`${stack}/${file}`, JSON.stringify(p.document, null, 2) + '\n');
        index.push(
          `| \`${stack}/${file}\` | ${values.description ?? (type === 'aws_iam_role' ? `trust of role ${values.name}` : 'state bucket policy')} |`,
        );
      }
    }
    const unscoped = Object.entries(UNSCOPED_ACTIONS).map(([a, why]) => `| \`${a}\` | ${why} |`);
    files.set(
      'README.md',
      [
        '# Delivery identities as IAM JSON (generated: do not edit)',
        '',
        'Written by `npm run iam-docs` from the synthesized bootstrap stacks (`lib/stacks/bootstrap-stack.ts`,',
        '`config/bootstrap.json`); `__tests__/docs/iam-docs.test.ts` fails when they are stale. Terraform',
        'references appear as placeholder ARNs (the state key ID is made up). Apply them with',
        '`cdktf deploy kong-gateway-bootstrap-<account>` ([runbook](../runbooks/bootstrap-state.md)), not by hand.',
        '',
        '| file | what |',
        '| ---- | ---- |',
        ...index,
        '',
        '## Actions granted on `"Resource": "*"` without a stage tag condition',
        '',
        "Everything else a CI role or a gateway role may do names its stage's resources, or is bound by",
        'the `Stage` tag (`aws:ResourceTag/Stage`, `aws:RequestTag/Stage`). These cannot be, and why',
        '(`lib/constructs/delivery-identity/unscoped-actions.ts`; a test fails on any action granted on `*`',
        'that is missing here):',
        '',
        '| action | why it takes no resource condition |',
        '| ------ | ---------------------------------- |',
        ...unscoped,
        '',
      ].join('\n'),
    );
    return files;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const files = renderIamDocs();
  fs.rmSync(IAM_DOCS_DIR, { recursive: true, force: true });
  for (const [file, content] of files) {
    fs.mkdirSync(path.dirname(path.join(IAM_DOCS_DIR, file)), { recursive: true });
    fs.writeFileSync(path.join(IAM_DOCS_DIR, file), content);
  }
  console.log(`wrote ${files.size} files to ${path.relative(process.cwd(), IAM_DOCS_DIR)}`);
}
