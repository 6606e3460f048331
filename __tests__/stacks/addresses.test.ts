/**
 * Terraform addresses are a contract with every deployed stage: a changed construct ID replaces
 * the resource (a database, a key, a secret). These tests make every change deliberate:
 * - today's addresses equal the committed list of the stage (`npm run addresses` rewrites it);
 * - every address of the deployed baseline (d51df54) still exists, or a `moved` block carries it
 *   to an address that exists, so `terraform plan` on a deployed stage destroys nothing by accident.
 */
import * as os from 'os';
import * as fs from 'fs';
import * as path from 'path';
import { buildApp } from '../../lib/stacks/app';
import { stackName } from '../../lib/contracts/naming';
import {
  addressListFile,
  bootstrapStackNames,
  expandAddressLines,
  managedResources,
  lostAddresses,
  movedBlocks,
  readAddressList,
} from '../support/addresses';
import { STAGE_NAMES, type Json } from '../support/synth';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'addresses-test-'));
// One synth of every stage for the whole file.
const { app, stages } = buildApp({ outdir });
app.synth();
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

function stackJson(stage: string): Json {
  return JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stackName(stage), 'cdk.tf.json'), 'utf8'));
}

function consumersOf(stage: string): string[] {
  return stages.find((s) => s.name === stage)!.settings.consumers.map((c) => c.name);
}

function addressesOf(json: Json): string[] {
  return managedResources(json)
    .map((r) => `${r.type}.${r.name}`)
    .sort();
}

describe.each(STAGE_NAMES)('Terraform addresses of kong-gateway-%s', (stage) => {
  const json = stackJson(stage);
  const actual = addressesOf(json);

  it('equal the committed list (an unlisted change fails: run `npm run addresses` and review)', () => {
    const expected = expandAddressLines(readAddressList(addressListFile(stage)), consumersOf(stage));
    expect({
      added: actual.filter((a) => !expected.includes(a)),
      removed: expected.filter((a) => !actual.includes(a)),
    }).toEqual({
      added: [],
      removed: [],
    });
  });

  it('keep every baseline address, or move it with a moved block to one that exists', () => {
    const baselineFile = addressListFile(stage, true);
    // A stage created after the baseline has nothing deployed to keep.
    const baseline = fs.existsSync(baselineFile)
      ? expandAddressLines(readAddressList(baselineFile), consumersOf(stage))
      : [];
    expect(lostAddresses(baseline, json)).toEqual([]);
  });

  it('move only from addresses that the baseline had, to addresses that exist', () => {
    const baseline = fs.existsSync(addressListFile(stage, true))
      ? expandAddressLines(readAddressList(addressListFile(stage, true)), consumersOf(stage))
      : [];
    for (const [from, to] of movedBlocks(json)) {
      expect({ from, known: baseline.includes(from), toExists: actual.includes(to) }).toEqual({
        from,
        known: true,
        toExists: true,
      });
    }
  });
});

describe('the address list helpers', () => {
  it('GIVEN a per-consumer template WHEN expanded THEN they give the address cdktf synthesizes', () => {
    const json = stackJson('dev');
    const secrets = managedResources(json).filter(
      (r) => r.type === 'aws_secretsmanager_secret' && r.path[0] === 'consumer-keys',
    );
    expect(secrets.length).toBe(consumersOf('dev').length);
    expect(
      expandAddressLines(['aws_secretsmanager_secret consumer-keys/{consumer}/secret'], consumersOf('dev')),
    ).toEqual(secrets.map((r) => `aws_secretsmanager_secret.${r.name}`).sort());
  });

  it('GIVEN a resource renamed without a moved block THEN the baseline check reports it; WITH one THEN not', () => {
    const json = structuredClone(stackJson('dev'));
    const byName = json.resource.aws_db_instance;
    const [name, values] = Object.entries<Json>(byName)[0]!;
    delete byName[name];
    byName['database_renamed_00000000'] = values;
    const baseline = [`aws_db_instance.${name}`];
    expect(lostAddresses(baseline, json)).toEqual(baseline);
    json.moved = [{ from: `aws_db_instance.${name}`, to: 'aws_db_instance.database_nowhere_00000000' }];
    expect(lostAddresses(baseline, json)).toEqual(baseline);
    json.moved = [{ from: `aws_db_instance.${name}`, to: 'aws_db_instance.database_renamed_00000000' }];
    expect(lostAddresses(baseline, json)).toEqual([]);
  });
});

describe.each(bootstrapStackNames(outdir))('Terraform addresses of %s', (stack) => {
  it('equal the committed list (an unlisted change fails: run `npm run addresses` and review)', () => {
    const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    const actual = addressesOf(json);
    const expected = expandAddressLines(
      readAddressList(addressListFile(stack.replace(/^kong-gateway-/, ''))),
      [],
    );
    expect({
      added: actual.filter((a) => !expected.includes(a)),
      removed: expected.filter((a) => !actual.includes(a)),
    }).toEqual({ added: [], removed: [] });
  });
});
