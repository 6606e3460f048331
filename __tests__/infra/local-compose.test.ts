/**
 * The local compose profile without a Docker engine: the file through a real compose parser
 * (`docker compose config` or Debian's `docker-compose config`) when one is installed, structural
 * rules on the parsed file (each shown able to fail), the bring-up plan, and the local key files.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { loadStage } from '../../lib/settings/load';
import {
  COMPOSE_FILE,
  composeCommand,
  composeEnvironment,
  howToCall,
  LONG_RUNNING,
  upSteps,
} from '../../scripts/local/local';
import { consumerVariables, LOCAL_STAGE, randomKey, writeLocalSecrets } from '../../scripts/local/keys';
import {
  exposedPorts,
  literalSecrets,
  readOnlyRoots,
  startOrder,
  withDefaults,
  type ComposeDoc,
} from '../support/compose-policy';
import { startFakeGateway } from '../support/fake-gateway';
import { CONFIG_DIR } from '../support/synth';

const ROOT = path.join(__dirname, '..', '..');
const OURS = ['kong-migrations', 'kong', 'deck-sync', 'llm-gateway'];
const doc: ComposeDoc = parse(fs.readFileSync(COMPOSE_FILE, 'utf8'), { merge: true });
const local = loadStage(CONFIG_DIR, LOCAL_STAGE);
const clone = (): ComposeDoc => structuredClone(doc);

/** The first working compose CLI: v2 plugin, then Debian's docker-compose. */
function findComposeParser(): string[] | undefined {
  const v2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (v2.status === 0) return ['docker', 'compose'];
  const v1 = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  return v1.status === 0 ? ['docker-compose'] : undefined;
}
const parser = findComposeParser();
const placeholderDir = path.join(ROOT, 'services', 'llm-gateway-placeholder');
const parserMissing = !parser
  ? 'no compose CLI installed (apt-get install -y docker-compose)'
  : !fs.existsSync(placeholderDir)
    ? 'services/llm-gateway-placeholder (the build context) is not in the tree yet'
    : undefined;

