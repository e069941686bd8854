// CloudFormation templates, YAML (short-form tags such as !Ref, !Sub, !If) or JSON, including CDK's
// cdk.out/*.template.json: AWS::ECS::TaskDefinition ContainerDefinitions[].Image, and AWS Batch job
// definitions. An image given as `!Ref Param` is judged at the parameter's literal `Default`;
// `!If` judges both branches; `!FindInMap` with literal keys judges the mapped value; `!Sub`
// without variables is a literal. Anything else is an intrinsic with no literal value.
import type { Container, ImageRef, Workload } from '../core/types.js';
import { bool, get, getPath, items, str } from '../parse/tree.js';
import type { Node, ScalarNode } from '../parse/tree.js';
import { assignRoles, literal, refFromScalar, unresolvableRef } from './containers.js';
import type { ContainerInfo } from './containers.js';
import type { ExtractContext, Extractor } from './types.js';

const FORMAT = 'cloudformation';

/** An intrinsic function call, in short form (`!Ref x`) or long form (`{"Ref": "x"}`). */
function intrinsic(node: Node): { name: string; arg: Node } | undefined {
  if (node.tag !== undefined) {
    const name = node.tag.slice(1);
    return { name: name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`, arg: node.type === 'scalar' ? { ...node, tag: undefined } as ScalarNode : { ...node, tag: undefined } as Node };
  }
  if (node.type === 'map' && node.entries.length === 1) {
    const [entry] = node.entries;
    if (entry !== undefined && (entry.key === 'Ref' || entry.key.startsWith('Fn::'))) return { name: entry.key, arg: entry.value };
  }
  return undefined;
}

interface Candidate {
  scalar?: ScalarNode;
  via?: string;
  node: Node;
  unresolvable?: string;
  /** How an unliteral value is quoted in messages (`!Ref AppImage`). */
  raw?: string;
}

function candidates(node: Node, template: Node, depth = 0): Candidate[] {
  const call = intrinsic(node);
  if (call === undefined) {
    const scalar = literal(node);
    return scalar !== undefined ? [{ scalar, node }] : [{ node, unresolvable: 'the image is not a string' }];
  }
  const short = `!${call.name.replace(/^Fn::/, '')}`;
  if (depth > 8) return [{ node, unresolvable: `${short} nested too deeply` }];
  switch (call.name) {
    case 'Ref': {
      const name = str(call.arg);
      const parameter = name === undefined ? undefined : getPath(template, 'Parameters', name);
      const fallback = literal(get(parameter, 'Default'));
      if (name !== undefined && fallback !== undefined) return [{ scalar: fallback, node: fallback, via: `parameter \`${name}\` default` }];
      const raw = `!Ref ${name ?? ''}`;
      return [{ node, raw, unresolvable: name === undefined ? '!Ref with no literal value' : parameter === undefined ? `${name} is not a template parameter` : `parameter \`${name}\` has no literal Default` }];
    }
    case 'Fn::Sub': {
      // The string is judged as written: the rules read a literal tag behind templated parts
      // (`${AWS::AccountId}.dkr.ecr…/app:latest`) and call the rest unresolvable.
      const scalar = literal(call.arg);
      if (scalar !== undefined) return [{ scalar, node }];
      return [{ node, unresolvable: '!Sub with a variable map has no literal value' }];
    }
    case 'Fn::If': {
      const [, whenTrue, whenFalse] = items(call.arg);
      return [whenTrue, whenFalse].flatMap((branch) => (branch === undefined || isNoValue(branch) ? [] : candidates(branch, template, depth + 1)));
    }
    case 'Fn::FindInMap': {
      const keys = items(call.arg).map((key) => str(key));
      const [map, first, second] = keys;
      const value = keys.length === 3 && map && first && second ? literal(getPath(template, 'Mappings', map, first, second)) : undefined;
      if (value !== undefined) return [{ scalar: value, node: value, via: `mapping \`${map}.${first}.${second}\`` }];
      return [{ node, unresolvable: '!FindInMap with no literal value' }];
    }
    default:
      return [{ node, unresolvable: `${short} has no literal value` }];
  }
}

function isNoValue(node: Node): boolean {
  const call = intrinsic(node);
  return call?.name === 'Ref' && str(call.arg) === 'AWS::NoValue';
}

function containerLists(type: string, properties: Node | undefined): Node[][] {
  if (type === 'AWS::ECS::TaskDefinition') return [items(get(properties, 'ContainerDefinitions'))];
  if (type === 'AWS::Batch::JobDefinition') {
    const lists = items(getPath(properties, 'EcsProperties', 'TaskProperties')).map((task) => items(get(task, 'Containers')));
    const single = get(properties, 'ContainerProperties');
    if (single?.type === 'map') lists.push([single]);
    return lists;
  }
  return [];
}

function extractTemplate(template: Node, ctx: ExtractContext, out: ImageRef[]): void {
  const resources = get(template, 'Resources');
  if (resources?.type !== 'map') return;
  for (const { key: logicalId, value: resource } of resources.entries) {
    const type = str(resource, 'Type') ?? '';
    const workload: Workload = { kind: type, name: logicalId };
    for (const list of containerLists(type, get(resource, 'Properties'))) {
      const containers = list.filter((c) => c.type === 'map');
      const found = containers.map((c) => {
        const image = get(c, 'Image');
        return image === undefined ? [] : candidates(image, template);
      });
      const infos: ContainerInfo[] = containers.map((c, i) => {
        const name = str(c, 'Name');
        const literalImage = found[i]?.find((candidate) => candidate.scalar !== undefined)?.scalar;
        const essential = bool(c, 'Essential');
        return {
          ...(name !== undefined ? { name } : {}),
          ...(literalImage !== undefined ? { image: String(literalImage.value) } : {}),
          ...(essential !== undefined ? { essential } : {}),
          ...(get(c, 'FirelensConfiguration') !== undefined ? { firelens: true } : {}),
        };
      });
      const roles = assignRoles(infos, ctx);
      found.forEach((list, i) => {
        const role: Container | undefined = roles[i];
        if (role === undefined) return;
        for (const candidate of list) {
          if (candidate.scalar !== undefined) {
            out.push(refFromScalar(candidate.scalar, FORMAT, workload, role, ctx, candidate.via !== undefined ? { via: candidate.via } : {}));
          } else {
            const written = ctx.text.slice(candidate.node.nodeRange.start, candidate.node.nodeRange.end);
            const raw = candidate.raw ?? (candidate.node.tag !== undefined ? `${candidate.node.tag} ${written}` : written);
            out.push(unresolvableRef(candidate.node, raw, candidate.unresolvable ?? 'no literal value', FORMAT, workload, role, ctx));
          }
        }
      });
    }
  }
}

function isTemplate(root: Node): boolean {
  if (root.type !== 'map') return false;
  if (get(root, 'AWSTemplateFormatVersion') !== undefined) return true;
  const resources = get(root, 'Resources');
  return resources?.type === 'map' && resources.entries.some(({ value }) => /^(AWS|Custom|Alexa)::/.test(str(value, 'Type') ?? ''));
}

export const cloudformation: Extractor = {
  format: FORMAT,
  detect: isTemplate,
  extract(root, ctx) {
    const out: ImageRef[] = [];
    extractTemplate(root, ctx, out);
    return out;
  },
};
