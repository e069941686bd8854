// CloudFormation templates, YAML (short-form tags such as !Ref, !Sub, !If) or JSON, including CDK's
// cdk.out/*.template.json: AWS::ECS::TaskDefinition ContainerDefinitions[].Image, and AWS Batch job
// definitions. An image given as `!Ref Param` is judged at the parameter's literal `Default`;
// `!If` judges both branches; `!FindInMap` with literal keys judges the mapped value; `!Sub` is
// judged at its string with each `${Param}` replaced by the parameter's literal `Default` (and the
// variables of `!Sub [string, {vars}]` by their literal values), pseudo parameters such as
// `${AWS::AccountId}` left as written. Anything else is an intrinsic with no literal value.
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
  /** The value to judge when it is not the scalar's own (a `!Sub` string with its variables replaced). */
  value?: string;
  /** Why `pin` cannot rewrite the scalar (its value comes from elsewhere too). */
  noRewrite?: string;
  /** Set when the value has a variable no literal stands for after the last `/` (its tag or name). */
  unresolvedTag?: string;
  via?: string;
  node: Node;
  unresolvable?: string;
  /** How an unliteral value is quoted in messages (`!Ref AppImage`). */
  raw?: string;
}

function candidates(node: Node, template: Node, text: string, depth = 0): Candidate[] {
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
      const [body, variables] = call.arg.type === 'seq' ? items(call.arg) : [call.arg, undefined];
      const scalar = literal(body);
      if (scalar === undefined) return [{ node, unresolvable: '!Sub whose string is not a literal' }];
      const sub = substitute(String(scalar.value), variables, template, text);
      // With nothing substituted, the string is judged as written: the rules read a literal tag
      // behind templated parts (`${AWS::AccountId}.dkr.ecr…/app:latest`) and call the rest unresolvable.
      if (sub.sources.length === 0) return [{ scalar, node, ...(sub.unresolved !== undefined ? { unresolvedTag: sub.unresolved } : {}) }];
      const from = sub.sources.join(', ');
      return [
        {
          scalar,
          node,
          value: sub.value,
          via: `!Sub with ${from}`,
          noRewrite: `!Sub builds this image with ${from}: pin rewrites only a literal image, so change the ${sub.sources.length === 1 ? 'value it comes from' : 'values it comes from'} by hand`,
          ...(sub.unresolved !== undefined ? { unresolvedTag: sub.unresolved } : {}),
        },
      ];
    }
    case 'Fn::If': {
      const [, whenTrue, whenFalse] = items(call.arg);
      return [whenTrue, whenFalse].flatMap((branch) => (branch === undefined || isNoValue(branch) ? [] : candidates(branch, template, text, depth + 1)));
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

/** A parameter's literal `Default` as CloudFormation passes it on: a string, or a number as written. */
function parameterDefault(template: Node, name: string, text: string): string | undefined {
  const value = get(getPath(template, 'Parameters', name), 'Default');
  if (value?.type !== 'scalar' || value.tag !== undefined) return undefined;
  if (typeof value.value === 'string') return value.value;
  return typeof value.value === 'number' ? text.slice(value.range.start, value.range.end) : undefined;
}

const SUB_VARIABLE = /\$\{([^}]*)\}/g;

interface Substituted {
  value: string;
  /** What was put in, for messages: "parameter `Tag` default", "variable `Tag`". */
  sources: string[];
  /** Why a variable in the last path component (name and tag) has no literal value. */
  unresolved?: string;
}

/**
 * A `!Sub` string with each variable replaced where a literal stands for it: an entry of the
 * variable map (a literal, or `!Ref` of a parameter with a literal Default), else a template
 * parameter's literal Default. Pseudo parameters (`${AWS::Region}`), resource attributes and
 * parameters without a Default stay as written; `${!Literal}` is the text `${Literal}`.
 */
