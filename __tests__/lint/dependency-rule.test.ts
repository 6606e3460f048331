/**
 * The dependency rule (eslint.config.mjs, ADR 0015) fires on a deliberately bad import in each
 * layer, and not on the imports the layer may make. ESLint's Node API (`new ESLint({ cwd })`,
 * `lintText(code, { filePath })`) lints code placed, by file path, in each folder, with the
 * repository's config as `npx eslint .` applies it. It runs in one child Node process: ESLint loads
 * eslint.config.mjs with a dynamic import, which Jest's module sandbox refuses.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

/** Lints each `{ filePath, code }` and returns its `no-restricted-imports` messages, in order. */
function restrictedImports(cases: { filePath: string; code: string }[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const eslint = new ESLint({ cwd: process.cwd() });
    (async () => {
      const out = [];
      for (const { filePath, code } of cases) {
        const [result] = await eslint.lintText(code + '\\n', { filePath });
        out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const run = spawnSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    input: JSON.stringify(cases),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`ESLint failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

// [folder, file, import that must fire, message it must give]
const BAD: [string, string, string, RegExp][] = [
  [
    'constructs (type import)',
    'lib/constructs/x/y.ts',
    "import type { StageSettings } from '../../settings/stage-settings';",
    /A construct takes typed props/,
  ],
  ['constructs', 'lib/constructs/x/y.ts', "import { buildApp } from '../../stacks/app';", /A construct/],
  [
    'constructs',
    'lib/constructs/x/y.ts',
    "import { renderKongConfig } from '../../kong-config/render';",
    /A construct/,
  ],
  [
    'constructs (re-export)',
    'lib/constructs/x/y.ts',
    "export { loadStages } from '../../settings/load';",
    /A construct/,
  ],
  [
    'contracts',
    'lib/contracts/y.ts',
    "import { parseCidr } from '../util/cidr';",
    /import nothing of the project/,
  ],
  [
    'contracts',
    'lib/contracts/y.ts',
    "import type { Stage } from '../settings/load';",
    /import nothing of the project/,
  ],
  ['util', 'lib/util/y.ts', "import { Naming } from '../contracts/naming';", /import nothing of the project/],
  [
    'settings',
    'lib/settings/y.ts',
    "import { KongService } from '../constructs/kong/kong-service';",
    /Settings import/,
  ],
  [
    'settings',
    'lib/settings/y.ts',
    "import { alarmWidgets } from '../constructs/observability/dashboard';",
    /Settings import/,
  ],
  ['settings', 'lib/settings/y.ts', "import { stageTags } from '../stacks/tags';", /Settings import/],
  [
    'observability thresholds',
    'lib/constructs/observability/thresholds.ts',
    "import type { Naming } from '../../contracts/naming';",
    /import nothing of the project/,
  ],
  [
    'settings',
    'lib/settings/y.ts',
    "import { renderKongConfig } from '../kong-config/render';",
    /Settings import/,
  ],
  ['settings', 'lib/settings/y.ts', "import { skipCheckov } from '../policy/checkov';", /Settings import/],
  [
    'kong-config',
    'lib/kong-config/rules/y.ts',
    "import { KONG_PORTS } from '../../constructs/kong/kong-containers';",
    /decK renderer/,
  ],
  [
    'kong-config',
    'lib/kong-config/y.ts',
    "import type { GatewayStack } from '../stacks/gateway-stack';",
    /decK renderer/,
  ],
  [
    'policy',
    'lib/policy/rules/y.ts',
    "import type { Stage } from '../../settings/load';",
    /lib\/policy reads/,
  ],
  // Each override repeats the ban on provider roots (an override replaces the rule's options).
  [
    'constructs (provider root)',
    'lib/constructs/x/y.ts',
    "import { Vpc } from '@cdktf/provider-aws';",
    /submodule/,
  ],
  [
    'contracts (provider root)',
    'lib/contracts/y.ts',
    "import { Password } from '@cdktf/provider-random';",
    /submodule/,
  ],
  [
    'settings (provider root)',
    'lib/settings/y.ts',
    "import { Vpc } from '@cdktf/provider-aws';",
    /submodule/,
  ],
  [
    'kong-config (provider root)',
    'lib/kong-config/y.ts',
    "import { Vpc } from '@cdktf/provider-aws';",
    /submodule/,
  ],
  ['policy (provider root)', 'lib/policy/y.ts', "import { Vpc } from '@cdktf/provider-aws';", /submodule/],
  ['stacks (provider root)', 'lib/stacks/y.ts', "import { Vpc } from '@cdktf/provider-aws';", /submodule/],
];

// [folder, file, imports the layer may make]
const GOOD: [string, string, string][] = [
  [
    'constructs',
    'lib/constructs/x/y.ts',
    [
      "import { Construct } from 'constructs';",
      "import { Vpc } from '@cdktf/provider-aws/lib/vpc';",
      "import { Naming } from '../../contracts/naming';",
      "import { parseCidr } from '../../util/cidr';",
      "import { skipCheckov } from '../../policy/checkov';",
      "import type { AwsEnvironment } from '../shared/aws-environment';",
      "import type { Network } from '../network/network';",
    ].join('\n'),
  ],
  [
    'contracts',
    'lib/contracts/y.ts',
    "import { consumerEnvStem } from './consumers';\nimport { z } from 'zod';",
  ],
  ['util', 'lib/util/y.ts', "import * as fs from 'fs';\nimport { parseCidr } from './cidr';"],
  [
    'settings',
    'lib/settings/y.ts',
    [
      "import { SMOKE_CONSUMER } from '../contracts/consumers';",
      "import { parseCidr } from '../util/cidr';",
      "import { DEFAULT_ALARM_THRESHOLDS } from '../constructs/observability/thresholds';",
    ].join('\n'),
  ],
  [
    'kong-config',
    'lib/kong-config/rules/y.ts',
    "import type { Stage } from '../../settings/load';\nimport { KEY_NAMES } from '../../contracts/key-headers';",
  ],
  [
    'policy',
    'lib/policy/y.ts',
    "import { Construct } from 'constructs';\nimport { Naming } from '../contracts/naming';",
  ],
  [
    'stacks',
    'lib/stacks/y.ts',
    [
      "import type { Stage } from '../settings/load';",
      "import { renderKongConfig } from '../kong-config/render';",
      "import { KongService } from '../constructs/kong/kong-service';",
      "import { stackRules } from '../policy/rules';",
    ].join('\n'),
  ],
];

describe('the dependency rule', () => {
  let bad: string[][];
  let good: string[][];
  beforeAll(() => {
    const all = restrictedImports([
      ...BAD.map(([, filePath, code]) => ({ filePath, code })),
      ...GOOD.map(([, filePath, code]) => ({ filePath, code })),
    ]);
    bad = all.slice(0, BAD.length);
    good = all.slice(BAD.length);
  });

  it.each(BAD.map((c, i) => [...c, i] as const))(
    'fires in %s on a bad import in %s: %s',
    (_layer, _filePath, _code, message, i) => {
      expect(bad[i]).toHaveLength(1);
      expect(bad[i]![0]).toMatch(message);
    },
  );

  it.each(GOOD.map((c, i) => [...c, i] as const))(
    'lets %s import what it may (%s)',
    (_layer, _filePath, _code, i) => {
      expect(good[i]).toEqual([]);
    },
  );
});
