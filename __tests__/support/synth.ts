/**
 * Test helpers over synthesized Terraform JSON. `Testing.synth` runs in memory (no terraform, no
 * AWS); these helpers turn its string into something tests can query by resource type.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DefaultTokenResolver, StringConcat, Testing, TerraformStack, Tokenization } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { AwsEnvironment } from '../../lib/constructs/shared/aws-environment';
import { StageSettingsError, validateStageSettings, type Stage } from '../../lib/settings/load';
import { GatewayStack } from '../../lib/stacks/gateway-stack';
import { Logging } from '../../lib/constructs/logging/logging';
import { Naming } from '../../lib/contracts/naming';
import { Network, type NetworkProps } from '../../lib/constructs/network/network';
import { StackJson, type Json } from '../../lib/policy/stack-json';
import { stackName } from '../../lib/contracts/naming';

/** The repository's config directory. */
export const CONFIG_DIR = path.join(__dirname, '..', '..', 'config');

/** Every stage that has a settings file. */
export const STAGE_NAMES: string[] = fs
  .readdirSync(CONFIG_DIR)
  .filter((f) => f.endsWith('.json') && f !== 'schema.json' && f !== 'bootstrap.json')
  .map((f) => f.slice(0, -5))
  .sort();

export type { Json };

/** The raw (unvalidated) JSON of a stage file, as a fresh copy tests may modify. */
export function rawStageSettings(stage: string): Json {
  return JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, `${stage}.json`), 'utf8'));
}

/**
 * A validated stage, optionally changed first: `mutate` receives the raw JSON copy.
 * Throws `StageSettingsError` like the real loader when the change makes it invalid.
 */
export function testStage(stage: string, mutate?: (raw: Json) => void): Stage {
  const raw = rawStageSettings(stage);
  mutate?.(raw);
  return validateStageSettings(stage, `config/${stage}.json`, raw);
}

/** A synthesized stack with lookups by Terraform type (the rules' view, lib/policy, plus test lookups). */
export class SynthesizedStack extends StackJson {
  /** The only resource of `type`; fails when there are none or several. */
  resource(type: string): Json {
    const found = this.resources(type);
    if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
    return found[0]!.values;
  }

  /** The resource of `type` whose Terraform name contains `fragment`. */
  resourceNamed(type: string, fragment: string): Json {
    const found = this.resources(type).filter((r) => r.name.includes(fragment));
    if (found.length !== 1) {
      throw new Error(
        `expected one ${type} named like "${fragment}", found ${found.map((r) => r.name).join(', ') || 'none'}`,
      );
    }
    return found[0]!.values;
  }

  /** Resolves `${aws_x.name.attr}` to the referenced resource's values (undefined otherwise). */
  deref(reference: string): { type: string; name: string; values: Json } | undefined {
    const m = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z0-9_]+\}$/.exec(reference);
    if (!m) return undefined;
    const values = this.json.resource?.[m[1]!]?.[m[2]!];
    return values ? { type: m[1]!, name: m[2]!, values } : undefined;
  }

  /** The stack as text, for "does X appear anywhere" checks. */
  get text(): string {
    return JSON.stringify(this.json);
  }
}

/** Synthesizes the full stack of a stage. */
export function synthStage(stage: Stage): SynthesizedStack {
  const app = Testing.app();
  const stack = new GatewayStack(app, stackName(stage.name), { stage });
  return new SynthesizedStack(JSON.parse(Testing.synth(stack)));
}

const committedStacks = new Map<string, SynthesizedStack>();

/**
 * The stack of a committed stage file, unchanged: synthesized once per `jest` run and shared by
 * every test file through the run's cache directory (KONG_TEST_SYNTH_CACHE, made by
 * ./synth-cache.js). Tests that change settings or need construct handles use
 * {@link synthStage} / {@link synthGateway} instead. Without the cache directory (a test file run
 * outside Jest's global setup) it synthesizes in memory.
 */
export function committedStack(stageName: string): SynthesizedStack {
  const known = committedStacks.get(stageName);
  if (known) return known;
  const dir = process.env.KONG_TEST_SYNTH_CACHE;
  const file = dir ? path.join(dir, `${stageName}.json`) : undefined;
  let synth: SynthesizedStack;
  if (file && fs.existsSync(file)) {
    synth = new SynthesizedStack(JSON.parse(fs.readFileSync(file, 'utf8')));
  } else {
    synth = synthStage(testStage(stageName));
    if (file) {
      // Write then rename: a worker reading at the same moment sees the whole file or none.
      const partial = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(partial, JSON.stringify(synth.json));
      fs.renameSync(partial, file);
    }
  }
  committedStacks.set(stageName, synth);
  return synth;
}

