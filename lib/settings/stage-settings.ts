/**
 * The schema of a stage's settings file (`config/<stage>.json`).
 *
 * This is the one place stage settings are described and validated: every other module receives
 * the typed, defaulted `StageSettings` this produces and never re-checks it. Defaults are the
 * production-grade choice; a cheap stage opts out explicitly in its own file. Rules that span
 * fields (a production stage needs a remote backend, a consumer's limits must grow with the
 * period, ...) are refinements here too, so the error names the field that breaks them.
 *
 * `config/schema.json` is generated from this file (`npm run schema`) for editor completion; a
 * test fails when it drifts.
 */
import { z } from 'zod';
import { isValidIpv4Cidr, cidrPrefixLength } from '../util/cidr';
import {
  CONSUMER_NAME_MAX_LENGTH,
  CONSUMER_NAME_PATTERN,
  consumerEnvStem,
  envStemCollisions,
  KEY_GUARD_CONSUMER,
  SMOKE_CONSUMER,
} from '../contracts/consumers';
import { DEFAULT_ALARM_THRESHOLDS, type AlarmThresholds } from '../constructs/observability/thresholds';
import { AWS_REGIONS } from './aws-regions';

/** Stage names as the contracts fix them; they become stack names `kong-gateway-<stage>`. */
export const STAGE_NAME_PATTERN = /^[a-z][a-z0-9-]{1,20}$/;

/** The retention periods CloudWatch Logs accepts (days). "Never expire" is deliberately absent. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Fargate task sizes: CPU units and the memory (MiB) each allows. */
const FARGATE_MEMORY_BY_CPU: Record<number, { min: number; max: number; step: number }> = {
  256: { min: 512, max: 2048, step: 512 },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

export const awsRegion = z.enum(AWS_REGIONS, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not an AWS region: must be one such as "eu-west-1" (the list: lib/settings/aws-regions.ts)`,
});

/**
 * The largest rate limit a consumer may have per period (10^12). Far above any real budget (a
 * yearly 10^12 is ~31,700 requests per second all year) and below where Kong's numbers stop being
 * exact integers: Kong keeps limits as Lua doubles and prints them with LuaJIT's 14 significant
 * digits, so a limit of 10^14 or more would reach clients as `RateLimit-Limit: 1e+14`, and above
 * 2^53 a double cannot even hold every integer. (Redis counts in 64-bit integers, Postgres in
 * `bigint`: neither is the bound.)
 */
export const RATE_LIMIT_CEILING = 1_000_000_000_000;

/**
 * Most Kong tasks a stage may scale to: each registers as an IP target in the ALB's one target
 * group, and an ELB target group holds at most 1,000 targets (ECS itself allows 5,000 tasks per
 * service).
 */
export const KONG_MAX_TASKS = 1000;
/** Most tasks of one ECS service (the ECS "tasks per service" quota, not adjustable). */
export const ECS_MAX_TASKS_PER_SERVICE = 5000;

/**
 * The smallest `sync_rate` Kong 3.9's rate-limiting plugin accepts besides -1, in seconds
 * (kong/plugins/rate-limiting/schema.lua: "sync_rate must be greater than 0.02, or -1 to disable").
 */
export const MIN_SYNC_RATE_SECONDS = 0.02;

const retentionDays = z
  .number()
  .int()
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `must be one of the retention periods CloudWatch accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
  });

const ipv4Cidr = z.string().refine(isValidIpv4Cidr, {
  message: 'must be an IPv4 CIDR block a.b.c.d/n whose host bits are zero (e.g. "10.20.0.0/16")',
});

const positiveInt = z.number().int().positive();

/** A container image reference: `repository[:tag][@sha256:digest]`, tag or digest required. */
const imageReference = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._\-/:]*[a-z0-9](:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
    'must be an image reference such as "kong:3.9.3" or "kong@sha256:<digest>"',
  )
  .refine((ref) => /@sha256:/.test(ref) || /:[^/:]+$/.test(ref), {
    message: 'must pin a tag or a digest ("latest" and untagged images drift between deploys)',
  })
  .refine((ref) => !/:latest$/.test(ref), { message: 'must not use the "latest" tag' });

const fargateSize = {
  /** CPU units of one task (1024 = 1 vCPU). */
  cpu: z
    .number()
    .int()
    .refine((c) => c in FARGATE_MEMORY_BY_CPU, {
      message: `must be a Fargate CPU size: ${Object.keys(FARGATE_MEMORY_BY_CPU).join(', ')}`,
    }),
  /** Memory of one task in MiB; must fit the CPU size. */
  memoryMiB: positiveInt,
};

