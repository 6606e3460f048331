/**
 * The real `cdktf synth` command, as users run it (the one CLI synth of the suite): every stack from
 * the committed settings; and the entry point's error paths, in process.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stageSettingsJsonSchema } from '../../lib/settings/json-schema';
import { synthesizeApp } from '../../lib/stacks/app';
import { CONFIG_DIR, rawStageSettings } from '../support/synth';

const ROOT = path.join(__dirname, '..', '..');
const CDKTF = path.join(ROOT, 'node_modules', '.bin', 'cdktf');

function synth(env: Record<string, string>, outdir: string) {
  const result = spawnSync(CDKTF, ['synth', '--output', outdir], {
    cwd: ROOT,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', CI: '1', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('cdktf synth', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes one stack per stage file and one bootstrap stack per account without AWS credentials', () => {
    const outdir = path.join(tmp, 'out');
    const result = synth({ AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' }, outdir);
    expect(result.status).toBe(0);
    const stacks = fs.readdirSync(path.join(outdir, 'stacks')).sort();
    const stageFiles = fs
      .readdirSync(CONFIG_DIR)
      .filter((f) => f.endsWith('.json') && f !== 'schema.json' && f !== 'bootstrap.json')
      .map((f) => `kong-gateway-${f.slice(0, -5)}`);
    const accounts = Object.keys(
      JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'bootstrap.json'), 'utf8')).accounts,
    ).map((a) => `kong-gateway-bootstrap-${a}`);
    expect(stacks).toEqual([...stageFiles, ...accounts].sort());
    expect(stacks).toEqual(
      expect.arrayContaining(['kong-gateway-bootstrap-dev', 'kong-gateway-bootstrap-prod']),
    );
    expect(stacks).toEqual(expect.arrayContaining(['kong-gateway-dev', 'kong-gateway-prod']));
  });
});

/**
 * The entry point's error paths, in process (`main.ts` is `process.exitCode = synthesizeApp(...)`):
 * spawning the CLI for each costs seconds and proves nothing more, since the exit status is what
 * `synthesizeApp` returns.
 */
describe('synthesizeApp (what main.ts runs)', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function run(env: NodeJS.ProcessEnv, outdir: string): { status: number; errors: string[] } {
    const errors: string[] = [];
    const status = synthesizeApp(env, (m) => errors.push(m), { outdir });
    return { status, errors };
  }

  /** The stacks written under `outdir` (cdktf's App creates an empty `stacks/` when it starts). */
  function writtenStacks(outdir: string): string[] {
    const dir = path.join(outdir, 'stacks');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  }

  it('returns 1, names the file and field, and writes no stack for a bad setting', () => {
    const configDir = path.join(tmp, 'config');
    fs.mkdirSync(configDir);
    const dev = rawStageSettings('dev');
    dev.network.azCount = 1;
    fs.writeFileSync(path.join(configDir, 'dev.json'), JSON.stringify(dev));
    fs.writeFileSync(path.join(configDir, 'prod.json'), JSON.stringify(rawStageSettings('prod')));
    const outdir = path.join(tmp, 'out');

    const result = run({ KONG_GATEWAY_CONFIG_DIR: configDir }, outdir);

    expect(result.status).toBe(1);
    expect(result.errors.join('\n')).toMatch(/dev\.json: network\.azCount: must be at least 2/);
    // The valid prod stage is not written either: nothing half-written.
    expect(writtenStacks(outdir)).toEqual([]);
  });

  it('returns 1 for a requested stage that has no file', () => {
    const result = run({ STAGES: 'staging' }, path.join(tmp, 'out'));
    expect(result.status).toBe(1);
    expect(result.errors.join('\n')).toMatch(/staging\.json: stage "staging" has no settings file/);
  });

  it('returns 1 with what to do, and writes no stack, when verification is on and the CA bundle is missing', () => {
    const configDir = path.join(tmp, 'config');
    fs.mkdirSync(configDir);
    const prod = rawStageSettings('prod');
    prod.database.tls = { verify: true, caBundleFile: 'infra/kong/certs/not-downloaded-bundle.pem' };
    fs.writeFileSync(path.join(configDir, 'prod.json'), JSON.stringify(prod));
    const outdir = path.join(tmp, 'out');

    const result = run({ KONG_GATEWAY_CONFIG_DIR: configDir }, outdir);

    expect(result.status).toBe(1);
    expect(result.errors.join('\n')).toMatch(
      /prod\.json: database\.tls\.caBundleFile: infra\/kong\/certs\/not-downloaded-bundle\.pem does not exist\. Download the RDS CA bundle/,
    );
    expect(writtenStacks(outdir)).toEqual([]);
  });

  it('returns 0 and writes the selected stage only', () => {
    const outdir = path.join(tmp, 'out');
    const result = run({ STAGES: 'dev' }, outdir);
    expect(result).toEqual({ status: 0, errors: [] });
    expect(writtenStacks(outdir)).toEqual(['kong-gateway-dev']);
  });
});

describe('config/schema.json', () => {
  it('is up to date with the zod schema (run `npm run schema`)', () => {
    expect(fs.readFileSync(path.join(CONFIG_DIR, 'schema.json'), 'utf8')).toBe(stageSettingsJsonSchema());
  });
});
