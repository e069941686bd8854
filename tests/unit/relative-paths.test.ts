// Paths relative to the scan root, as reports and the policy's path globs see them: relativePaths()
// works them out once per directory and must give what relativeTo() gives for every path.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relativePaths, relativeTo } from '../../src/scan/scan.js';

const cwd = process.cwd();
const paths = [
  'deploy/prod/app.yaml',
  './deploy/prod/app.yaml',
  'deploy/./prod/../prod/app.yaml',
  'deploy/prod/',
  'deploy/prod/.',
  'deploy/prod/..',
  'app.yaml',
  '/app.yaml',
  join(cwd, 'deploy', 'k8s', 'pod.yaml'),
  join(cwd, 'top.yaml'),
  '../shared/corpus/ecs/task.json',
  '../../elsewhere/x.yml',
  join(resolve(cwd, '..'), 'sibling', 'a.yaml'),
  '..hidden/app.yaml',
  '..app.yaml',
  './..app.yaml',
  'deploy/../..app.yaml',
  join(cwd, '..app.yaml'),
  'odd\\name.yaml',
  'dir\\with\\backslashes/file.yaml',
  'deploy//prod///app.yaml',
  '<stdin>',
];

describe('relativePaths', () => {
  it.each([cwd, resolve(cwd, 'deploy'), resolve(cwd, '..'), '/'])('gives what relativeTo gives, first time and from its cache, under root %s', (root) => {
    const relative = relativePaths(root);
    for (const path of [...paths, ...paths]) expect(relative(path), path).toBe(relativeTo(root, path));
  });

  it('gives relative paths inside the root and absolute ones outside it', () => {
    const relative = relativePaths(cwd);
    expect(relative(join(cwd, 'deploy', 'k8s', 'pod.yaml'))).toBe('deploy/k8s/pod.yaml');
    expect(relative(join(cwd, 'top.yaml'))).toBe('top.yaml');
    expect(relative('../x/y.yaml')).toBe(resolve(cwd, '../x/y.yaml'));
    // A name that starts with two dots is inside the root, however the path to it is spelled.
    for (const path of ['..app.yaml', './..app.yaml', join(cwd, '..app.yaml'), 'deploy/../..app.yaml']) expect(relative(path), path).toBe('..app.yaml');
    expect(relative('..hidden/app.yaml')).toBe('..hidden/app.yaml');
  });
});