function checkFargateSize(
  size: { cpu: number; memoryMiB: number },
  ctx: z.RefinementCtx,
  path: (string | number)[] = [],
): void {
  const allowed = FARGATE_MEMORY_BY_CPU[size.cpu];
  if (!allowed) return; // already reported on `cpu`
  const { min, max, step } = allowed;
  if (size.memoryMiB < min || size.memoryMiB > max || size.memoryMiB % step !== 0) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'memoryMiB'],
      message: `${size.memoryMiB} does not fit cpu ${size.cpu}: Fargate allows ${min}..${max} MiB in steps of ${step}`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

const localBackend = z.strictObject({
  type: z.literal('local'),
  /** Path of the state file, relative to the stack's output directory. */
  path: z.string().min(1).optional(),
});

const s3Backend = z.strictObject({
  type: z.literal('s3'),
  /** State bucket (versioned, encrypted; see docs/runbooks/bootstrap-state.md). */
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
  /** Object key of this stage's state. */
  key: z.string().min(1),
  /** Region of the state bucket. */
  region: awsRegion,
  /** KMS key (ARN or alias) for state encryption; SSE-S3 when absent. */
  kmsKeyId: z.string().min(1).optional(),
  /**
   * Lock with an S3 lock file (`use_lockfile`, Terraform >= 1.10 / OpenTofu >= 1.10).
   * @default true
   */
  useLockfile: z.boolean().default(true),
  /** Legacy DynamoDB lock table, for Terraform < 1.10; optional beside the lock file. */
  dynamodbTable: z.string().min(3).optional(),
});

const networkSettings = z.strictObject({
  /** The VPC's IPv4 block, /16 to /24. Each subnet gets 1/16th of it. */
  vpcCidr: ipv4Cidr.refine((c) => {
    if (!isValidIpv4Cidr(c)) return true; // reported by the format check
    const p = cidrPrefixLength(c);
    return p >= 16 && p <= 24;
  }, 'must be between /16 and /24 so that 3 tiers x up to 4 AZs of subnets fit'),
  /**
   * Availability zones to spread over (public, private and isolated subnet per AZ).
   * @default 3
   */
  azCount: z.number().int().min(2, 'must be at least 2: the ALB and RDS need two AZs').max(4).default(3),
  /**
   * `one-per-az` keeps each AZ's egress independent of the others; `single` saves cost.
   * @default "one-per-az"
   */
  natGateways: z.enum(['one-per-az', 'single']).default('one-per-az'),
  /**
   * Retention of the VPC flow logs.
   * @default 90
   */
  flowLogRetentionDays: retentionDays.default(90),
  /**
   * Interface endpoints (ECR, Logs, Secrets Manager, SSM) and an S3 gateway endpoint.
   * @default false
   */
  vpcEndpoints: z.boolean().default(false),
});

const rateLimit = positiveInt.max(RATE_LIMIT_CEILING, {
  error: (issue) =>
    `${issue.input} is above the ceiling of ${RATE_LIMIT_CEILING} requests per period (RATE_LIMIT_CEILING: beyond it Kong no longer stores and reports the limit exactly)`,
});

const consumerLimits = z
  .strictObject({
    second: rateLimit.optional(),
    minute: rateLimit.optional(),
    hour: rateLimit.optional(),
    day: rateLimit.optional(),
    month: rateLimit.optional(),
    year: rateLimit.optional(),
  })
  .superRefine((limits, ctx) => {
    const periods = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
    const set = periods.filter((p) => limits[p] !== undefined);
    if (set.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must set at least one period (second..year)' });
    }
    // Kong's rate-limiting schema rejects a longer period with a lower limit than a shorter one
    // (kong/plugins/rate-limiting/schema.lua, validate_periods_order).
    for (let i = 0; i < set.length; i++) {
      for (let j = i + 1; j < set.length; j++) {
        const shorter = set[i]!;
        const longer = set[j]!;
        if ((limits[longer] as number) < (limits[shorter] as number)) {
          ctx.addIssue({
            code: 'custom',
            path: [longer],
            message: `${limits[longer]} is lower than the ${shorter} limit ${limits[shorter]}: a longer period cannot allow fewer requests`,
          });
        }
      }
    }
  });

