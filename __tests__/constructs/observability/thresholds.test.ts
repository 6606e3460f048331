import * as fs from 'fs';
import * as path from 'path';
import {
  DEFAULT_ALARM_THRESHOLDS,
  resolveThresholds,
} from '../../../lib/constructs/observability/thresholds';
import { alarmThresholdsSchema } from '../../../lib/settings/stage-settings';
import { settingsProblems, testStage } from '../../support/synth';

const THRESHOLDS_MODULE = '../../../lib/constructs/observability/thresholds';

describe('the alarm thresholds module', () => {
  it('holds plain data: no provider, zod or settings import (the schema loads it)', () => {
    const source = fs.readFileSync(
      path.join(__dirname, '..', '..', '..', 'lib', 'constructs', 'observability', 'thresholds.ts'),
      'utf8',
    );
    expect(source).not.toMatch(/^import /m);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(DEFAULT_ALARM_THRESHOLDS)).toBe(true);
  });

  it('overlays given values on the defaults, keeping defaults for undefined ones', () => {
    const t = resolveThresholds({
      p99ResponseTimeSeconds: 5,
      alb5xxPercent: undefined,
      databaseConnections: 42,
    });
    expect(t).toEqual({ ...DEFAULT_ALARM_THRESHOLDS, p99ResponseTimeSeconds: 5, databaseConnections: 42 });
    expect(resolveThresholds()).toEqual(DEFAULT_ALARM_THRESHOLDS);
    expect(resolveThresholds().databaseConnections).toBeUndefined();
  });
});

describe("the schema's alarms.thresholds", () => {
  it("defaults every threshold to the observability module's value", () => {
    expect(alarmThresholdsSchema.parse({})).toEqual(DEFAULT_ALARM_THRESHOLDS);
    expect(Object.keys(alarmThresholdsSchema.parse({ databaseConnections: 1 })).sort()).toEqual(
      [...Object.keys(DEFAULT_ALARM_THRESHOLDS), 'databaseConnections'].sort(),
    );
  });

  it('takes its defaults from the module, not from literals of its own', () => {
    // GIVEN other defaults in the observability module, WHEN the schema is loaded again,
    // THEN an empty section yields those: the schema restates nothing.
    const shifted = Object.fromEntries(
      Object.entries(DEFAULT_ALARM_THRESHOLDS).map(([k, v]) => [k, v === 0 ? 3 : Math.min(v + 1, 99)]),
    );
    let parsed: unknown;
    jest.isolateModules(() => {
      jest.doMock(THRESHOLDS_MODULE, () => ({
        ...jest.requireActual(THRESHOLDS_MODULE),
        DEFAULT_ALARM_THRESHOLDS: shifted,
      }));
      const settings =
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('../../../lib/settings/stage-settings') as typeof import('../../../lib/settings/stage-settings');
      parsed = settings.alarmThresholdsSchema.parse({});
    });
    jest.dontMock(THRESHOLDS_MODULE);
    expect(parsed).toEqual(shifted);
    expect(parsed).not.toEqual(DEFAULT_ALARM_THRESHOLDS);
  });

  it('defaults every threshold in a stage that sets none, and keeps what a stage sets', () => {
    expect(testStage('dev').settings.alarms).toEqual({ emails: [], thresholds: DEFAULT_ALARM_THRESHOLDS });
    expect(testStage('prod').settings.alarms.thresholds.rateLimitedPer5Minutes).toBe(1000);
  });

  it('rejects a bad threshold and an unknown key, naming the field', () => {
    expect(
      settingsProblems('dev', (r) => (r.alarms = { thresholds: { alb5xxPercent: 150 } })).join('\n'),
    ).toMatch(/alarms\.thresholds\.alb5xxPercent: Too big/);
    expect(
      settingsProblems(
        'dev',
        (r) => (r.alarms = { thresholds: { redisConnectionErrorsPer5Minutes: -1 } }),
      ).join('\n'),
    ).toMatch(/alarms\.thresholds\.redisConnectionErrorsPer5Minutes/);
    expect(settingsProblems('dev', (r) => (r.alarms = { thresholds: { unknown: 1 } })).join('\n')).toMatch(
      /unknown key/,
    );
  });
});
