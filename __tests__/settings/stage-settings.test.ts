import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadStages, parseStageSelection, validateStageSettings } from '../../lib/settings/load';
import { isProductionStage, PRODUCTION_STAGES } from '../../lib/settings/production-stages';
import {
  CONSUMER_NAME_MAX_LENGTH,
  CONSUMER_NAME_PATTERN,
  consumerEnvStem,
  envStemCollisions,
} from '../../lib/contracts/consumers';
import { AWS_REGIONS } from '../../lib/settings/aws-regions';
import { RATE_LIMIT_CEILING } from '../../lib/settings/stage-settings';
import { rawStageSettings, settingsProblems, STAGE_NAMES, testStage, type Json } from '../support/synth';

describe('the committed stage files', () => {
  it('include dev and prod', () => {
    expect(STAGE_NAMES).toEqual(expect.arrayContaining(['dev', 'prod']));
  });

  it.each(STAGE_NAMES)('%s is valid', (stage) => {
    expect(() => testStage(stage)).not.toThrow();
  });

  it('prod is production-grade and dev is the cheap variant', () => {
    const prod = testStage('prod').settings;
    const dev = testStage('dev').settings;
    expect(prod.profile).toBe('production');
    expect(prod.network.azCount).toBe(3);
    expect(prod.network.natGateways).toBe('one-per-az');
    expect(prod.backend.type).toBe('s3');
    expect(dev.profile).toBe('development');
    expect(dev.network.natGateways).toBe('single');
    expect(dev.database.multiAz).toBe(false);
  });
});