const consumer = z
  .strictObject({
    /** Consumer name, `^[a-z][a-z0-9-]{1,40}$`; becomes Kong's username and the secret's name. */
    name: z
      .string()
      // First, and alone: a long name would fail the pattern too, which says less.
      .max(CONSUMER_NAME_MAX_LENGTH, {
        error: (issue) =>
          `is too long: ${String(issue.input).length} characters, at most ${CONSUMER_NAME_MAX_LENGTH}`,
        abort: true,
      })
      .regex(CONSUMER_NAME_PATTERN, `must match ${CONSUMER_NAME_PATTERN}`)
      .refine((n) => n !== KEY_GUARD_CONSUMER, {
        message: `"${KEY_GUARD_CONSUMER}" is reserved: Kong's consumer for requests without a valid key (infra/kong/README.md)`,
      }),
    /** Requests allowed per period (rate-limiting plugin, limit_by consumer). */
    limits: consumerLimits,
    /**
     * Generation of the consumer's key. Raising it by exactly 1 generates a new key in the other of
     * the consumer's two key slots and makes it `current`; the slot of the old key keeps it
     * (docs/runbooks/rotate-consumer-key.md).
     * @default 1
     */
    keyVersion: z.number().int().min(1).default(1),
    /**
     * True while the consumer's key is being rotated: the secret then also carries the previous
     * generation's key as `previous`, and Kong accepts both (docs/runbooks/rotate-consumer-key.md).
     * @default false
     */
    rotating: z.boolean().default(false),
  })
  .refine((c) => !(c.rotating && c.keyVersion < 2), {
    path: ['rotating'],
    message:
      'needs keyVersion >= 2: a rotation moves to a new key generation, and generation 1 has no previous key',
  });

/** PostgreSQL majors Kong 3.9 supports (Kong docs: 12-16) that RDS still offers standard support for. */
export const POSTGRES_MAJOR_VERSIONS = ['14', '15', '16'] as const;

const databaseTlsSettings = z.strictObject({
  /**
   * Kong verifies the database's certificate (`KONG_PG_SSL_VERIFY=on`) against `caBundleFile`.
   * Off still encrypts (`KONG_PG_SSL=on`, `KONG_PG_SSL_REQUIRED=on`, TLS 1.2 or later; RDS enforces
   * TLS) but does not authenticate the server. The production profile requires it.
   * @default true
   */
  verify: z.boolean().default(true),
  /**
   * The RDS CA bundle (PEM, certificates only), relative to the repository root. Read at synth time
   * and handed to Kong as base64 (`KONG_LUA_SSL_TRUSTED_CERTIFICATE=system,<base64>`).
   * @default the root committed for the stage's region, `infra/kong/certs/<region>-rds-ca-rsa2048-g1.pem`
   *   (eu-west-1 is committed); another region names the bundle it downloaded (README, "Database")
   */
  caBundleFile: z
    .string()
    .regex(/^[A-Za-z0-9._\-/]+\.pem$/, 'must be a relative path to a .pem file')
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
      message: 'must be relative to the repository root and stay inside it',
    })
    .optional(),
});

const databaseSettings = z.strictObject({
  /**
   * PostgreSQL major version; RDS applies minor versions automatically (only the major is pinned).
   * @default "16"
   */
  engineMajorVersion: z
    .enum(POSTGRES_MAJOR_VERSIONS, {
      message: `must be one of ${POSTGRES_MAJOR_VERSIONS.join(', ')}: Kong 3.9 supports PostgreSQL 12-16, and RDS has ended standard support for 12 and 13`,
    })
    .default('16'),
  /** @default "db.t4g.medium" */
  instanceClass: z
    .string()
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an RDS instance class such as "db.t4g.medium"')
    .default('db.t4g.medium'),
  /** @default 20 */
  allocatedStorageGiB: z.number().int().min(20).max(65536).default(20),
  /** Storage autoscaling ceiling. @default 100 */
  maxAllocatedStorageGiB: z.number().int().min(20).max(65536).default(100),
  /** @default true */
  multiAz: z.boolean().default(true),
  /** @default 14 */
  backupRetentionDays: z.number().int().min(0).max(35).default(14),
  /** @default true */
  deletionProtection: z.boolean().default(true),
  /** Take a final snapshot when the instance is destroyed. @default true */
  finalSnapshot: z.boolean().default(true),
  /** @default true */
  performanceInsights: z.boolean().default(true),
  /**
   * Generation of the master password; raising it generates a new one
   * (docs/runbooks/rotate-database-password.md).
   * @default 1
   */
  passwordVersion: z.number().int().min(1).default(1),
  /** How Kong authenticates the database server. @default verify on, against the region's committed root */
  tls: databaseTlsSettings.prefault({}),
});

