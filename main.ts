/**
 * CDKTF entry point: validate the stage settings, build one stack per stage, synthesize.
 * `STAGES=dev` restricts the build; `KONG_GATEWAY_CONFIG_DIR` points at another settings folder.
 */
import { buildApp, optionsFromEnvironment } from './lib/stacks/app';
import { StageSettingsError } from './lib/settings/load';

try {
  buildApp(optionsFromEnvironment(process.env)).app.synth();
} catch (err) {
  if (!(err instanceof StageSettingsError)) throw err;
  console.error(err.message);
  process.exitCode = 1;
}