describe('bad settings are rejected with the file and the field named', () => {
  const cases: [string, string, (raw: Json) => void, RegExp][] = [
    [
      'a malformed CIDR',
      'dev',
      (r) => (r.network.vpcCidr = '10.0.0.0/33'),
      /config\/dev\.json: network\.vpcCidr: must be an IPv4 CIDR/,
    ],
    [
      'a CIDR with host bits',
      'dev',
      (r) => (r.network.vpcCidr = '10.0.1.0/16'),
      /network\.vpcCidr: must be an IPv4 CIDR/,
    ],
    [
      'a VPC too small for the subnets',
      'dev',
      (r) => (r.network.vpcCidr = '10.0.0.0/26'),
      /network\.vpcCidr: must be between \/16 and \/24/,
    ],
    ['fewer than two AZs', 'dev', (r) => (r.network.azCount = 1), /network\.azCount: must be at least 2/],
    [
      "a consumer named like Kong's key guard",
      'dev',
      (r) => r.consumers.push({ name: 'key-guard', limits: { minute: 1 } }),
      /consumers\[2\]\.name: "key-guard" is reserved/,
    ],
    [
      'a zero failed-authentication limit',
      'dev',
      (r) => (r.rateLimiting.failedAuthenticationsPerMinute = 0),
      /rateLimiting\.failedAuthenticationsPerMinute/,
    ],
    [
      'an unknown key',
      'dev',
      (r) => (r.kong.desiredCnt = 2),
      /config\/dev\.json: kong: unknown key\(s\) "desiredCnt"/,
    ],
    [
      'an unknown top-level key',
      'prod',
      (r) => (r.colour = 'blue'),
      /config\/prod\.json: unknown key\(s\) "colour"/,
    ],
    [
      'a wrong type',
      'dev',
      (r) => (r.kong.desiredCount = '2'),
      /kong\.desiredCount: Invalid input: expected number, received string/,
    ],
    [
      'a negative size',
      'dev',
      (r) => (r.database.allocatedStorageGiB = -20),
      /database\.allocatedStorageGiB: Too small/,
    ],
    [
      'a negative limit',
      'dev',
      (r) => (r.consumers[0].limits.minute = -5),
      /consumers\[0\]\.limits\.minute: Too small/,
    ],
    [
      'a zero limit',
      'dev',
      (r) => (r.consumers[0].limits.minute = 0),
      /consumers\[0\]\.limits\.minute: Too small/,
    ],
    [
      'limits that shrink with the period',
      'dev',
      (r) => (r.consumers[0].limits = { minute: 100, hour: 50 }),
      /consumers\[0\]\.limits\.hour: 50 is lower than the minute limit 100/,
    ],
    [
      'a consumer without limits',
      'dev',
      (r) => (r.consumers[0].limits = {}),
      /consumers\[0\]\.limits: must set at least one period/,
    ],
    [
      'duplicate consumer names',
      'dev',
      (r) => r.consumers.push({ name: 'smoke', limits: { minute: 1 } }),
      /consumers\[2\]\.name: "smoke" is declared 2 times: names must be unique/,
    ],
    [
      'a consumer name that is not env-safe',
      'dev',
      (r) => (r.consumers[1].name = 'Dev_Playground'),
      /consumers\[1\]\.name: must match/,
    ],
    [
      'no smoke consumer',
      'dev',
      (r) => (r.consumers = r.consumers.filter((c: Json) => c.name !== 'smoke')),
      /consumers: must include the "smoke" consumer/,
    ],
    [
      'prod without a remote backend',
      'prod',
      (r) => (r.backend = { type: 'local' }),
      /config\/prod\.json: backend\.type: must be "s3".*required by profile "production"/,
    ],
    [
      'prod without a domain',
      'prod',
      (r) => delete r.loadBalancer.domain,
      /loadBalancer\.domain: must be set/,
    ],
    ['prod with two AZs', 'prod', (r) => (r.network.azCount = 2), /network\.azCount: must be at least 3/],
    [
      'prod declaring itself a development stage',
      'prod',
      (r) => (r.profile = 'development'),
      /config\/prod\.json: profile: must be "production": "prod" is a production stage \(PRODUCTION_STAGES in lib\/settings\/production-stages\.ts\).*got "development"/,
    ],
    [
      'prod without a profile',
      'prod',
      (r) => delete r.profile,
      /config\/prod\.json: profile: must be "production": "prod" is a production stage/,
    ],
    [
      'prod letting requests choose placeholder delays',
      'prod',
      (r) => (r.upstream.allowDelayOverride = true),
      /config\/prod\.json: upstream\.allowDelayOverride: must be false: any consumer could hold connections open with chosen delays \(required by profile "production"\)/,
    ],
    [
      'prod without Performance Insights',
      'prod',
      (r) => (r.database.performanceInsights = false),
      /config\/prod\.json: database\.performanceInsights: must be true \(required by profile "production"\)/,
    ],
    [
      'prod with a single Redis node',
      'prod',
      (r) => (r.rateLimiting.redisReplicas = 0),
      /config\/prod\.json: rateLimiting\.redisReplicas: must be at least 1/,
    ],
    [
      'an s3 backend without a bucket',
      'prod',
      (r) => delete r.backend.bucket,
      /backend\.bucket: Invalid input/,
    ],
    [
      'Fargate memory that does not fit the CPU',
      'dev',
      (r) => (r.kong.memoryMiB = 1024),
      /kong\.memoryMiB: 1024 does not fit cpu 1024/,
    ],
    [
      'a desired count outside the bounds',
      'dev',
      (r) => (r.kong.desiredCount = 5),
      /kong\.desiredCount: 5 is outside minCount\.\.maxCount/,
    ],
    [
      'an unpinned image',
      'dev',
      (r) => (r.kong.image = 'kong:latest'),
      /kong\.image: must not use the "latest" tag/,
    ],
    [
      'a retention CloudWatch does not offer',
      'dev',
      (r) => (r.logRetentionDays = 10),
      /logRetentionDays: must be one of the retention periods/,
    ],
    [
      'local rate limiting with autoscaling',
      'dev',
      (r) => (r.rateLimiting.policy = 'local'),
      /rateLimiting\.policy: "local" counts per task/,
    ],
    ['a bad region', 'dev', (r) => (r.region = 'Europe'), /region: "Europe" is not an AWS region/],
    // Issue 13 item 5: settings that synthesize but fail at apply.
    [
      'a region that only looks real',
      'dev',
      (r) => (r.region = 'eu-west-9'),
      /config\/dev\.json: region: "eu-west-9" is not an AWS region/,
    ],
    [
      'a state bucket in a region that does not exist',
      'prod',
      (r) => (r.backend.region = 'eu-west-9'),
      /config\/prod\.json: backend\.region: "eu-west-9" is not an AWS region/,
    ],
    [
      'the same CIDR twice in allowedCidrs',
      'dev',
      (r) => (r.loadBalancer.allowedCidrs = ['203.0.113.0/24', '198.51.100.0/24', '203.0.113.0/24']),
      /config\/dev\.json: loadBalancer\.allowedCidrs\[2\]: "203\.0\.113\.0\/24" is listed twice \(also at \[0\]\)/,
    ],
    [
      'a limit above the ceiling Kong stores exactly',
      'dev',
      (r) => (r.consumers[0].limits = { minute: 5, year: 1e13 }),
      /config\/dev\.json: consumers\[0\]\.limits\.year: 10000000000000 is above the ceiling of 1000000000000/,
    ],
    [
      'a tag key in the aws: namespace',
      'dev',
      (r) => (r.defaultTags['aws:cost-center'] = 'x'),
      /config\/dev\.json: defaultTags\.aws:cost-center: key "aws:cost-center": must not start with "aws:"/,
    ],
    [
      'a tag key in the AWS: namespace, upper case',
      'dev',
      (r) => (r.defaultTags['AWS:Owner'] = 'x'),
      /defaultTags\.AWS:Owner: key "AWS:Owner": must not start with "aws:"/,
    ],
    [
      'a tag value in the aws: namespace',
      'dev',
      (r) => (r.defaultTags.Project = 'aws:kong'),
      /config\/dev\.json: defaultTags\.Project: must not start with "aws:"/,
    ],
    [
      'more Kong tasks than a target group holds',
      'prod',
      (r) => (r.kong.maxCount = 1001),
      /config\/prod\.json: kong\.maxCount: 1001 is above 1000: every Kong task is a target/,
    ],
    [
      'more placeholder tasks than an ECS service runs',
      'dev',
      (r) => (r.upstream.desiredCount = 5001),
      /config\/dev\.json: upstream\.desiredCount: 5001 is above 5000/,
    ],
    [
      'a sync rate below what Kong accepts',
      'dev',
      (r) => (r.rateLimiting.syncRate = 0.01),
      /config\/dev\.json: rateLimiting\.syncRate: must be -1 or at least 0\.02/,
    ],
    [
      'a sync rate of 0',
      'dev',
      (r) => (r.rateLimiting.syncRate = 0),
      /rateLimiting\.syncRate: must be -1 or at least 0\.02/,
    ],
    [
      'VPC endpoints (endpoint-only egress) without the pull-through cache',
      'prod',
      (r) => (r.kong.pullThroughCache = false),
      /kong\.pullThroughCache: must be true when network\.vpcEndpoints is on/,
    ],
  ];

  it('says a 200-character consumer name is too long, and nothing about the pattern', () => {
    const problems = settingsProblems('dev', (r) => (r.consumers[1].name = 'a'.repeat(200)));
    expect(problems).toEqual(['config/dev.json: consumers[1].name: is too long: 200 characters, at most 41']);
  });

  it('accepts the longest name the pattern admits and the smallest sync rate Kong takes', () => {
    const longest = 'a'.repeat(CONSUMER_NAME_MAX_LENGTH);
    expect(CONSUMER_NAME_PATTERN.test(longest)).toBe(true);
    expect(CONSUMER_NAME_PATTERN.test(`${longest}a`)).toBe(false);
    const stage = testStage('dev', (r) => {
      r.consumers[1].name = longest;
      r.consumers[1].limits = { minute: 60, year: RATE_LIMIT_CEILING };
      r.rateLimiting.syncRate = 0.02;
      r.loadBalancer.allowedCidrs = ['203.0.113.0/24', '198.51.100.0/24'];
      r.region = 'ap-southeast-7';
    });
    expect(stage.settings.consumers[1]!.name).toBe(longest);
    expect(stage.settings.rateLimiting.syncRate).toBe(0.02);
  });

  it('knows every region the committed stages use, and no made-up neighbour', () => {
    expect(AWS_REGIONS).toEqual(expect.arrayContaining(['eu-west-1', 'us-east-1', 'us-gov-west-1']));
    expect(AWS_REGIONS).not.toContain('eu-west-9');
    expect(new Set(AWS_REGIONS).size).toBe(AWS_REGIONS.length);
  });

  it.each(cases)('%s', (_what, stage, mutate, expected) => {
    const problems = settingsProblems(stage, mutate);
    expect(problems.join('\n')).toMatch(expected);
  });

  it('reports every problem of a file at once', () => {
    const problems = settingsProblems('dev', (r) => {
      r.network.vpcCidr = 'nope';
      r.region = 'nowhere';
    });
    expect(problems).toHaveLength(2);
  });
});