const kongSettings = z
  .strictObject({
    /** The Kong image, pinned by tag or digest. @default "kong:3.9.3" */
    image: imageReference.default('kong:3.9.3'),
    /** The decK image that syncs the configuration. @default "kong/deck:v1.49.0" */
    deckImage: imageReference.default('kong/deck:v1.49.0'),
    ...fargateSize,
    /** Tasks the service starts with. */
    desiredCount: z.number().int().min(1),
    /** Autoscaling floor. */
    minCount: z.number().int().min(1),
    /** Autoscaling ceiling, at most 1,000 (the ALB target group's limit, {@link KONG_MAX_TASKS}). */
    maxCount: z
      .number()
      .int()
      .min(1)
      .max(KONG_MAX_TASKS, {
        error: (issue) =>
          `${issue.input} is above ${KONG_MAX_TASKS}: every Kong task is a target of the ALB's target group, which holds at most ${KONG_MAX_TASKS}`,
      }),
    /** Target average CPU for autoscaling. @default 60 */
    cpuTargetPercent: z.number().int().min(10).max(90).default(60),
    /** Target ALB requests per task per minute for autoscaling. @default 6000 */
    requestsPerTargetPerMinute: positiveInt.default(6000),
    /**
     * Largest request body accepted, in MiB. Drives both `KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE`
     * and the `request-size-limiting` plugin, equal (nginx answers a declared length above it with
     * 413 before any plugin runs; the plugin counts chunked bodies).
     * @default 8
     */
    maxRequestBodyMiB: z.number().int().min(1).max(128).default(8),
    /** Upstream read timeout for LLM calls, in seconds. @default 300 */
    upstreamReadTimeoutSeconds: z.number().int().min(1).max(3600).default(300),
    /** Pull Docker Hub images through an ECR pull-through cache. @default true */
    pullThroughCache: z.boolean().default(true),
  })
  .superRefine((k, ctx) => {
    checkFargateSize(k, ctx);
    if (k.minCount > k.maxCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['minCount'],
        message: `${k.minCount} is above maxCount ${k.maxCount}`,
      });
    }
    if (k.desiredCount < k.minCount || k.desiredCount > k.maxCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['desiredCount'],
        message: `${k.desiredCount} is outside minCount..maxCount (${k.minCount}..${k.maxCount})`,
      });
    }
  });

const domainSettings = z.strictObject({
  /** Fully qualified name clients call, e.g. "gateway.example.com". */
  name: z
    .string()
    .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lower-case DNS name'),
  /** Route 53 hosted zone that holds the name. */
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{5,32}$/, 'must be a Route 53 hosted zone ID'),
});

const loadBalancerSettings = z.strictObject({
  /** Custom domain for HTTPS. Absent: plain HTTP (development only; keys travel in clear). */
  domain: domainSettings.optional(),
  /**
   * Who may reach the ALB's 80/443, each block once (a repeated block would be two identical
   * security-group rules, which AWS refuses at apply). @default ["0.0.0.0/0"]
   */
  allowedCidrs: z
    .array(ipv4Cidr)
    .min(1)
    .superRefine((cidrs, ctx) => {
      cidrs.forEach((cidr, i) => {
        const first = cidrs.indexOf(cidr);
        if (first !== i) {
          ctx.addIssue({
            code: 'custom',
            path: [i],
            message: `"${cidr}" is listed twice (also at [${first}]): each block becomes one security-group rule, and AWS refuses a duplicate rule at apply`,
          });
        }
      });
    })
    .default(['0.0.0.0/0']),
  /** Idle timeout; long LLM responses need more than the default 60 s. @default 300 */
  idleTimeoutSeconds: z.number().int().min(1).max(4000).default(300),
  /** @default true */
  deletionProtection: z.boolean().default(true),
  /** Access logs to an SSE-S3 bucket. @default true */
  accessLogs: z.boolean().default(true),
});

