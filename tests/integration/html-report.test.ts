// The HTML report in a real headless Chromium: two nights of an ECS fleet (the OTEL collector's
// `latest` moved and three services picked up the new build), compared by `imagedrift diff
// --history`, written as HTML and JSON by the same run of the CLI. The page must load from disk
// with no console error and no request beyond the file itself (a hostile service name trying to
// load an image included), show the numbers the JSON report has, have one grid row per service,
// and chart the nights. A screenshot goes to test-output/ (gitignored) for people to look at.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTEL_028, OTEL_029, shardSnapshot, writeJson } from '../helpers/snapshots.js';
import { openInChromium } from '../helpers/chromium.js';
import type { OpenedPage } from '../helpers/chromium.js';

const root = join(import.meta.dirname, '..', '..');
const output = join(root, 'test-output');
const HOSTILE = 'svc-000<img src="https://example.invalid/x.png" onerror="alert(1)">';

let opened: OpenedPage;
let report: any;
let cli: { status: number | null; stderr: string };

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-html-'));
  const nights = join(dir, 'nights');
  mkdirSync(nights);
  writeJson(join(nights, '2025-06-02.json'), shardSnapshot({ services: 6 }));
  const second = shardSnapshot({ services: 6, otel: (i) => (i < 3 ? OTEL_029 : OTEL_028), serverTime: '2025-06-03T02:00:09.000Z' });
  second.clusters[0]!.services[0]!.name = HOSTILE;
  writeJson(join(nights, '2025-06-03.json'), second);
  const html = join(dir, 'report.html');
  const json = join(dir, 'report.json');
  const run = spawnSync(process.execPath, [join(root, 'bin', 'imagedrift.js'), 'diff', '--history', nights, '--format', `html=${html}`, '--format', `json=${json}`, '--format', 'text'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  cli = { status: run.status, stderr: run.stderr };
  report = JSON.parse(readFileSync(json, 'utf8'));
  opened = await openInChromium(html);
  mkdirSync(output, { recursive: true });
  await opened.page.screenshot({ path: join(output, 'html-report.png'), fullPage: true });
}, 120_000);

afterAll(async () => opened?.close());

describe('the HTML report in Chromium', () => {
  it('came from a diff that found drift (exit 1)', () => {
    expect(cli.status).toBe(1);
    expect(report.baseline.deploys.filter((d: any) => d.kind === 'drifted')).toHaveLength(2); // svc-001, svc-002 (svc-000 was renamed: added)
  });

  it('loads from disk with no console error and no request outside the file', () => {
    expect(opened.errors).toEqual([]);
    expect(opened.requests.length).toBeGreaterThan(0);
    for (const url of opened.requests) expect(url.startsWith('file://')).toBe(true);
    // The hostile name is text on the page, not an element.
    return opened.page.locator('img').count().then((n) => expect(n).toBe(0));
  });

  it('shows the JSON report\'s numbers: findings and new findings by severity, new and fixed totals', async () => {
    const { page } = opened;
    for (const severity of ['error', 'warning', 'note']) {
      expect(Number(await page.locator(`#severity-table tr[data-severity="${severity}"] td[data-count]`).getAttribute('data-count'))).toBe(report.summary.bySeverity[severity]);
      expect(Number(await page.locator(`#severity-table tr[data-severity="${severity}"] td[data-new-count]`).getAttribute('data-new-count'))).toBe(report.baseline.newBySeverity[severity]);
      const shown = await page.locator(`#severity-table tr[data-severity="${severity}"] td.num`).last().innerText();
      expect(shown).toBe(report.summary.bySeverity[severity].toLocaleString('en-US'));
    }
    expect(Number(await page.locator('[data-new-total]').getAttribute('data-new-total'))).toBe(report.baseline.new);
    expect(Number(await page.locator('[data-fixed-total]').getAttribute('data-fixed-total'))).toBe(report.baseline.fixed.length);
    expect(await page.locator('#new-findings tbody tr').count()).toBe(report.baseline.new);
    expect(await page.locator('#summary-line').innerText()).toBe(report.summary && (await import('../../src/report/summary.js')).summaryLine({ ...report, findings: report.findings, baseline: { ...report.baseline, fixed: report.baseline.fixed } }));
  });

  it('has one grid row per service, coloured by drift', async () => {
    const { page } = opened;
    const rows = page.locator('#grid tbody tr');
    expect(await rows.count()).toBe(report.live.inventory.length);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-workload')))).toEqual(report.live.inventory.map((w: any) => w.location));
    expect(await page.locator('#grid tbody th').first().innerText()).toBe(`prod/${HOSTILE}`);
    // Three services still run v0.28.0 while `latest` names v0.29.0 (moved since deploy); three run what `latest` names (floating only).
    expect(await page.locator('#grid td[data-state="moved"]').count()).toBe(3);
    expect(await page.locator('#grid td[data-state="floating"]').count()).toBe(3);
    expect(await page.locator('#grid td[data-state="moved"]').first().innerText()).toContain('v0.28.0');
    expect(await page.locator('#sidecars tbody tr').count()).toBe(1);
  });

  it('charts floating references and drift per night', async () => {
    const { page } = opened;
    expect(await page.locator('#history-chart').count()).toBe(1);
    const values = await page.locator('#history-chart circle[data-series="floating"]').evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('data-value'))));
    expect(values).toEqual(report.history.map((p: any) => p.floating));
    expect(await page.locator('#history-table tbody tr').count()).toBe(2);
    expect(await page.locator('#deploys li[data-kind="drifted"]').innerText()).toContain('aws-otel-collector in 2 services: v0.28.0 → v0.29.0 since 2025-06-02T02:00:09.000Z, 3 services still on v0.28.0');
  });
});
