/**
 * Jest globalSetup/globalTeardown of the synth cache (`committedStack` in ./synth.ts): one empty
 * directory per `jest` run, named in KONG_TEST_SYNTH_CACHE so every worker (forked after this runs)
 * shares it. The first test file that needs a committed stage synthesizes it and writes it there;
 * every later file reads it. Plain JavaScript on purpose: loading cdktf here would delay every worker.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

module.exports = async function setup() {
  process.env.KONG_TEST_SYNTH_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-synth-cache-'));
};

module.exports.teardown = async function teardown() {
  const dir = process.env.KONG_TEST_SYNTH_CACHE;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