const upstreamSettings = z.strictObject({
  /** Image tag of the placeholder in this stage's ECR repository, pushed by the workflow. */
  imageTag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be an image tag'),
  ...fargateSize,
  /** @default 2 */
  desiredCount: z
    .number()
    .int()
    .min(1)
    .max(ECS_MAX_TASKS_PER_SERVICE, {
      error: (issue) =>
        `${issue.input} is above ${ECS_MAX_TASKS_PER_SERVICE}, the most tasks an ECS service runs`,
    })
    .default(2),
  /**
   * Issue 13: the longest response stream, in seconds, the stage promises survives a deploy. It
   * sizes the ALB deregistration delay of Kong's tasks (equal to it) and the placeholder's ECS
   * stop timeout (Cloud Map TTL + margin + this + 5 s, at most Fargate's 120 s). README "Deploys and
   * long streams" says what happens to a longer stream.
   * @default 300
   */
  longestStreamSeconds: z.number().int().min(1).max(3600).default(300),
  /**
   * Let requests choose their own delays (`X-Placeholder-Latency-Ms`), how tests provoke Kong's
   * timeouts; on, any consumer can hold a connection for up to 300 s.
   * @default false
   */
  allowDelayOverride: z.boolean().default(false),
});

const rateLimitingSettings = z
  .strictObject({
    /**
     * Where counters live: `redis` (accurate across tasks), `local` (per task; only with a fixed
     * task count), `cluster` (Postgres on every request; unfit for a fleet).
     * @default "redis"
     */
    policy: z.enum(['redis', 'local', 'cluster']).default('redis'),
    /** Fail open when the counter store is unreachable. @default false */
    faultTolerant: z.boolean().default(false),
    /**
     * -1 counts synchronously (exact); otherwise batches every N seconds, at least 0.02 (overshoots).
     * Only the `redis` policy uses it: the renderer writes -1 for the others. @default -1
     */
    syncRate: z
      .number()
      .refine(
        (v) => v === -1 || v >= MIN_SYNC_RATE_SECONDS,
        `must be -1 or at least ${MIN_SYNC_RATE_SECONDS} (seconds): Kong 3.9's rate-limiting plugin rejects anything else`,
      )
      .default(-1),
    /** ElastiCache node type for the `redis` policy. @default "cache.t4g.small" */
    redisNodeType: z
      .string()
      .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/)
      .default('cache.t4g.small'),
    /** Replicas beside the primary (>= 1 gives automatic failover). @default 1 */
    redisReplicas: z.number().int().min(0).max(5).default(1),
    /**
     * Requests without a valid key one client IP may send per minute before Kong answers 429
     * instead of 401 (the key guard: key-auth's anonymous consumer, rate-limited by IP, counted
     * where the consumers' limits are). Valid keys from the same address are not affected.
     * @default 10
     */
    failedAuthenticationsPerMinute: z.number().int().min(1).max(100000).default(10),
  })
  .default({
    policy: 'redis',
    faultTolerant: false,
    syncRate: -1,
    redisNodeType: 'cache.t4g.small',
    redisReplicas: 1,
    failedAuthenticationsPerMinute: 10,
  });

const consumerSecretsSettings = z
  .strictObject({
    /**
     * Days a deleted key secret stays recoverable: 0 deletes at once (a stage to recreate), else 7..30.
     * @default 30
     */
    recoveryWindowDays: z
      .number()
      .int()
      .refine((d) => d === 0 || (d >= 7 && d <= 30), 'must be 0 or between 7 and 30')
      .default(30),
  })
  .default({ recoveryWindowDays: 30 });

const wafSettings = z
  .strictObject({
    /**
     * Put an AWS WAF web ACL in front of the ALB (managed Common and KnownBadInputs rule groups,
     * per-IP rate rules, logging). Required by the production profile.
     * @default true
     */
    enabled: z.boolean().default(true),
    /**
     * Requests one client IP may send in any 5-minute window before WAF blocks it (AWS evaluates
     * rate-based rules over 5 minutes). Must exceed what the largest consumer may legitimately send
     * from one address (5 x its minute limit), or WAF blocks it before Kong's per-consumer limit.
     * @default 3000
     */
    ratePerIpPer5Minutes: z.number().int().min(10).max(2_000_000_000).default(3000),
    /**
     * Stricter per-IP limit for requests that carry no credential header at all (`apikey`,
     * `x-api-key`, `authorization`): key-auth runs before rate limiting in Kong, so such floods
     * are only ever stopped here.
     * @default 300
     */
    unauthenticatedRatePerIpPer5Minutes: z.number().int().min(10).max(2_000_000_000).default(300),
    /**
     * Action of the Common rule set's body-inspecting rules (XSS, LFI, RFI, EC2 metadata SSRF).
     * Bodies here are LLM prompts: free text that legitimately contains code, paths and URLs, so
     * `count` (logged, labelled, not blocked) is the default. `SizeRestrictions_BODY` is always
     * `count`: Kong's `request-size-limiting` owns the body size (`kong.maxRequestBodyMiB`).
     * @default "count"
     */
    promptBodyRules: z.enum(['count', 'block']).default('count'),
    /**
     * Client addresses to block outright (IPv4 CIDRs), e.g. a source guessing keys
     * (docs/runbooks/alarms.md#unauthorized-spike).
     * @default []
     */
    blockedCidrs: z.array(ipv4Cidr).max(10000).default([]),
    /**
     * Retention of the WAF log group (`aws-waf-logs-...`).
     * @default the stage's `logRetentionDays`
     */
    logRetentionDays: retentionDays.optional(),
  })
  .prefault({});

