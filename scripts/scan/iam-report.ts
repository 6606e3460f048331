/**
 * The IAM part of `npm run scan` (scripts/scan.sh):
 *   ts-node scripts/scan/iam-report.ts extract <stacks-dir> <policy-dir>   every policy of every stack, placeholders in
 *   ts-node scripts/scan/iam-report.ts judge <report.json>                 the verdict on iam_check.py's report
 * `judge` exits non-zero on a finding without a reason or an unreported canary.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ESCALATION_CANARY, extractPolicies } from './iam-policies';
import { formatIamVerdict, judgeIamReport } from './iam-evaluate';

function extract(stacksDir: string, policyDir: string): number {
  fs.rmSync(policyDir, { recursive: true, force: true });
  fs.mkdirSync(policyDir, { recursive: true });
  let count = 0;
  for (const stack of fs.readdirSync(stacksDir).sort()) {
    const file = path.join(stacksDir, stack, 'cdk.tf.json');
    if (!fs.existsSync(file)) continue;
    for (const p of extractPolicies(stack, JSON.parse(fs.readFileSync(file, 'utf8')))) {
      fs.writeFileSync(path.join(policyDir, p.file), JSON.stringify(p.document, null, 1));
      count++;
    }
  }
  if (count === 0) {
    console.error(`scan: no IAM policy found under ${stacksDir}`);
    return 1;
  }
  fs.writeFileSync(
    path.join(policyDir, ESCALATION_CANARY.file),
    JSON.stringify(ESCALATION_CANARY.document, null, 1),
  );
  console.log(`--- ${count} IAM policies (+ the escalation canary) written to ${policyDir}`);
  return 0;
}

function judge(reportFile: string): number {
  const verdict = judgeIamReport(JSON.parse(fs.readFileSync(reportFile, 'utf8')));
  console.log(formatIamVerdict(verdict));
  return verdict.ok ? 0 : 1;
}

const [command, ...args] = process.argv.slice(2);
if (command === 'extract' && args.length === 2) process.exitCode = extract(args[0]!, args[1]!);
else if (command === 'judge' && args.length === 1) process.exitCode = judge(args[0]!);
else {
  console.error('usage: iam-report.ts extract <stacks-dir> <policy-dir> | judge <report.json>');
  process.exitCode = 2;
}
