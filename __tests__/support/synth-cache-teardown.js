'use strict';
// Jest wants the teardown as a module of its own (see ./synth-cache.js).
module.exports = require('./synth-cache').teardown;
