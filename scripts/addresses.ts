/**
 * Writes the committed Terraform address list of every stage (`__tests__/fixtures/addresses/`)
 * from a fresh synth, so a deliberate rename is one command plus a reviewed diff.
 * `npm run addresses`; `-- --baseline <cdktf.out dir>` writes the baseline lists instead (done once,
 * from the d51df54 stacks).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildApp } from '../lib/stacks/app';
import { stackName } from '../lib/contracts/naming';
import {
  addressLines,
  addressListFile,
  addressListHeader,
  bootstrapStackNames,
} from '../__tests__/support/addresses';

const baselineIndex = process.argv.indexOf('--baseline');
const baselineDir = baselineIndex >= 0 ? process.argv[baselineIndex + 1] : undefined;
const outdir = baselineDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'addresses-'));
const { app, stages } = buildApp({ outdir });
if (!baselineDir) app.synth();
for (const stage of stages) {
  const json = JSON.parse(
    fs.readFileSync(path.join(outdir, 'stacks', stackName(stage.name), 'cdk.tf.json'), 'utf8'),
  );
  const consumers = stage.settings.consumers.map((c) => c.name);
  const file = addressListFile(stage.name, Boolean(baselineDir));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    addressListHeader(stage.name, Boolean(baselineDir)) + addressLines(json, consumers).join('\n') + '\n',
  );
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
// The bootstrap stacks (one per AWS account) hold the state bucket and the CI roles: their
// addresses are as much a contract as a stage's. They have no d51df54 baseline.
if (!baselineDir) {
  for (const stack of bootstrapStackNames(outdir)) {
    const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    const name = stack.replace(/^kong-gateway-/, '');
    const file = addressListFile(name);
    fs.writeFileSync(file, addressListHeader(name, false) + addressLines(json, []).join('\n') + '\n');
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}
