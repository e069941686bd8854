// A CloudFormation `!Sub` whose image comes from parameters is judged at the substituted value but
// never rewritten: writing a pinned literal there would cut the string loose from its parameters.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReference } from '../../src/core/parse-reference.js';
import { pinPaths } from '../../src/fix/pin.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { fakeDigest, fakePropose } from '../helpers/fake-proposals.js';

const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Tag:
    Type: String
    Default: '1.25'
  CollectorImage:
    Type: String
    Default: public.ecr.aws/aws-observability/aws-otel-collector:v0.28.0
Resources:
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - Name: web
          Image: !Sub "nginx:\${Tag}"
        - Name: collector
          Image: !Ref CollectorImage
`;

const JSON_TEMPLATE = `{"Parameters": {"T": {"Type": "String", "Default": "v2.3.1"}},
 "Resources": {"Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [
  {"Name": "app", "Image": {"Fn::Sub": ["\${R}:\${T}", {"R": "ghcr.io/acme/app"}]}}]}}}}
`;

function digestOf(image: string): string {
  const outcome = parseReference(image);
  if (!outcome.ok) throw new Error(outcome.error);
  return fakeDigest(outcome.ref);
}

describe('pin and CloudFormation !Sub with parameters', () => {
  it('leaves the !Sub string alone, says why and what to write, and still pins a !Ref default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-pin-sub-'));
    const file = join(dir, 'template.yaml');
    writeFileSync(file, TEMPLATE);
    const report = await pinPaths([dir], { policy: loadDefaultPolicy(), style: 'tag-digest', upgradeLatest: false, propose: fakePropose });
    const after = readFileSync(file, 'utf8');
    expect(after).toContain('Image: !Sub "nginx:${Tag}"');
    expect(after).toContain("Default: '1.25'");
    expect(after).toContain(`Default: public.ecr.aws/aws-observability/aws-otel-collector:v0.28.0@${digestOf('public.ecr.aws/aws-observability/aws-otel-collector:v0.28.0')}`);
    expect(report.left).toEqual([
      {
        path: file,
        line: 15,
        column: 24,
        image: 'nginx:1.25',
        reason: `!Sub builds this image with parameter \`Tag\` default: pin rewrites only a literal image, so change the value it comes from by hand (pinned: \`nginx:1.25@${digestOf('nginx:1.25')}\`)`,
      },
    ]);
  });

  it('leaves a JSON Fn::Sub list alone too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-pin-sub-json-'));
    const file = join(dir, 'stack.template.json');
    writeFileSync(file, JSON_TEMPLATE);
    const report = await pinPaths([dir], { policy: loadDefaultPolicy(), style: 'digest', upgradeLatest: false, propose: fakePropose });
    expect(readFileSync(file, 'utf8')).toBe(JSON_TEMPLATE);
    expect(report.files.flatMap((f) => f.pinned)).toEqual([]);
    expect(report.left.map((left) => [left.image, left.reason.split(':')[0]])).toEqual([['ghcr.io/acme/app:v2.3.1', '!Sub builds this image with variable `R`, parameter `T` default']]);
  });
});
