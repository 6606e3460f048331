/**
 * Issue 13, item 2: the stage files and the settings code that binds `prod` to production need a
 * code owner's review (branch protection, docs/runbooks/bootstrap-state.md). GitHub applies the
 * LAST matching line of CODEOWNERS, so each path is checked against the rule that wins.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const FILE = path.join(ROOT, '.github', 'CODEOWNERS');

interface Rule {
  readonly pattern: string;
  readonly owners: string[];
}

function rules(): Rule[] {
  return fs
    .readFileSync(FILE, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '')
    .map((l) => {
      const [pattern, ...owners] = l.split(/\s+/);
      return { pattern: pattern!, owners };
    });
}

/** The subset of CODEOWNERS patterns this file uses: `/dir/` (everything below) and `/file`. */
function matches(pattern: string, file: string): boolean {
  if (!pattern.startsWith('/')) throw new Error(`unanchored pattern ${pattern}: anchor it with "/"`);
  const p = pattern.slice(1);
  return p.endsWith('/') ? file.startsWith(p) : file === p;
}

function ownersOf(file: string): string[] {
  const winner = rules()
    .filter((r) => matches(r.pattern, file))
    .pop();
  return winner?.owners ?? [];
}

describe('.github/CODEOWNERS', () => {
  it.each([
    'config/prod.json',
    'config/dev.json',
    'config/schema.json',
    'lib/settings/production-stages.ts',
    'lib/settings/stage-settings.ts',
    'lib/settings/load.ts',
    'lib/policy/checkov.ts',
    '.github/CODEOWNERS',
  ])('requires a code owner for %s', (file) => {
    const owners = ownersOf(file);
    expect(owners.length).toBeGreaterThan(0);
    for (const o of owners) expect(o).toMatch(/^@[A-Za-z0-9-]+(\/[A-Za-z0-9_.-]+)?$|^[^@\s]+@[^@\s]+$/);
  });

  it('names files that exist (a moved settings file must not lose its owners)', () => {
    for (const r of rules()) expect(fs.existsSync(path.join(ROOT, r.pattern.slice(1)))).toBe(true);
  });
});
