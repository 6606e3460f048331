/**
 * `ts-node scripts/scan/report.ts <stacks-dir> <reports-dir>`: reads each synthesized stack
 * (`<stacks-dir>/<stack>/cdk.tf.json`) and its Checkov report (`<reports-dir>/<stack>.json`),
 * prints the verdicts and exits non-zero unless every stack passes. Called by scripts/scan.sh.
 */
import * as fs from 'fs';
import * as path from 'path';
import { evaluateStack, formatVerdicts, type StackVerdict } from './evaluate';

function main(argv: string[]): number {
  const [stacksDir, reportsDir] = argv;
  if (!stacksDir || !reportsDir) {
    console.error('usage: report.ts <stacks-dir> <reports-dir>');
    return 2;
  }
  const stacks = fs.existsSync(stacksDir)
    ? fs.readdirSync(stacksDir).filter((s) => fs.existsSync(path.join(stacksDir, s, 'cdk.tf.json')))
    : [];
  if (stacks.length === 0) {
    console.error(`scan: no synthesized stack under ${stacksDir}`);
    return 1;
  }
  const verdicts: StackVerdict[] = stacks.sort().map((stack) => {
    const stackJson = JSON.parse(fs.readFileSync(path.join(stacksDir, stack, 'cdk.tf.json'), 'utf8'));
    const reportFile = path.join(reportsDir, `${stack}.json`);
    if (!fs.existsSync(reportFile)) {
      return evaluateStack(stack, stackJson, { results: {} });
    }
    return evaluateStack(stack, stackJson, JSON.parse(fs.readFileSync(reportFile, 'utf8')));
  });
  console.log(formatVerdicts(verdicts));
  const failed = verdicts.filter((v) => !v.ok);
  console.log(
    failed.length === 0
      ? `scan: ${verdicts.length} stacks, no failed check`
      : `scan: ${failed.length} of ${verdicts.length} stacks fail (${failed.map((v) => v.stack).join(', ')})`,
  );
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
