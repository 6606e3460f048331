/**
 * CDKTF entry point: validate the stage settings, build one stack per stage, synthesize.
 * `STAGES=dev` restricts the build; `KONG_GATEWAY_CONFIG_DIR` points at another settings folder.
 */
import { synthesizeApp } from './lib/stacks/app';

process.exitCode = synthesizeApp(process.env, (message) => console.error(message));
