// The real-world corpus beside the checkout (../shared/corpus, never copied into the repository):
// the whole of it scans without a crash, and every `:latest` OTEL collector in the release that
// broke tasks (v0.29.0) is an error naming its container.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { scanPaths } from '../../src/scan/scan.js';

const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');

describe.skipIf(!existsSync(corpus))('shared corpus', () => {
  it('scans everything without a crash and finds hundreds of references', async () => {
    const result = await scanPaths([corpus], { policy: loadDefaultPolicy() });
    expect(result.errors).toEqual([]);
    expect(result.summary.filesScanned).toBeGreaterThan(300);
    expect(result.summary.refsFound).toBeGreaterThan(300);
  });

  it('flags every :latest collector in the v0.29.0 ECS files as an error naming the container', async () => {
    const release = join(corpus, 'aws-observability__aws-otel-collector@v0.29.0');
    const result = await scanPaths([release], { policy: loadDefaultPolicy() });
    const collectors = result.findings.filter((f) => f.image?.repository?.endsWith('aws-otel-collector') && f.location.path.includes('/ecs') );
    // 2 CloudFormation sidecars, the CloudFormation !Ref parameter default, 4 JSON task definitions
    expect(collectors.length).toBe(7);
    for (const finding of collectors) {
      expect(finding.ruleId).toBe('latest-tag');
      expect(finding.severity).toBe('error');
      expect(finding.message).toContain(`\`${finding.container?.name}\``);
    }
    const fromParameter = collectors.find((f) => f.message.includes('parameter `CollectorImage` default'));
    expect(fromParameter?.location).toMatchObject({ line: 25, column: 15 });
    expect(collectors.filter((f) => f.container?.role === 'sidecar').length).toBe(6);
  });
});