/**
 * Alarm thresholds. What each one means and its default belong to the observability code
 * (`lib/constructs/observability/thresholds.ts`, {@link DEFAULT_ALARM_THRESHOLDS}); this adds
 * only the bounds a stage file must respect.
 */
const alarmDefaults = DEFAULT_ALARM_THRESHOLDS;
export const alarmThresholdsSchema = z
  .strictObject({
    alb5xxPercent: z.number().positive().max(100).default(alarmDefaults.alb5xxPercent),
    target5xxPercent: z.number().positive().max(100).default(alarmDefaults.target5xxPercent),
    p99ResponseTimeSeconds: z.number().positive().max(4000).default(alarmDefaults.p99ResponseTimeSeconds),
    unhealthyHosts: z.number().int().min(0).default(alarmDefaults.unhealthyHosts),
    databaseCpuPercent: z.number().positive().max(100).default(alarmDefaults.databaseCpuPercent),
    databaseFreeStorageGiB: z.number().positive().default(alarmDefaults.databaseFreeStorageGiB),
    /** No default here: the construct derives it from the instance class. */
    databaseConnections: positiveInt.optional(),
    replicaLagSeconds: positiveInt.default(alarmDefaults.replicaLagSeconds),
    unauthorizedPer5Minutes: positiveInt.default(alarmDefaults.unauthorizedPer5Minutes),
    rateLimitedPer5Minutes: positiveInt.default(alarmDefaults.rateLimitedPer5Minutes),
    redisCpuPercent: z.number().positive().max(100).default(alarmDefaults.redisCpuPercent),
    redisMemoryPercent: z.number().positive().max(100).default(alarmDefaults.redisMemoryPercent),
    redisEvictions: z.number().int().min(0).default(alarmDefaults.redisEvictions),
    redisConnectionErrorsPer5Minutes: z
      .number()
      .int()
      .min(0)
      .default(alarmDefaults.redisConnectionErrorsPer5Minutes),
  } satisfies Record<keyof AlarmThresholds, z.ZodType>)
  .prefault({});

const alarmSettings = z
  .strictObject({
    /** Addresses subscribed to the stage's alarm topic (each must confirm the subscription email). @default [] */
    emails: z.array(z.email('must be an email address')).default([]),
    /**
     * Publish to this existing SNS topic instead of creating one (e.g. an on-call integration's).
     * Its key policy must let CloudWatch publish. Exclusive with `emails`.
     */
    topicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'must be an SNS topic ARN')
      .optional(),
    /** Alarm thresholds. */
    thresholds: alarmThresholdsSchema,
  })
  .prefault({});

const localStackSettings = z.strictObject({
  /**
   * LocalStack's endpoint; every AWS API call of the stage goes there.
   * @default "http://localhost:4566"
   */
  endpoint: z
    .string()
    .regex(
      /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/,
      'must be an http(s) URL such as "http://localhost:4566"',
    )
    .default('http://localhost:4566'),
});

// ---------------------------------------------------------------------------------------------
// The whole file
// ---------------------------------------------------------------------------------------------