/** A synthesized stage with the stack object, for construct handles, tokens and annotations. */
export interface SynthesizedGateway {
  readonly stack: GatewayStack;
  readonly synth: SynthesizedStack;
  /** Resolves a token (an ARN inside `valueFrom`, a policy's `.json`) to its Terraform expression. */
  resolve(value: string): string;
}

/**
 * Synthesizes the full stack of `stageName` (its settings changed by `mutate` first), resolving
 * relative setting paths (the CA bundle) against `repositoryRoot` when given.
 */
export function synthGateway(
  stageName: string,
  mutate?: (raw: Json) => void,
  repositoryRoot?: string,
): SynthesizedGateway {
  const app = Testing.app();
  const stack = new GatewayStack(app, stackName(stageName), {
    stage: testStage(stageName, mutate),
    ...(repositoryRoot ? { repositoryRoot } : {}),
  });
  const synth = new SynthesizedStack(JSON.parse(Testing.synth(stack)));
  const resolve = (value: string): string =>
    Tokenization.resolve(value, {
      scope: stack,
      preparing: false,
      resolver: new DefaultTokenResolver(new StringConcat()),
    }) as string;
  return { stack, synth, resolve };
}

/** `${type.name.attr}` of the only resource of `type` whose name contains `fragment`. */
export function refTo(synth: SynthesizedStack, type: string, attr: string, fragment = ''): string {
  const found = synth.resources(type).filter((r) => r.name.includes(fragment));
  if (found.length !== 1) throw new Error(`expected one ${type} like "${fragment}", found ${found.length}`);
  return `\${${type}.${found[0]!.name}.${attr}}`;
}

/** The policy document data source a `${data.aws_iam_policy_document.x.json}` reference names. */
export function policyDocument(synth: SynthesizedStack, reference: string): Json {
  const m = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(reference);
  const found = m && synth.dataSources('aws_iam_policy_document').find((d) => d.name === m[1]);
  if (!found) throw new Error(`${reference} is not a policy document of the stack`);
  return found.values;
}

/** What {@link synthConstruct} hands to the callback: a stack with providers and shared services. */
export interface ConstructTestContext {
  readonly stack: TerraformStack;
  readonly naming: Naming;
  readonly environment: AwsEnvironment;
  readonly logging: Logging;
}

/**
 * Synthesizes one construct (or a few) in a bare stack that has the AWS and random providers and
 * the shared Naming/AwsEnvironment/Logging, as `GatewayStack` gives them.
 */
export function synthConstruct(
  build: (ctx: ConstructTestContext) => void,
  stageName = 'test',
): SynthesizedStack {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'construct-under-test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  new RandomProvider(stack, 'random');
  const naming = new Naming(stageName);
  const environment = new AwsEnvironment(stack, 'environment', { region: 'eu-west-1' });
  const logging = new Logging(stack, 'logging', { environment, naming, defaultRetentionDays: 30 });
  build({ stack, naming, environment, logging });
  return new SynthesizedStack(JSON.parse(Testing.synth(stack)));
}

/** Synthesizes an arbitrary scope (for deliberately broken stacks in policy tests). */
export function synthScope(build: (scope: Construct) => void): SynthesizedStack {
  return new SynthesizedStack(JSON.parse(Testing.synthScope(build)));
}

/** Network options tests vary; the rest is fixed. */
export type TestNetworkOptions = Partial<
  Pick<NetworkProps, 'cidr' | 'azCount' | 'natGateways' | 'flowLogRetentionDays'>
>;

/** A `Network` (construct ID `network`) for constructs that need one, in a {@link synthConstruct} stack. */
export function testNetwork(ctx: ConstructTestContext, o: TestNetworkOptions = {}): Network {
  return new Network(ctx.stack, 'network', {
    naming: ctx.naming,
    environment: ctx.environment,
    logging: ctx.logging,
    cidr: o.cidr ?? '10.1.0.0/16',
    azCount: o.azCount ?? 2,
    flowLogRetentionDays: o.flowLogRetentionDays ?? 7,
    ...(o.natGateways ? { natGateways: o.natGateways } : {}),
  });
}

/**
 * The problems the loader reports for a settings change, one per line entry; fails the test when
 * the change is accepted.
 */
export function settingsProblems(stage: string, mutate: (raw: Json) => void): string[] {
  try {
    testStage(stage, mutate);
  } catch (err) {
    if (err instanceof StageSettingsError) return [...err.problems];
    throw err;
  }
  throw new Error('expected the settings to be rejected, but they were accepted');
}
