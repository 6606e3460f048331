/**
 * Writes infra/kong/rendered/<stage>.yaml for every stage (`npm run kong:render`). The files are
 * committed so reviewers see what Kong will enforce; a test fails when they drift from the
 * generator (lib/kong-config/render.ts) or the stage settings.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadStages } from '../lib/settings/load';
import { renderKongConfig } from '../lib/kong-config/render';

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'infra', 'kong', 'rendered');
fs.mkdirSync(outDir, { recursive: true });
const stages = loadStages(path.join(root, 'config'));
const expected = new Set(stages.map((s) => `${s.name}.yaml`));
for (const stale of fs.readdirSync(outDir).filter((f) => f.endsWith('.yaml') && !expected.has(f))) {
  fs.rmSync(path.join(outDir, stale));
  console.log(`removed infra/kong/rendered/${stale} (no such stage)`);
}
for (const stage of stages) {
  const file = path.join(outDir, `${stage.name}.yaml`);
  fs.writeFileSync(file, renderKongConfig(stage));
  console.log(`wrote ${path.relative(root, file)}`);
}
