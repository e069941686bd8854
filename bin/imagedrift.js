#!/usr/bin/env node
// CommonJS (bin/package.json): a CommonJS entry starts without Node's ES module loader.
require('../dist/bundle/launch.cjs');
