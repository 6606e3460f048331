import {
  defaultConnectionAlarmThreshold,
  defaultMaxConnections,
} from '../../../lib/constructs/observability/rds-capacity';

describe("RDS PostgreSQL's default max_connections", () => {
  it('is the class memory less ~300 MiB, over 9531392 bytes per connection', () => {
    expect(defaultMaxConnections('db.t4g.micro')).toBe(Math.floor((1024 ** 3 - 300 * 1024 ** 2) / 9531392));
    expect(defaultMaxConnections('db.t4g.micro')).toBe(79);
    expect(defaultMaxConnections('db.m7g.large')).toBe(
      Math.floor((8 * 1024 ** 3 - 300 * 1024 ** 2) / 9531392),
    );
  });

  it('reads the size and the family (t, m, r) of any generation', () => {
    expect(defaultMaxConnections('db.t3.medium')).toBe(defaultMaxConnections('db.t4g.medium'));
    expect(defaultMaxConnections('db.r6g.large')).toBe(defaultMaxConnections('db.m7g.xlarge'));
  });

  it('stops at 5000', () => {
    expect(defaultMaxConnections('db.r7g.16xlarge')).toBe(5000);
  });
});

describe('the connection threshold', () => {
  it('is 80 % of the default max_connections of the class', () => {
    expect(defaultConnectionAlarmThreshold('db.t4g.micro')).toBe(
      Math.floor(Math.floor((1024 ** 3 - 300 * 1024 ** 2) / 9531392) * 0.8),
    );
    expect(defaultConnectionAlarmThreshold('db.m7g.large')).toBeGreaterThan(
      defaultConnectionAlarmThreshold('db.t4g.medium'),
    );
    expect(defaultConnectionAlarmThreshold('db.r7g.16xlarge')).toBe(4000);
  });

  it('asks for an explicit threshold for an unknown class', () => {
    expect(() => defaultConnectionAlarmThreshold('db.x2g.large')).toThrow(
      /set alarms\.thresholds\.databaseConnections/,
    );
    expect(() => defaultConnectionAlarmThreshold('m7g.large')).toThrow(/instance class "m7g\.large"/);
  });
});
