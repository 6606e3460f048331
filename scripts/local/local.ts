/**
 * `npm run local:up` / `npm run local:down`: the compose profile in one command.
 *
 * up: writes the local keys if missing, renders the Kong configuration (`renderKongConfig`, as for
 * AWS), starts PostgreSQL, runs the migrations (gated on `kong migrations list`), starts Kong and
 * the placeholder and waits until they are healthy, applies the decK file (retried), waits until the proxy serves the LLM route,
 * and prints how to call it. Every step is bounded; a failing step stops with its output.
 * down: `docker compose down` (`npm run local:down -- --volumes` also drops the database).
 */
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { loadStage, type Stage } from '../../lib/settings/load';
import { consumerEnvStem, SMOKE_CONSUMER } from '../../lib/contracts/consumers';
import { renderKongConfig } from '../../lib/kong-config/render';
import { nginxClientMaxBodySize, workerProcesses } from '../../lib/constructs/kong/kong-containers';
import { KEYS_FILE, LOCAL_STAGE, ROOT, writeLocalSecrets } from './keys';

export const COMPOSE_FILE = path.join(ROOT, 'infra', 'local', 'docker-compose.yml');
/** Services kept running (the one-shot migrations and decK sync run as steps of their own). */
export const LONG_RUNNING = ['postgres', 'kong', 'llm-gateway'] as const;

/**
 * Variables the compose file reads, from the stage settings: the same image pins and body limit as
 * the stage's ECS tasks. The compose file's own defaults equal the `local` stage's values (a test
 * keeps them in step), so a plain `docker compose up` runs the same thing.
 */
export function composeEnvironment(stage: Stage): Record<string, string> {
  const kong = stage.settings.kong;
  return {
    LOCAL_STAGE: stage.name,
    KONG_IMAGE: kong.image,
    DECK_IMAGE: kong.deckImage,
    KONG_CLIENT_MAX_BODY_SIZE: nginxClientMaxBodySize(kong.maxRequestBodyMiB),
    KONG_WORKER_PROCESSES: String(workerProcesses(kong.cpu)),
  };
}

/** One step of the bring-up. */
export interface Step {
  /** What it does, printed before it runs. */
  readonly title: string;
  /** Arguments after the compose command. */
  readonly args: readonly string[];
  /** Attempts before giving up. @default 1 */
  readonly attempts?: number;
  /** Give up on one attempt after this many seconds. */
  readonly timeoutSeconds: number;
}

/** The bring-up, in order. */
export function upSteps(): Step[] {
  const file = ['-f', COMPOSE_FILE];
  return [
    {
      title: 'PostgreSQL',
      args: [...file, 'up', '--detach', '--wait', '--wait-timeout', '120', 'postgres'],
      timeoutSeconds: 300,
    },
    {
      title: 'Kong migrations (bootstrap, up, gate on `kong migrations list`)',
      args: [...file, 'run', '--rm', '--no-deps', 'kong-migrations'],
      attempts: 3,
      timeoutSeconds: 300,
    },
    {
      title: 'Kong and the placeholder upstream, until healthy',
      args: [
        ...file,
        'up',
        '--detach',
        '--build',
        '--no-deps',
        '--wait',
        '--wait-timeout',
        '180',
        'kong',
        'llm-gateway',
      ],
      timeoutSeconds: 600,
    },
    {
      title: 'decK sync of infra/kong/rendered/local.yaml',
      args: [...file, 'run', '--rm', '--no-deps', 'deck-sync'],
      attempts: 5,
      timeoutSeconds: 120,
    },
  ];
}