export const stageSettingsSchema = z
  .strictObject({
    /** Editor hint pointing at schema.json; ignored. */
    $schema: z.string().optional(),
    /** What this stage is for, in one line. */
    description: z.string().optional(),
    /**
     * `production` enforces the production-grade rules below; `development` allows cheap shortcuts.
     */
    profile: z.enum(['production', 'development']),
    /** AWS region of every resource of the stage. */
    region: awsRegion,
    /** Tags on every taggable resource (provider `default_tags`); Stage and ManagedBy are added. */
    defaultTags: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z0-9 _.:/=+\-@]{1,128}$/, 'tag keys are 1-128 characters')
          .refine(
            (k) => !/^aws:/i.test(k),
            'must not start with "aws:": AWS reserves that prefix for its own tags',
          ),
        z
          .string()
          .max(256)
          .refine(
            (v) => !/^aws:/i.test(v),
            'must not start with "aws:": AWS reserves that prefix in tag values too',
          ),
      )
      .refine((tags) => 'Project' in tags && 'Owner' in tags, 'must include the "Project" and "Owner" tags'),
    /** Terraform state backend. */
    backend: z.discriminatedUnion('type', [localBackend, s3Backend]),
    /**
     * Deploy to LocalStack instead of AWS: the AWS provider sends every call to `endpoint`, and the
     * stack holds only what LocalStack's free tier serves (README, "Local profile").
     * @default absent: a real AWS stage
     */
    localstack: localStackSettings.optional(),
    /** Default retention of the services' log groups. @default 30 */
    logRetentionDays: retentionDays.default(30),
    network: networkSettings,
    database: databaseSettings,
    kong: kongSettings,
    loadBalancer: loadBalancerSettings,
    upstream: upstreamSettings,
    rateLimiting: rateLimitingSettings,
    consumerSecrets: consumerSecretsSettings,
    /** AWS WAF in front of the ALB. */
    waf: wafSettings,
    /** Where alarms go and when they fire. */
    alarms: alarmSettings,
    /** API consumers: one Kong consumer, one key secret and one set of limits each. */
    consumers: z.array(consumer).min(1),
  })
  .superRefine((s, ctx) => {
    checkFargateSize(s.upstream, ctx, ['upstream']);
    checkConsumers(s.consumers, ctx);
    if (s.database.maxAllocatedStorageGiB < s.database.allocatedStorageGiB) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'maxAllocatedStorageGiB'],
        message: `${s.database.maxAllocatedStorageGiB} is below allocatedStorageGiB ${s.database.allocatedStorageGiB}`,
      });
    }
    if (s.rateLimiting.policy === 'local' && s.kong.minCount !== s.kong.maxCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['rateLimiting', 'policy'],
        message:
          '"local" counts per task, so it needs a fixed task count (kong.minCount === kong.maxCount) to derive the per-task limit',
      });
    }
    checkWafLimits(s, ctx);
    if (s.network.vpcEndpoints && !s.kong.pullThroughCache) {
      ctx.addIssue({
        code: 'custom',
        path: ['kong', 'pullThroughCache'],
        message:
          'must be true when network.vpcEndpoints is on: the tasks then send HTTPS only to the VPC endpoints, so Docker Hub is out of reach and images come through the ECR pull-through cache',
      });
    }
    if (s.alarms.topicArn !== undefined && s.alarms.emails.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarms', 'emails'],
        message: 'must be empty when alarms.topicArn is set: subscribe the addresses to that topic instead',
      });
    }
    if (s.profile === 'production') checkProductionRules(s, ctx);
  });

/** Validated, defaulted stage settings, as every construct receives them. */
export type StageSettings = z.output<typeof stageSettingsSchema>;
/** One consumer as declared in the settings. */
export type ConsumerSettings = StageSettings['consumers'][number];
/** A consumer's limits per period. */
export type ConsumerLimits = ConsumerSettings['limits'];
/** The `s3` backend settings. */
export type S3BackendSettings = z.output<typeof s3Backend>;

function checkConsumers(consumers: readonly ConsumerSettings[], ctx: z.RefinementCtx): void {
  const names = consumers.map((c) => c.name);
  for (const group of envStemCollisions(names)) {
    const index = names.lastIndexOf(group[group.length - 1]!);
    const what =
      new Set(group).size === 1
        ? `"${group[0]}" is declared ${group.length} times`
        : `${group.map((n) => `"${n}"`).join(' and ')} map to the same variable DECK_CONSUMER_${consumerEnvStem(group[0]!)}_KEY`;
    ctx.addIssue({
      code: 'custom',
      path: ['consumers', index, 'name'],
      message: `${what}: names must be unique`,
    });
  }
  if (!names.includes(SMOKE_CONSUMER)) {
    ctx.addIssue({
      code: 'custom',
      path: ['consumers'],
      message: `must include the "${SMOKE_CONSUMER}" consumer that the smoke test uses`,
    });
  }
}

/**
 * Requests a consumer may legitimately send in 5 minutes (from its second or minute limit), or
 * undefined when it only has longer periods.
 */
