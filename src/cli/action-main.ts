// What action.yml runs (bundled as dist/bundle/action.cjs): the Action, with the runner's environment.
import { runAction } from './action.js';

process.exitCode = runAction();
