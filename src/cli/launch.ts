// What bin/imagedrift.js runs: the bundled command line (dist/bundle/main.cjs), with the code
// cache the build made for it (src/cli/code-cache.ts).
import { fileURLToPath } from 'node:url';
import { launch } from './code-cache.js';

launch(fileURLToPath(new URL('../bundle/main.cjs', import.meta.url)));