export function consumerPer5Minutes(limits: ConsumerLimits): number | undefined {
  if (limits.minute !== undefined) return limits.minute * 5;
  if (limits.second !== undefined) return limits.second * 300;
  return undefined;
}

function checkWafLimits(s: StageSettings, ctx: z.RefinementCtx): void {
  if (!s.waf.enabled) return;
  for (const c of s.consumers) {
    const per5 = consumerPer5Minutes(c.limits);
    if (per5 !== undefined && per5 > s.waf.ratePerIpPer5Minutes) {
      ctx.addIssue({
        code: 'custom',
        path: ['waf', 'ratePerIpPer5Minutes'],
        message: `${s.waf.ratePerIpPer5Minutes} is below what consumer "${c.name}" may send in 5 minutes (${per5}): WAF would block it from one IP before Kong's limit applies; raise it to at least ${per5}`,
      });
    }
  }
  if (s.waf.unauthenticatedRatePerIpPer5Minutes > s.waf.ratePerIpPer5Minutes) {
    ctx.addIssue({
      code: 'custom',
      path: ['waf', 'unauthenticatedRatePerIpPer5Minutes'],
      message: `${s.waf.unauthenticatedRatePerIpPer5Minutes} is above ratePerIpPer5Minutes ${s.waf.ratePerIpPer5Minutes}: requests without a key get the stricter limit`,
    });
  }
}

function checkProductionRules(s: StageSettings, ctx: z.RefinementCtx): void {
  const require = (cond: boolean, path: (string | number)[], message: string): void => {
    if (!cond)
      ctx.addIssue({ code: 'custom', path, message: `${message} (required by profile "production")` });
  };
  require(s.localstack === undefined, ['localstack'], 'must be absent: LocalStack is for development stages');
  require(s.backend.type === 's3', [
    'backend',
    'type',
  ], 'must be "s3": production state lives in a remote, locked backend');
  require(s.network.azCount >= 3, ['network', 'azCount'], 'must be at least 3');
  require(s.network.natGateways === 'one-per-az', ['network', 'natGateways'], 'must be "one-per-az"');
  require(s.loadBalancer.domain !== undefined, [
    'loadBalancer',
    'domain',
  ], 'must be set: keys must travel over HTTPS');
  require(s.loadBalancer.deletionProtection, ['loadBalancer', 'deletionProtection'], 'must be true');
  require(s.loadBalancer.accessLogs, ['loadBalancer', 'accessLogs'], 'must be true');
  require(s.database.multiAz, ['database', 'multiAz'], 'must be true');
  require(s.database.backupRetentionDays >= 7, ['database', 'backupRetentionDays'], 'must be at least 7');
  require(s.database.deletionProtection, ['database', 'deletionProtection'], 'must be true');
  require(s.database.finalSnapshot, ['database', 'finalSnapshot'], 'must be true');
  require(s.database.performanceInsights, ['database', 'performanceInsights'], 'must be true');
  // Issue 13: without verification, whoever answers for the RDS name in the VPC gets Kong's
  // configuration and every credential.
  require(s.database.tls.verify, [
    'database',
    'tls',
    'verify',
  ], "must be true: Kong must authenticate the database server (the region's RDS root is committed)");
  // Issue 13: with overrides on, any consumer can hold a placeholder connection for minutes.
  require(!s.upstream.allowDelayOverride, [
    'upstream',
    'allowDelayOverride',
  ], 'must be false: any consumer could hold connections open with chosen delays');
  require(s.kong.minCount >= 2, ['kong', 'minCount'], 'must be at least 2 so a task or an AZ can fail');
  require(s.rateLimiting.policy === 'redis', [
    'rateLimiting',
    'policy',
  ], 'must be "redis" for exact limits across tasks');
  require(s.rateLimiting.redisReplicas >= 1, [
    'rateLimiting',
    'redisReplicas',
  ], 'must be at least 1: a single Redis node has nothing to fail over to');
  require(s.waf.enabled, ['waf', 'enabled'], 'must be true: the edge must stop unauthenticated floods');
  require(s.alarms.emails.length > 0 || s.alarms.topicArn !== undefined, [
    'alarms',
  ], 'must name emails or a topicArn: alarms nobody receives protect nothing');
  require(s.consumerSecrets.recoveryWindowDays > 0, [
    'consumerSecrets',
    'recoveryWindowDays',
  ], 'must keep a recovery window');
}
