#!/usr/bin/env node
// CommonJS (bin/package.json): a CommonJS entry starts without Node's ES module loader.
// Node's own compile cache (Node >= 22.1): V8's code for the bundle is kept on disk
// (NODE_COMPILE_CACHE, else the system's temporary directory) and reused by the next run.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
require('node:module').enableCompileCache?.();
require('../dist/bundle/main.cjs');
