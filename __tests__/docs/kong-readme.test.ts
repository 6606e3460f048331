/**
 * infra/kong/README.md's table of Kong's answers stays exact: every row names a curl of the verify
 * section (and every curl there belongs to a row), and the bodies it quotes are the rendered ones.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  KEY_GUARD_MESSAGE,
  KEY_IN_QUERY_MESSAGE,
  NOT_FOUND_BODY,
  NO_KEY_MESSAGE,
  RATE_LIMIT_MESSAGE,
  WRONG_KEY_MESSAGE,
  WWW_AUTHENTICATE,
} from '../../lib/kong-config/render';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'infra', 'kong', 'README.md'), 'utf8');
const section = (title: string): string => {
  const start = README.indexOf(`## ${title}`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
};

describe("infra/kong/README.md's table of Kong's answers", () => {
  const rows = section('What it does')
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| request') && !/^\| -/.test(l));
  const curlNames = rows.map((r) => /\| `([a-z-]+)`\s+\|[^|]*\|\s*$/.exec(r)?.[1]);
  const verify = section('Verify a running gateway');
  const commented = [...verify.matchAll(/^# ([a-z-]+):/gm)].map((m) => m[1]);

  it('gives every row a curl of the verify section, and every curl there a row', () => {
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(curlNames.filter((n) => n === undefined)).toEqual([]);
    expect([...new Set(commented)].sort()).toEqual([...new Set(curlNames)].sort());
  });

  it('quotes the bodies and the challenge the rendered configuration answers with', () => {
    const table = rows.join('\n');
    for (const message of [
      NO_KEY_MESSAGE,
      WRONG_KEY_MESSAGE,
      KEY_GUARD_MESSAGE,
      KEY_IN_QUERY_MESSAGE,
      RATE_LIMIT_MESSAGE,
    ])
      expect(table).toContain(JSON.stringify({ message }));
    expect(table).toContain(NOT_FOUND_BODY);
    expect(table).toContain(`WWW-Authenticate: ${WWW_AUTHENTICATE}`);
  });

  it('says which rows were measured and that the body limit was measured against Kong, not an ALB', () => {
    for (const r of rows)
      expect(r).toMatch(/\| (measured|measured \(against Kong\)|from the configuration)\s+\|$/);
    expect(rows.find((r) => r.includes('`body-limit`'))).toMatch(/measured \(against Kong\)/);
    expect(section('What it does')).toMatch(/not yet through an ALB/);
  });

  it('tells users the ALB logs query strings and to rotate a key sent in a URL', () => {
    expect(README).toMatch(/The ALB logs query strings/);
    expect(README).toMatch(/sent in a URL must be rotated/);
  });
});