describe('compose file through a real compose parser', () => {
  const title = `"${parser?.join(' ') ?? 'docker-compose'} config" accepts the file with every profile`;
  (parserMissing ? it.skip : it)(parserMissing ? `${title} (skipped: ${parserMissing})` : title, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-'));
    try {
      fs.writeFileSync(path.join(tmp, 'keys'), 'DECK_CONSUMER_SMOKE_KEY=test-only\n');
      fs.writeFileSync(path.join(tmp, 'pw'), 'test-only\n');
      const result = spawnSync(
        parser![0]!,
        [...parser!.slice(1), '-f', COMPOSE_FILE, '--profile', 'localstack', 'config'],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            LOCAL_KEYS_FILE: path.join(tmp, 'keys'),
            POSTGRES_PASSWORD_FILE: path.join(tmp, 'pw'),
          },
        },
      );
      expect(result.stderr).not.toMatch(/ERROR|invalid|unsupported/i);
      expect(result.status).toBe(0);
      const resolved = parse(result.stdout);
      expect(Object.keys(resolved.services).sort()).toEqual(
        ['deck-sync', 'kong', 'kong-migrations', 'llm-gateway', 'localstack', 'postgres'].sort(),
      );
      // The parser's own view agrees with the structural rules.
      expect(exposedPorts(resolved)).toEqual([]);
      expect(readOnlyRoots(resolved, OURS)).toEqual([]);
      expect(startOrder(resolved)).toEqual([]);
      // decK received the keys from the env file, not from the compose file.
      expect(resolved.services['deck-sync'].environment.DECK_CONSUMER_SMOKE_KEY).toBe('test-only');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('compose file structure', () => {
  it("binds every published port to 127.0.0.1 and keeps the admin API on Kong's loopback", () => {
    expect(exposedPorts(doc)).toEqual([]);
    const broken = clone();
    broken.services.kong.ports.push('8001:8001');
    broken.services.kong.environment.KONG_ADMIN_LISTEN = '0.0.0.0:8001';
    expect(exposedPorts(broken)).toEqual([
      'kong: port "8001:8001" is not bound to 127.0.0.1',
      "kong: publishes Kong's admin API (8001:8001)",
      'kong: KONG_ADMIN_LISTEN is "0.0.0.0:8001", must be 127.0.0.1:8001',
    ]);
  });

  it('runs our containers with read-only root filesystems and tmpfs where Kong writes', () => {
    expect(readOnlyRoots(doc, OURS)).toEqual([]);
    const broken = clone();
    broken.services['llm-gateway'].read_only = false;
    broken.services.kong.tmpfs = ['/tmp'];
    expect(readOnlyRoots(broken, OURS)).toEqual([
      'llm-gateway: read_only is not true',
      'kong: KONG_PREFIX /var/run/kong is not a tmpfs',
    ]);
  });

  it('holds no literal secret', () => {
    expect(literalSecrets(doc)).toEqual([]);
    const broken = clone();
    broken.services.kong.environment.KONG_PG_PASSWORD = 'hunter2';
    broken.services['deck-sync'].environment.DECK_CONSUMER_SMOKE_KEY = '${SMOKE}';
    expect(literalSecrets(broken)).toEqual([
      'kong: KONG_PG_PASSWORD has a literal value',
      'deck-sync: DECK_CONSUMER_SMOKE_KEY is set in the file (consumer keys come from the env file)',
    ]);
  });

  it('has health checks and depends_on conditions that order the start without races', () => {
    expect(startOrder(doc)).toEqual([]);
    const broken = clone();
    broken.services.kong.depends_on = ['postgres'];
    delete broken.services.postgres.healthcheck;
    expect(startOrder(broken)).toEqual([
      'postgres: no healthcheck',
      'kong: depends_on postgres is "undefined", must be service_healthy',
      'kong: depends_on kong-migrations is "undefined", must be service_completed_successfully',
    ]);
  });

  describe('the migrations script, run by sh with a stand-in `kong`', () => {
    // Compose turns `$$` into `$`; run exactly what the container would.
    const script = doc.services['kong-migrations'].command[2].replace(/\$\$/g, '$');
    const runMigrations = (exits: Record<string, number>) => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
      try {
        fs.writeFileSync(path.join(tmp, 'pw'), 's3cret');
        const cases = Object.entries(exits)
          .map(([sub, code]) => `${sub}) exit ${code};;`)
          .join(' ');
        fs.writeFileSync(
          path.join(tmp, 'kong'),
          `#!/bin/sh\necho "$* pw=$KONG_PG_PASSWORD file=$KONG_PG_PASSWORD_FILE" >> '${tmp}/calls'\ncase "$2" in ${cases} esac\nexit 0\n`,
          { mode: 0o755 },
        );
        const r = spawnSync('sh', ['-c', script], {
          encoding: 'utf8',
          env: { PATH: `${tmp}:${process.env.PATH}`, KONG_PG_PASSWORD_FILE: path.join(tmp, 'pw') },
        });
        const calls = fs.existsSync(path.join(tmp, 'calls'))
          ? fs.readFileSync(path.join(tmp, 'calls'), 'utf8').trim().split('\n')
          : [];
        return { status: r.status, calls };
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    };

    it('bootstraps, runs up, and exits 0 when `list` says the schema is up to date', () => {
      const r = runMigrations({});
      expect(r.status).toBe(0);
      // The password comes from the secret file (the entrypoint does not run for `sh -c`).
      expect(r.calls).toEqual([
        'migrations bootstrap pw=s3cret file=',
        'migrations up pw=s3cret file=',
        'migrations list pw=s3cret file=',
      ]);
    });

    it('fails when `list` reports new migrations (5) or no bootstrap (3), so Kong does not start', () => {
      expect(runMigrations({ list: 5 }).status).toBe(5);
      expect(runMigrations({ list: 3 }).status).toBe(3);
    });

    it('accepts a pending `finish` (4) and never runs `finish` itself', () => {
      const r = runMigrations({ list: 4 });
      expect(r.status).toBe(0);
      expect(r.calls.some((c) => c.startsWith('migrations finish'))).toBe(false);
    });

    it('skips `up` when bootstrap fails and still fails through the gate', () => {
      const r = runMigrations({ bootstrap: 1, list: 3 });
      expect(r.status).toBe(3);
      expect(r.calls.map((c) => c.split(' ')[1])).toEqual(['bootstrap', 'list']);
    });
  });

  it("sets Kong up as on AWS: hardening headers, status listener, JSON errors, Kong's health check", () => {
    const env = doc.services.kong.environment;
    expect(env).toMatchObject({
      KONG_DATABASE: 'postgres',
      KONG_PG_PASSWORD_FILE: '/run/secrets/postgres_password',
      KONG_PROXY_LISTEN: '0.0.0.0:8000',
      KONG_STATUS_LISTEN: '0.0.0.0:8100',
      KONG_ADMIN_GUI_LISTEN: 'off',
      KONG_ANONYMOUS_REPORTS: 'off',
      KONG_REQUEST_DEBUG: 'off',
      KONG_HEADERS: 'X-Kong-Request-Id',
      KONG_ERROR_DEFAULT_TYPE: 'application/json',
    });
    expect(doc.services.kong.healthcheck.test).toEqual(['CMD', 'kong', 'health']);
    expect(doc.services.kong.security_opt).toContain('no-new-privileges:true');
    expect(doc.services.kong.cap_drop).toEqual(['ALL']);
  });

  it("pins every image, with the local stage's Kong and decK pins as defaults", () => {
    const images = Object.fromEntries(
      Object.entries(doc.services as Record<string, ComposeDoc>).map(([n, s]) => [
        n,
        withDefaults(String(s.image)),
      ]),
    );
    const env = composeEnvironment(local);
    expect(images.kong).toBe(local.settings.kong.image);
    expect(images.kong).toBe(env.KONG_IMAGE);
    expect(images['kong-migrations']).toBe(local.settings.kong.image);
    expect(images['deck-sync']).toBe(local.settings.kong.deckImage);
    expect(images.postgres).toMatch(/^postgres:16\.\d+(-[a-z]+)?$/);
    for (const image of Object.values(images)) expect(image).not.toMatch(/:latest$|^[^:]+$/);
    expect(withDefaults(doc.services.kong.environment.KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE)).toBe(
      env.KONG_CLIENT_MAX_BODY_SIZE,
    );
    expect(withDefaults(doc.services.kong.environment.KONG_NGINX_WORKER_PROCESSES)).toBe(
      env.KONG_WORKER_PROCESSES,
    );
  });

  it('syncs the rendered decK file of the stage through the admin API on loopback, keys from the env file', () => {
    const deck = doc.services['deck-sync'];
    expect(deck.network_mode).toBe('service:kong');
    expect(deck.command).toEqual([
      'gateway',
      'sync',
      '--kong-addr',
      'http://127.0.0.1:8001',
      '/config/kong.yaml',
    ]);
    expect(deck.env_file).toEqual(['${LOCAL_KEYS_FILE:-.env.keys}']);
    expect(deck.volumes).toEqual(['../kong/rendered/${LOCAL_STAGE:-local}.yaml:/config/kong.yaml:ro']);
    expect(deck.environment).toEqual({
      DECK_LLM_UPSTREAM_HOST: 'llm-gateway',
      DECK_LLM_UPSTREAM_PORT: '8080',
    });
    // The env file is the one local:keys writes and .gitignore keeps out of git.
    const ignored = spawnSync('git', ['check-ignore', 'infra/local/.env.keys', 'infra/local/.secrets/x'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(ignored.stdout.trim().split('\n')).toEqual(['infra/local/.env.keys', 'infra/local/.secrets/x']);
  });

  it('builds the placeholder from services/ and checks its health', () => {
    const svc = doc.services['llm-gateway'];
    expect(svc.build.context).toBe('../../services/llm-gateway-placeholder');
    expect(svc.healthcheck.test).toEqual(['CMD', 'node', 'dist/healthcheck.js']);
    expect(svc.ports).toBeUndefined();
  });

  it('puts LocalStack in its own profile, loopback only, with the token from the environment', () => {
    const ls = doc.services.localstack;
    expect(ls.profiles).toEqual(['localstack']);
    expect(ls.ports).toEqual(['127.0.0.1:4566:4566']);
    expect(ls.environment.LOCALSTACK_AUTH_TOKEN).toBe('${LOCALSTACK_AUTH_TOKEN:-}');
    const profiled = Object.entries(doc.services as Record<string, ComposeDoc>).filter(([, s]) => s.profiles);
    expect(profiled.map(([n]) => n)).toEqual(['localstack']);
  });
});

describe('bring-up plan (npm run local:up)', () => {
  it('runs the one-shot containers as steps of their own and waits for the long-running ones', () => {
    const steps = upSteps();
    const services = steps.map((s) => s.args[s.args.length - 1]);
    expect(services).toEqual(['postgres', 'kong-migrations', 'llm-gateway', 'deck-sync']);
    expect(steps[0]!.args).toEqual(expect.arrayContaining(['up', '--wait']));
    expect(steps[1]!.args).toEqual(['-f', COMPOSE_FILE, 'run', '--rm', '--no-deps', 'kong-migrations']);
    expect(steps[2]!.args).toEqual(
      expect.arrayContaining(['up', '--wait', '--build', 'kong', 'llm-gateway']),
    );
    expect(steps[3]!.attempts).toBeGreaterThan(1);
    for (const step of steps) expect(step.timeoutSeconds).toBeLessThanOrEqual(600);
    for (const name of [...LONG_RUNNING, 'kong-migrations', 'deck-sync'])
      expect(doc.services[name]).toBeDefined();
  });

  it("passes the local stage's pins to compose", () => {
    expect(composeEnvironment(local)).toEqual({
      LOCAL_STAGE: 'local',
      KONG_IMAGE: 'kong:3.9.3',
      DECK_IMAGE: local.settings.kong.deckImage,
      KONG_CLIENT_MAX_BODY_SIZE: `${local.settings.kong.maxRequestBodyMiB}m`, // = the plugin's limit
      KONG_WORKER_PROCESSES: '1',
    });
  });

  it('prints how to call the gateway without printing a key, with a non-smoke consumer', () => {
    const text = howToCall(local, 'http://localhost:8000');
    expect(text).toContain("sed -n 's/^DECK_CONSUMER_LOCAL_DEV_KEY=//p' infra/local/.env.keys");
    expect(text).toContain('curl -s http://localhost:8000/llm/v1/echo -H "apikey: $KEY"');
    expect(text).toContain('npm run smoke -- --url http://localhost:8000');
  });

  it("refuses compose v1 with a clear message (the bring-up needs v2's --wait)", () => {
    const fake = ((cmd: string) =>
      cmd === 'docker'
        ? { status: 1, stdout: '', stderr: "docker: 'compose' is not a docker command." }
        : { status: 0, stdout: '1.29.2\n', stderr: '' }) as unknown as typeof spawnSync;
    expect(() => composeCommand(fake)).toThrow(
      /found docker-compose 1\.29\.2 but not "docker compose" \(v2\)/,
    );
  });
});

describe('local secrets (npm run local:keys)', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'local-keys-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const files = () => ({
    keysFile: path.join(tmp, '.env.keys'),
    passwordFile: path.join(tmp, '.secrets', 'pw'),
  });

  it('writes a random key for every consumer of the local stage, readable by the owner only', () => {
    const f = files();
    writeLocalSecrets(f);
    const text = fs.readFileSync(f.keysFile, 'utf8');
    for (const c of local.settings.consumers) {
      expect(text).toMatch(new RegExp(`^${consumerVariables(c).current}=[A-Za-z0-9]{48}$`, 'm'));
    }
    expect(fs.statSync(f.keysFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(f.passwordFile, 'utf8')).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(fs.statSync(path.dirname(f.passwordFile)).mode & 0o777).toBe(0o700);
  });

  it("keeps existing keys, adds a new consumer and a rotating consumer's previous key; --force regenerates", () => {
    const f = files();
    fs.writeFileSync(f.keysFile, 'DECK_CONSUMER_SMOKE_KEY=kept\nDECK_CONSUMER_GONE_KEY=dropped\n');
    const consumers = [
      { name: 'smoke', rotating: false },
      { name: 'acme-app', rotating: true },
    ];
    writeLocalSecrets({ ...f, consumers });
    const text = fs.readFileSync(f.keysFile, 'utf8');
    expect(text).toMatch(/^DECK_CONSUMER_SMOKE_KEY=kept$/m);
    expect(text).toMatch(/^DECK_CONSUMER_ACME_APP_KEY=[A-Za-z0-9]{48}$/m);
    expect(text).toMatch(/^DECK_CONSUMER_ACME_APP_PREVIOUS_KEY=[A-Za-z0-9]{48}$/m);
    expect(text).not.toContain('GONE');
    expect(writeLocalSecrets({ ...f, consumers })).toEqual([]);
    writeLocalSecrets({ ...f, consumers, force: true });
    expect(fs.readFileSync(f.keysFile, 'utf8')).not.toMatch(/=kept$/m);
  });

  it('reads the keys from LocalStack with the AWS CLI (--from-localstack)', () => {
    const f = files();
    const aws = path.join(tmp, 'aws');
    fs.writeFileSync(
      aws,
      [
        '#!/bin/sh',
        `echo "$AWS_ACCESS_KEY_ID $@" >> '${tmp}/calls'`,
        'case "$*" in *consumers/smoke*) echo \'{"current":"smoke-from-ls"}\';; *) echo \'{"current":"dev-from-ls"}\';; esac',
      ].join('\n'),
      { mode: 0o755 },
    );
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, profile: process.env.AWS_PROFILE };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_PROFILE;
    try {
      writeLocalSecrets({ ...f, fromLocalStack: 'http://localhost:4566', awsCli: aws });
    } finally {
      if (saved.id !== undefined) process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.profile !== undefined) process.env.AWS_PROFILE = saved.profile;
    }
    const text = fs.readFileSync(f.keysFile, 'utf8');
    expect(text).toMatch(/^DECK_CONSUMER_SMOKE_KEY=smoke-from-ls$/m);
    expect(text).toMatch(/^DECK_CONSUMER_LOCAL_DEV_KEY=dev-from-ls$/m);
    expect(fs.readFileSync(path.join(tmp, 'calls'), 'utf8')).toContain(
      'test secretsmanager get-secret-value --secret-id kong-gateway/local/consumers/local-dev --query SecretString --output text --region eu-west-1 --endpoint-url http://localhost:4566',
    );
  });

  it('generates unbiased alphanumeric keys of the asked length', () => {
    const keys = new Set(Array.from({ length: 50 }, () => randomKey(40)));
    expect(keys.size).toBe(50);
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9]{40}$/);
  });
});

