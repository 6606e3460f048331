import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { loadStages, parseStageSelection, StageSettingsError, type Stage } from '../settings/load';
import { GatewayStack } from './gateway-stack';
import { LocalStackStack } from './localstack-stack';
import { stackName } from '../contracts/naming';
import { BOOTSTRAP_SETTINGS_FILE, loadBootstrapSettings } from '../settings/bootstrap-settings';
import { BootstrapStack } from './bootstrap-stack';

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** Directory holding `<stage>.json` files. @default `config/` beside the repository root */
  readonly configDir?: string;
  /** Stages to build. @default every stage with a file */
  readonly stages?: readonly string[];
  /** Output directory. @default cdktf's (`cdktf.out`) */
  readonly outdir?: string;
  /**
   * Build the bootstrap stacks too (`<configDir>/bootstrap.json`, one per account), when the file exists.
   * @default true when no stage selection is given
   */
  readonly bootstrap?: boolean;
}

/** The repository's `config/` directory. */
export const DEFAULT_CONFIG_DIR = path.join(__dirname, '..', '..', 'config');

/**
 * Validates every selected stage, then builds one stack per stage, and (with every stage) one
 * bootstrap stack per account of `bootstrap.json`. Throws `StageSettingsError` before creating
 * anything when a settings file is wrong.
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stages: Stage[] } {
  const stages = loadStages(options.configDir ?? DEFAULT_CONFIG_DIR, options.stages);
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  for (const stage of stages) {
    // A LocalStack stage holds only what LocalStack's free tier serves (lib/stacks/localstack-stack.ts).
    if (stage.settings.localstack) new LocalStackStack(app, stackName(stage.name), { stage });
    else new GatewayStack(app, stackName(stage.name), { stage });
  }
  const bootstrapFile = path.join(options.configDir ?? DEFAULT_CONFIG_DIR, BOOTSTRAP_SETTINGS_FILE);
  if ((options.bootstrap ?? !options.stages) && fs.existsSync(bootstrapFile)) {
    // Validated against the stage files it names; every stage is loaded when none is selected.
    const settings = loadBootstrapSettings(bootstrapFile, stages);
    for (const account of Object.keys(settings.accounts))
      new BootstrapStack(app, { account, settings, stages });
  }
  return { app, stages };
}

/** Reads the selection from the environment: `KONG_GATEWAY_CONFIG_DIR`, `STAGES=dev,prod`. */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv): BuildAppOptions {
  const stages = parseStageSelection(env.STAGES);
  return {
    ...(env.KONG_GATEWAY_CONFIG_DIR ? { configDir: env.KONG_GATEWAY_CONFIG_DIR } : {}),
    ...(stages ? { stages } : {}),
  };
}

/**
 * What `main.ts` (the `cdktf synth` entry point) does: builds the app the environment selects and
 * synthesizes it. A wrong settings file prints its file-and-field message through `printError` and
 * returns exit status 1, having written nothing; any other error is a bug and is thrown.
 */
export function synthesizeApp(
  env: NodeJS.ProcessEnv,
  printError: (message: string) => void,
  overrides: Pick<BuildAppOptions, 'outdir'> = {},
): number {
  try {
    buildApp({ ...optionsFromEnvironment(env), ...overrides }).app.synth();
    return 0;
  } catch (err) {
    if (!(err instanceof StageSettingsError)) throw err;
    printError(err.message);
    return 1;
  }
}
