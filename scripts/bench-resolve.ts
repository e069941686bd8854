// Benchmark, part 3 of `npm run bench`: resolution of 1,000 unique references against a real
// registry (Debian's docker-registry) on 127.0.0.1 behind a proxy that adds 50 ms to every request.
// Prints wall time, manifest requests per unique reference (scan mode and pin mode, counted at the
// proxy) and, when skopeo is installed, `skopeo inspect` on a sample for comparison.
// Run: npx tsx scripts/bench-resolve.ts [--refs 1000] [--latency 50] [--concurrency 8,32]
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ImageRef, ParsedReference } from '../src/core/types.js';
import { loadDefaultPolicy } from '../src/policy/load.js';
import { createResolver } from '../src/resolve/create.js';
import { parseReference } from '../src/core/parse-reference.js';
import { gatherFacts } from '../src/scan/resolve-phase.js';
import { scanPaths } from '../src/scan/scan.js';
import { startFaultProxy } from '../tests/helpers/fault-proxy.js';
import { OCI_MANIFEST, Pusher, startRegistry } from '../tests/helpers/registry.js';

const { values } = parseArgs({ options: { refs: { type: 'string', default: '1000' }, latency: { type: 'string', default: '50' }, concurrency: { type: 'string', default: '8,32' } } });
const REFS = Number(values.refs);
const LATENCY = Number(values.latency);
const REPOS = 20;

function parsed(ref: string): ParsedReference {
  const outcome = parseReference(ref);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.ref;
}

const registry = await startRegistry();
try {
  const push = new Pusher(registry.url);
  const perRepo = Math.ceil(REFS / REPOS);
  process.stderr.write(`pushing ${REFS} tags in ${REPOS} repositories…\n`);
  for (let r = 0; r < REPOS; r++) {
    const image = await push.pushImage(`bench/app-${r}`, []);
    for (let t = 0; t < perRepo; t++) await push.putManifest(`bench/app-${r}`, `1.0.${t}`, image.manifest, OCI_MANIFEST);
  }
  const proxy = await startFaultProxy({ upstream: registry.host });
  proxy.addFault({ fault: { kind: 'latency', ms: LATENCY } });
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-bench-resolve-'));
  const refs: string[] = [];
  for (let i = 0; i < REFS; i++) refs.push(`${proxy.host}/bench/app-${i % REPOS}:1.0.${Math.floor(i / REPOS)}`);
  // Every reference twice, in two files: dedupe must still ask once.
  for (const name of ['a.yaml', 'b.yaml']) {
    writeFileSync(join(dir, name), `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n${refs.map((ref, i) => `    - {name: c${i}, image: "${ref}"}`).join('\n')}\n`);
  }
  const policy = loadDefaultPolicy();
  const found: ImageRef[] = [];
  await scanPaths([dir], { policy, onFile: (file) => found.push(...file.refs) });

  console.log(`\n## Resolution: ${REFS} unique references (${found.length} in the files), ${LATENCY} ms added per request\n`);
  console.log('| mode | per-host concurrency | wall s | manifest requests | per unique reference | ≤ 3 s |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const concurrency of String(values.concurrency).split(',').map(Number)) {
    for (const mode of ['scan', 'pin'] as const) {
      proxy.reset();
      proxy.addFault({ fault: { kind: 'latency', ms: LATENCY } });
      const { session, close } = createResolver({ noCache: true, concurrency });
      const started = performance.now();
      if (mode === 'scan') {
        await gatherFacts(found, policy, { resolver: session, newer: 'off' });
      } else {
        // What `pin` asks: each unique reference resolved and verified (HEAD + GET of the manifest).
        await Promise.all(refs.map((ref) => session.resolve(parsed(ref), { verify: true })));
      }
      const seconds = (performance.now() - started) / 1000;
      close();
      const manifests = proxy.count({ path: /\/manifests\// });
      console.log(`| ${mode} | ${concurrency} | ${seconds.toFixed(2)} | ${manifests} | ${(manifests / REFS).toFixed(2)} | ${seconds <= 3 ? 'yes' : 'no'} |`);
    }
  }

  const skopeo = spawnSync('skopeo', ['--version'], { encoding: 'utf8' });
  if (skopeo.status === 0) {
    const sample = refs.slice(0, 20);
    const started = performance.now();
    // Asynchronously: the latency proxy lives in this process.
    for (const ref of sample) await promisify(execFile)('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
    const skopeoSeconds = (performance.now() - started) / 1000;
    proxy.reset();
    proxy.addFault({ fault: { kind: 'latency', ms: LATENCY } });
    const { session, close } = createResolver({ noCache: true, concurrency: 1 });
    const ours = performance.now();
    for (const ref of sample) await session.resolve(parsed(ref));
    const oursSeconds = (performance.now() - ours) / 1000;
    close();
    console.log(`\n${skopeo.stdout.trim()}: ${sample.length} references one after another: ${skopeoSeconds.toFixed(2)} s (${((skopeoSeconds / sample.length) * 1000).toFixed(0)} ms each); imagedrift, one at a time: ${oursSeconds.toFixed(2)} s (${((oursSeconds / sample.length) * 1000).toFixed(0)} ms each)`);
  } else {
    console.log('\nskopeo is not installed (apt-get install skopeo): no side-by-side figure.');
  }
  await proxy.stop();
} finally {
  await registry.stop();
}