describe('which stages are production', () => {
  it('binds prod to the production profile in the settings code, not in its file', () => {
    expect(PRODUCTION_STAGES).toContain('prod');
    expect(isProductionStage('prod')).toBe(true);
    expect(isProductionStage('dev')).toBe(false);
  });

  it('lets another stage choose the production profile, with every production rule', () => {
    const staging = validateStageSettings('staging', 'config/staging.json', rawStageSettings('prod'));
    expect(staging.settings.profile).toBe('production');
    const raw = rawStageSettings('prod');
    raw.database.multiAz = false;
    expect(() => validateStageSettings('staging', 'config/staging.json', raw)).toThrow(
      /config\/staging\.json: database\.multiAz: must be true/,
    );
  });

  it('lets a stage that is not bound to production be a development stage', () => {
    const raw = rawStageSettings('dev');
    expect(validateStageSettings('sandbox', 'config/sandbox.json', raw).settings.profile).toBe('development');
  });
});

describe('consumer env-var names', () => {
  it('maps names to the contract variable stem', () => {
    expect(consumerEnvStem('acme-app')).toBe('ACME_APP');
    expect(consumerEnvStem('smoke')).toBe('SMOKE');
  });

  it('finds names that collide only after conversion', () => {
    expect(envStemCollisions(['a-b', 'a_b', 'c'])).toEqual([['a-b', 'a_b']]);
    expect(envStemCollisions(['a-b', 'c'])).toEqual([]);
  });
});

