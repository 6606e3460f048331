/**
 * The rendered pre-function and post-function, executed under LuaJIT (Debian's `luajit`, the Lua
 * dialect OpenResty runs) with a stubbed `kong` PDK: `lua/serverless-harness.lua` holds the
 * scenarios. Skipped, saying so, where `luajit` is not installed (`apt-get install luajit`).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  KEY_GUARD_ID,
  KEY_IN_QUERY_MESSAGE,
  KEY_OFFERED_FLAG,
  NO_KEY_MESSAGE,
  POST_FUNCTION_LUA,
  PRE_FUNCTION_LUA,
  WRONG_KEY_MESSAGE,
  WWW_AUTHENTICATE,
} from '../../lib/kong-config/render';

function findLuajit(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v luajit'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const luajit = findLuajit();
const luaIt = luajit ? it : it.skip;

/** A Lua long-bracket string literal that cannot be closed by its content. */
const luaString = (text: string): string => {
  let eq = '=';
  while (text.includes(`]${eq}]`)) eq += '=';
  return `[${eq}[\n${text}]${eq}]`;
};

describe('serverless functions under LuaJIT with a stubbed kong', () => {
  luaIt(
    `pass every scenario of lua/serverless-harness.lua${luajit ? '' : ' (SKIPPED: no `luajit` on PATH; apt-get install luajit)'}`,
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serverless-'));
      const params = path.join(dir, 'params.lua');
      fs.writeFileSync(
        params,
        [
          'return {',
          `  pre = ${luaString(PRE_FUNCTION_LUA)},`,
          `  post = ${luaString(POST_FUNCTION_LUA)},`,
          `  guard_id = ${luaString(KEY_GUARD_ID)},`,
          `  query_message = ${luaString(KEY_IN_QUERY_MESSAGE)},`,
          `  no_key_message = ${luaString(NO_KEY_MESSAGE)},`,
          `  wrong_key_message = ${luaString(WRONG_KEY_MESSAGE)},`,
          `  www_authenticate = ${luaString(WWW_AUTHENTICATE)},`,
          `  flag = ${luaString(KEY_OFFERED_FLAG)},`,
          '}',
        ].join('\n'),
      );
      const run = spawnSync(luajit!, [path.join(__dirname, 'lua', 'serverless-harness.lua'), params], {
        encoding: 'utf8',
      });
      const failed = run.stdout.split('\n').filter((l) => l.startsWith('not ok'));
      expect(failed).toEqual([]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout.split('\n').filter((l) => l.startsWith('ok ')).length).toBeGreaterThanOrEqual(20);
    },
  );
});
