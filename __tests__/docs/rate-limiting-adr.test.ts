/**
 * ADR 0007 records fail-closed or fail-open per stage; this keeps that table true to the stage
 * files, so changing a stage's `rateLimiting` without updating the decision fails.
 */
import * as fs from 'fs';
import * as path from 'path';
import { STAGE_NAMES, testStage } from '../support/synth';

const ADR = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'adr', '0007-rate-limiting.md'), 'utf8');

/** Rows `| \`stage\` | \`policy\` | \`faultTolerant\` | ... |` of the per-stage table. */
function decisions(): Map<string, { policy: string; faultTolerant: boolean }> {
  const rows = [...ADR.matchAll(/^\s*\| `([a-z][a-z0-9-]*)`\s*\| `([a-z]+)`\s*\| `(true|false)`\s*\|/gm)];
  return new Map(rows.map((r) => [r[1]!, { policy: r[2]!, faultTolerant: r[3] === 'true' }]));
}

describe('ADR 0007: fail-closed or fail-open, per stage', () => {
  it('has a row for every stage and none for a stage that does not exist', () => {
    expect([...decisions().keys()].sort()).toEqual([...STAGE_NAMES].sort());
  });

  it.each(STAGE_NAMES)('records the policy and fault tolerance %s actually uses', (stage) => {
    const { policy, faultTolerant } = testStage(stage).settings.rateLimiting;
    expect(decisions().get(stage)).toEqual({ policy, faultTolerant });
  });
});