describe('loading stages from a directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stages-'));
    fs.copyFileSync(path.join(__dirname, '..', '..', 'config', 'dev.json'), path.join(dir, 'dev.json'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads every file when no selection is given', () => {
    expect(loadStages(dir).map((s) => s.name)).toEqual(['dev']);
  });

  it('names the missing file of a requested stage', () => {
    expect(() => loadStages(dir, ['staging'])).toThrow(
      /staging\.json: stage "staging" has no settings file \(known stages: dev\)/,
    );
  });

  it('names a file that is not JSON', () => {
    fs.writeFileSync(path.join(dir, 'qa.json'), '{ "profile": ');
    expect(() => loadStages(dir)).toThrow(/qa\.json: not valid JSON/);
  });

  it('rejects a stage file whose name is not a valid stage name', () => {
    fs.copyFileSync(path.join(dir, 'dev.json'), path.join(dir, 'Dev_Copy.json'));
    expect(() => loadStages(dir)).toThrow(/Dev_Copy\.json: the stage name "Dev_Copy" must match/);
  });

  it('parses the STAGES selection', () => {
    expect(parseStageSelection(undefined)).toBeUndefined();
    expect(parseStageSelection(' ')).toBeUndefined();
    expect(parseStageSelection('dev, prod,')).toEqual(['dev', 'prod']);
  });
});