describe('npm run local:up end to end, with a stand-in docker CLI', () => {
  it('writes the keys, runs the compose steps in order with the stage pins, waits for the proxy, prints how to call it', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'local-up-'));
    const gw = await startFakeGateway({ keys: {} }); // answers the LLM route with 401 without a key
    try {
      const bin = path.join(tmp, 'bin');
      fs.mkdirSync(bin);
      // Records every call with the variables compose would interpolate, and succeeds.
      fs.writeFileSync(
        path.join(bin, 'docker'),
        `#!/bin/sh\necho "KONG_IMAGE=$KONG_IMAGE DECK_IMAGE=$DECK_IMAGE LOCAL_STAGE=$LOCAL_STAGE | $*" >> '${tmp}/calls'\n`,
        { mode: 0o755 },
      );
      const port = new URL(gw.url).port;
      const child = await new Promise<{ status: number | null; out: string }>((resolve) => {
        const p = spawn(
          path.join(ROOT, 'node_modules', '.bin', 'ts-node'),
          ['--transpile-only', 'scripts/local/local.ts', 'up'],
          {
            cwd: ROOT,
            env: {
              ...process.env,
              PATH: `${bin}:${process.env.PATH}`,
              KONG_PROXY_HOST_PORT: port,
              LOCAL_KEYS_FILE: path.join(tmp, '.env.keys'),
              POSTGRES_PASSWORD_FILE: path.join(tmp, 'secrets', 'pw'),
            },
          },
        );
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (out += d.toString()));
        p.on('close', (status) => resolve({ status, out }));
      });
      expect(child.out).not.toMatch(/local:up:/);
      // The committed rendering is current, so nothing in the tree is rewritten.
      expect(child.out).not.toMatch(/wrote infra\/kong\/rendered/);
      expect(child.status).toBe(0);
      const calls = fs.readFileSync(path.join(tmp, 'calls'), 'utf8').trim().split('\n');
      const env = `KONG_IMAGE=${local.settings.kong.image} DECK_IMAGE=${local.settings.kong.deckImage} LOCAL_STAGE=local`;
      expect(calls[0]).toMatch(/\| compose version$/);
      expect(calls.slice(1)).toEqual(upSteps().map((s) => `${env} | compose ${s.args.join(' ')}`));
      expect(fs.readFileSync(path.join(tmp, '.env.keys'), 'utf8')).toMatch(
        /^DECK_CONSUMER_SMOKE_KEY=\w{48}$/m,
      );
      expect(child.out).toContain(`Kong gateway is up at http://localhost:${port}`);
      expect(gw.requests).toContain('GET /llm/v1/echo');
    } finally {
      await gw.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