function substitute(body: string, variables: Node | undefined, template: Node, text: string): Substituted {
  const sources: string[] = [];
  const problems: Array<{ start: number; end: number; why: string }> = [];
  let value = '';
  let last = 0;
  for (const match of body.matchAll(SUB_VARIABLE)) {
    const name = match[1] ?? '';
    value += body.slice(last, match.index);
    last = match.index + match[0].length;
    if (name.startsWith('!')) {
      value += `\${${name.slice(1)}}`;
      continue;
    }
    const found = variableValue(name, variables, template, text);
    if (found.value !== undefined) {
      value += found.value;
      if (!sources.includes(found.source)) sources.push(found.source);
    } else {
      problems.push({ start: value.length, end: value.length + match[0].length, why: found.why });
      value += match[0];
    }
  }
  value += body.slice(last);
  // Only a variable in the tag (or in a name with no tag) hides what the rules judge: one in the
  // registry or repository part is stubbed by the rules, which still read a literal tag.
  const inVariable = (offset: number) => problems.some((problem) => offset >= problem.start && offset < problem.end);
  let tagColon = -1;
  for (let i = value.length - 1; i >= 0 && value[i] !== '/'; i--) {
    if (value[i] === ':' && !inVariable(i)) {
      tagColon = i;
      break;
    }
  }
  const nameStart = value.lastIndexOf('/') + 1;
  const unresolved = problems.find((problem) => (tagColon >= 0 ? problem.start > tagColon : problem.end > nameStart))?.why;
  return { value, sources, ...(unresolved !== undefined ? { unresolved } : {}) };
}

function variableValue(name: string, variables: Node | undefined, template: Node, text: string): { value: string; source: string } | { value?: undefined; why: string } {
  const entry = get(variables, name);
  if (entry !== undefined) {
    const scalar = literal(entry);
    if (scalar !== undefined) return { value: String(scalar.value), source: `variable \`${name}\`` };
    const call = intrinsic(entry);
    const ref = call?.name === 'Ref' ? str(call.arg) : undefined;
    if (ref === undefined) return { why: `\`\${${name}}\` is given by ${call !== undefined ? `!${call.name.replace(/^Fn::/, '')}` : 'a value'} with no literal value` };
    const fallback = parameterDefault(template, ref, text);
    if (fallback !== undefined) return { value: fallback, source: `parameter \`${ref}\` default` };
    return { why: `\`\${${name}}\` is \`!Ref ${ref}\`, ${parameterProblem(template, ref)}` };
  }
  if (name.startsWith('AWS::')) return { why: `\`\${${name}}\` is a pseudo parameter, known only when the stack is deployed` };
  const fallback = parameterDefault(template, name, text);
  if (fallback !== undefined) return { value: fallback, source: `parameter \`${name}\` default` };
  return { why: `\`\${${name}}\`: ${parameterProblem(template, name)}` };
}

function parameterProblem(template: Node, name: string): string {
  if (getPath(template, 'Parameters', name) !== undefined) return `parameter \`${name}\` has no literal Default`;
  const resource = name.split('.')[0] ?? name;
  if (getPath(template, 'Resources', resource) !== undefined) return `${name.includes('.') ? 'an attribute of' : 'a reference to'} resource \`${resource}\`, known only when the stack is deployed`;
  return `\`${name}\` is not a template parameter`;
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
        return image === undefined ? [] : candidates(image, template, ctx.text);
      });
      const infos: ContainerInfo[] = containers.map((c, i) => {
        const name = str(c, 'Name');
        const literalCandidate = found[i]?.find((candidate) => candidate.scalar !== undefined);
        const literalImage = literalCandidate?.value ?? (literalCandidate?.scalar !== undefined ? String(literalCandidate.scalar.value) : undefined);
        const essential = bool(c, 'Essential');
        return {
          ...(name !== undefined ? { name } : {}),
          ...(literalImage !== undefined ? { image: literalImage } : {}),
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
            const ref = refFromScalar(candidate.scalar, FORMAT, workload, role, ctx, {
              ...(candidate.via !== undefined ? { via: candidate.via } : {}),
              ...(candidate.unresolvedTag !== undefined ? { unresolvable: candidate.unresolvedTag } : {}),
            });
            if (candidate.value !== undefined) ref.raw = candidate.value;
            if (candidate.noRewrite !== undefined) ref.noRewrite = candidate.noRewrite;
            out.push(ref);
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