/** `docker compose` (v2) when the plugin is there. Throws when only v1 or nothing is installed. */
export function composeCommand(run = spawnSync): string[] {
  const v2 = run('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (v2.status === 0) return ['docker', 'compose'];
  const v1 = run('docker-compose', ['version', '--short'], { encoding: 'utf8' });
  const v1Version = v1.status === 0 ? String(v1.stdout).trim() : undefined;
  throw new Error(
    v1Version
      ? `found docker-compose ${v1Version} but not "docker compose" (v2): the bring-up needs v2's "up --wait". Install Docker's compose plugin.`
      : 'Docker with the compose plugin ("docker compose") is required: https://docs.docker.com/compose/install/',
  );
}

/** Waits until the proxy answers the LLM route (401 without a key means decK's config is live). */
export async function waitForProxy(baseUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    last = await new Promise<string>((resolve) => {
      const req = http.get(`${baseUrl}/llm/v1/echo`, { timeout: 3000 }, (res) => {
        res.resume();
        resolve(String(res.statusCode));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve(err.message));
    });
    if (last === '401') return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${baseUrl}/llm/v1/echo did not answer 401 within ${timeoutMs / 1000} s (last: ${last})`);
}

/** What to print once the gateway is up: how to call it, without printing a key. */
export function howToCall(stage: Stage, baseUrl: string): string {
  const consumer =
    stage.settings.consumers.find((c) => c.name !== SMOKE_CONSUMER) ?? stage.settings.consumers[0]!;
  const variable = `DECK_CONSUMER_${consumerEnvStem(consumer.name)}_KEY`;
  const keysFile = path.relative(process.cwd(), KEYS_FILE);
  return [
    `Kong gateway is up at ${baseUrl} (stage "${stage.name}", consumer keys in ${keysFile}).`,
    '',
    `  KEY=$(sed -n 's/^${variable}=//p' ${keysFile})   # consumer "${consumer.name}"`,
    `  curl -s ${baseUrl}/llm/v1/echo -H "apikey: $KEY"`,
    `  curl -sN ${baseUrl}/llm/v1/chat/completions -H "Authorization: Bearer $KEY" \\`,
    `    -H 'Content-Type: application/json' \\`,
    `    -d '{"model":"placeholder-1","stream":true,"messages":[{"role":"user","content":"Hello"}]}'`,
    `  npm run smoke -- --url ${baseUrl}`,
    '',
    'Stop it with: npm run local:down   (add -- --volumes to drop the database)',
  ].join('\n');
}

function runStep(compose: string[], step: Step, env: NodeJS.ProcessEnv): void {
  const attempts = step.attempts ?? 1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    console.log(`--- ${step.title}${attempt > 1 ? ` (attempt ${attempt} of ${attempts})` : ''}`);
    const result: SpawnSyncReturns<Buffer> = spawnSync(compose[0]!, [...compose.slice(1), ...step.args], {
      stdio: 'inherit',
      env,
      timeout: step.timeoutSeconds * 1000,
    });
    if (result.status === 0) return;
    if (attempt === attempts) {
      throw new Error(`${step.title} failed (${result.error?.message ?? `exit ${result.status}`})`);
    }
    spawnSync('sleep', ['3']);
  }
}

async function up(): Promise<void> {
  const stage = loadStage(path.join(ROOT, 'config'), LOCAL_STAGE);
  const compose = composeCommand();
  for (const line of writeLocalSecrets()) console.log(line);

  // The same generator as AWS; the file is written only when it differs from the committed one.
  const rendered = path.join(ROOT, 'infra', 'kong', 'rendered', `${stage.name}.yaml`);
  const text = renderKongConfig(stage);
  if (!fs.existsSync(rendered) || fs.readFileSync(rendered, 'utf8') !== text) {
    fs.mkdirSync(path.dirname(rendered), { recursive: true });
    fs.writeFileSync(rendered, text);
    console.log(`wrote ${path.relative(ROOT, rendered)} (it was stale: commit it)`);
  }

  const env = { ...process.env, ...composeEnvironment(stage) };
  for (const step of upSteps()) runStep(compose, step, env);

  const port = process.env.KONG_PROXY_HOST_PORT ?? '8000';
  const baseUrl = `http://localhost:${port}`;
  console.log('--- waiting for the proxy to serve the LLM route');
  await waitForProxy(baseUrl, 60_000);
  console.log(`\n${howToCall(stage, baseUrl)}`);
}

function down(extra: readonly string[]): void {
  const unknown = extra.filter((a) => a !== '--volumes');
  if (unknown.length) throw new Error(`unknown flag ${unknown[0]} (only --volumes)`);
  const compose = composeCommand();
  const result = spawnSync(
    compose[0]!,
    [...compose.slice(1), '-f', COMPOSE_FILE, '--profile', 'localstack', 'down', ...extra],
    {
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) throw new Error(`compose down failed (exit ${result.status})`);
}

if (require.main === module) {
  const [command, ...rest] = process.argv.slice(2);
  const task = command === 'up' ? up() : command === 'down' ? Promise.resolve(down(rest)) : undefined;
  if (!task) {
    console.error('usage: local.ts up | down [--volumes]');
    process.exitCode = 2;
  } else {
    task.catch((err: unknown) => {
      console.error(`local:${command}: ${(err as Error).message}`);
      process.exitCode = 1;
    });
  }
}
