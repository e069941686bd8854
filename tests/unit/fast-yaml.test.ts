// The fast YAML reader on chosen texts: what it must read (and read exactly as the full parser
// does: same values, styles, tags and ranges, including the ends of collections that comments and
// blank lines move), and what it must leave to the full parser (which then reports any error at
// its own position).
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, Schema } from 'yaml';
import type { ScalarTag } from 'yaml';
import { FastYamlReader, MAYBE_TYPED, Unsupported } from '../../src/parse/fast-yaml.js';
import { parseText } from '../../src/parse/index.js';
import { detach } from '../../src/parse/tree.js';
import { parseYaml } from '../../src/parse/yaml.js';

const plain = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `number:${String(v)}` : Object.is(v, -0) ? 'number:-0' : v));

/**
 * Go template placeholders (`{{ .Version }}`): to YAML, flow maps whose entry has a flow map as its
 * key, which the tree leaves out (src/parse/yaml.ts keeps scalar keys only); and other flow
 * collections as keys.
 */
const PLACEHOLDERS: Array<[string, string]> = [
  [
    'Go template placeholders as values',
    'metadata:\n  name: {{ .Values.name }}\n  Version: {{ .Version }}\nspec:\n  replicas: {{replicas}}\n  region: {{region}} # c\n      # deeper\n  args: ["--region={{region}}", {{ x }}, {{x}}]\n  cmd: a{{b}} {{ c }}\n  env:\n  - {{ include "env" . | nindent 4 }}\n  - name: X\n    value: {{ $x := 1 }}\n  image: {{-x}}\n  more: {{.A.B}}\n',
  ],
  ['flow collections as keys of flow map entries, with values or without', 'a: { {x}: v, [a, b]: c, {{ y }}: {{ z }}, k: w, {} , []: [1] }\nb: { {x} : v }\nc: {{{x}}}\nd: {{ x }, y}\ne: {{}}\nf: {[]}\n'],
  ['flow collections as keys of single-pair maps in flow sequences', 'a: [ {x}: v, [a]: [b], {{ x }}: {y: z}, w ]\nb: [{{x}}: 1]\nc: [[[a]: b]: c]\n'],
  ['plain keys without values in flow maps (left out of the tree)', 'a: { b }\nc: { d, e: f, g }\nh: {i,\n  j: k\n  }\n'],
  [
    'placeholders in flow collections over several lines',
    'a: [\n    {{ x }},\n    { {y}: [1,\n      2] },\n    [z]: w,\n    {a}: [b,\n      c], d\n  ]\nb: {\n  {{ x }}: v,\n  k: {{y}}\n  }\n',
  ],
  ['placeholders as a root node, below their key and tagged', '{{ x }}\n---\na:\n  {{ .Values.x }}\nb: !Sub {{ y }}\nc: &p {{ z }}\nd: *p\n'],
];

const READ: Array<[string, string]> = [
  ['a Deployment', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n        args: ["--port", "8080"]\n      - name: proxy\n        image: "envoyproxy/envoy:v1.30.1" # pinned later\n'],
  ['sequences indented under their key', 'spec:\n  containers:\n    - name: a\n      image: x\n    -   name: b\n        image: y\n'],
  ['nested and compact sequences', '- - a\n  - b\n- -\n    c: d\n-\n  - e\n'],
  ['every scalar style and escape', `a: plain text\nb: 'it''s'\nc: "tab\\tA\\u00e9\\x41\\/\\\\"\nd: "😀 é"\ne: x:y#z\nf: http://h/p\n`],
  ['core-schema values, keys included', 'int: 1\nneg: -0\noct: 0o17\nhex: 0x1F\nfloat: 1.50\nexp: 1e3\ninf: -.Inf\nnan: .NaN\nnull1: ~\nnull2: Null\nnull3:\nbool: TRUE\nyes: yes\nstr: 1_000\n1.0: one\ntrue: t\n~: n\n'],
  ['local tags on scalars and collections', 'A: !Ref Param\nB: !Sub "${AWS::Region}"\nC: !If [Cond, !Ref A, "b"]\nD: !Join\n  - ""\n  - - a\n    - !Ref B\nE: !GetAtt\n- x\n- y\nF:\n  !Sub \'x\'\nG: !Base64 |\n  #!/bin/bash\n  echo hi\n'],
  ['flow collections', 'a: []\nb: {}\nc: [1, two, "three", [4, {k: v}]]\nd: { a: b , "c": [d] }\ne: [a:b, c]\n'],
  ['literal and folded block scalars', 'a: |\n  line 1\n\n    indented\n  line 3\nb: |-\n  stripped\nc: >\n  folded\n  text\n\n  para\nd: >-\n  x\n\n\n  y\ne: |\n\n  after a blank\n'],
  ['block scalars ended by less indented lines and comments', 'a:\n  b: |\n    text\n  # comment at the key\n  c: 1\n'],
  ['comments more indented than the collection join the value before them', 'a:\n  b: 1\n      # more indented\n\n    # and again\n'],
  ['a comment after a flow collection value', 'a:\n  b: [1, 2]\n    # deeper\n'],
  ['trailing comments that stay in a nested collection', 'a:\n  b:\n    c: 1\n    # at the collection\nd: 2\n'],
  ['trailing comments that move out of a nested collection', 'a:\n  b:\n    c: 1\n  # shallower\nd: 2\n'],
  ['trailing comments at the end of the text', 'a:\n  - b: 1\n    # here\n'],
  ['empty values', 'a:\nb:   \nc:\n- \n-\nd:\n'],
  ['empty values followed by comments (last in their collection)', 'a:\n  b: # nothing\n  # at b\nc:\n  - # nothing\nd: 1\n'],
  ['an empty sequence item after comment lines', '- [a]\n# c\n-\n'],
  ['values on the line below their key', 'a:\n  plain\nb:\n  "quoted"\nc:\n  [flow]\n'],
  ['multi-line plain scalars', 'description: a long text\n  that goes on\n\n    and on,   with spaces\n\n\n  and breaks\nlist:\n- first\n  item\n-  !Sub second\n   item\nnext:\n  1\n  2\n'],
  ['documents', '# head\n---\na: 1\n---\n--- # c\nb: 2\n...\nc: 3\n---\n'],
  ['a document that is a scalar or a flow collection', '---\njust text\n---\n[1, 2]\n'],
  ['CRLF line ends', 'a: 1\r\nb:\r\n  - c # x\r\n  - |\r\n    text\r\n\r\n    more\r\n'],
  ['a byte-order mark', '\ufeffa: 1\nb: 2\n'],
  ['no newline at the end', 'a:\n  b: x'],
  ['an indented root collection', '  a: 1\n  b:\n    c: 2\n'],
  ['duplicate keys (kept, the first wins in lookups)', 'a: 1\na: 2\n'],
  ['keys with spaces and quotes', 'a b: 1\n"c: d": 2\n\'e\': 3\nf : 4\n'],
  ['trailing commas in flow collections', 'a: [x, y,]\nb: {k: v, }\nc: [[1,], {},]\n'],
  [
    'flow collections over several lines, as CloudFormation templates write them',
    "Resources:\n  Task:\n    Properties:\n      Image: !Join ['', [\n          !Ref 'AWS::AccountId', '.dkr.ecr.', !Ref 'AWS::Region',\n          '.amazonaws.com/app:latest' ]]\n      Command: [\n        \"sh\", \"-c\",\n        \"echo hi\"\n      ]\n      Tags: [{Key: a, Value: b},\n             {Key: c, Value: d}]\n      Next: 1\n",
  ],
  [
    'one item a line, trailing commas and closing brackets left of the opening ones',
    'Role:\n  Name:\n    !Join [\n      "",\n      [\n        !Ref App,\n        "-",\n        Suffix,\n      ],\n    ]\n  Actions:\n    [\n      "logs:CreateLogStream",\n      "logs:PutLogEvents",\n    ]\n  Bucket:\n    - !Select [\n        0,\n        !Split [\n          "/",\n          !Select [5, !Split [":", !Ref EnvFile]],\n        ],\n      ]\n    - !Ref AWS::NoValue\n',
  ],
  ['a plain scalar last on its line, the closing bracket on the next', 'a: [x,\n  y\n  ]\nb: {k: v\n  , j: w\n  }\n'],
  ['multi-line flow collections in sequences and compact maps', '- [a,\n b]\n- k: [a,\n     b]\n  j: {x: 1,\n    y: 2}\n- - [c,\n     d]\n---\nl:\n- [e,\n f]\n'],
  ['closing brackets at the parent\'s column', 'a:\n  b: [\n    x\n  ]\n  c: {\n    k: v\n  } # c\n   # more indented\nd:\n- [\n  x\n]\n- k: [\n    y\n  ]\ne:\n  [\n    z,\n]\n'],
  ['a multi-line flow collection below its key', 'a:\n  [\n x]\nb:\n  !Sub [\n    "${A}",\n    {A: !Ref B}]\n'],
  ['blank lines and CRLF inside a flow collection', 'a: [x,\r\n\r\n   \r\n  y\r\n  ]\r\nb: 1\r\n'],
  ['comments after a multi-line flow collection', 'a:\n  b: [x,\n    y] # c\n      # deeper\n  c: {k: v,\n    j: w}\n    # more indented\n  # at the key\nd: 1\n'],
  ['a root flow collection over several lines', '{a: 1,\n b: [2,\n  3]}\n---\n[x,\n  y,\n]\n'],
  [
    'quoted scalars over several lines: folding, blank lines, trailing spaces, escapes',
    'description: "this workload is described\n    over two lines"\nb: "one  \n   two  "\nc: "para\n\n  next\n  \n     \n  last"\nd: "no \\\n  space\\\n  here"\ne: "kept\\ \n  \\t tab\\t\n  x"\nf: \'it\'\'s\n  folded\n\n\n  too \'\ng: "\n  lead"\nh: "trail\n  "\ni: \'x\n\n  \'\nj: "a: b\n  - c ---\n   ... d"\n',
  ],
  ['quoted scalars over several lines in sequences, tagged, below their key, at the root', '- "x\n y"\n- k: "a\n   b" # c\n     # deeper\n  j: !Sub \'${A}\n    -${B}\'\n-\n  "below\n over"\n---\n"root\nscalar\n  over lines"\n'],
  ['quoted scalars over several lines with CRLF line ends', 'a: "x \r\n  y\\\r\n  z"\r\nb: \'1\r\n\r\n  2\'\r\n'],
  [
    'anchors on scalars and collections, and aliases to them',
    'metadata:\n  namespace: &ns payments-prod\n  labels: &labels\n    app: web # c\n  other: *labels\nlist:\n- *ns\n- &item\n  name: x\n- *item # again\n    # deeper\nflow: &f [1, {a: b}]\nblock: &b |\n  text\nquoted: &q "multi\n  line"\nplain: &p multi\n  line\nbelow:\n  &s scalar\nbelow2:\n  *s\nseq: &sq\n- 1\nrefs: [x]\nall:\n- *f\n- *b\n- *q\n- *p\n- *sq\n',
  ],
  ['aliases in every document to its own anchors', 'a: &x 1\nb: *x\n---\n- &x two\n- *x\n'],
  ['a quoted scalar over several lines followed by trailing comments', 'k:\n  a: "x\n    y"\n  # at the key\nb: "1\n  2"\n  # deeper\n\nc: 3\n'],
  ...PLACEHOLDERS,
];

const GIVE_UP: Array<[string, string, RegExp]> = [
  ['an alias to an unknown anchor (dropped by the full parser)', 'a: 1\nb: *x\n', /alias to an unknown anchor/],
  ['an alias to an anchor of an earlier document', 'a: &x 1\n---\nb: *x\n', /alias to an unknown anchor/],
  ['an anchor defined twice', 'a: &x 1\nb: &x 2\nc: *x\n', /anchor defined twice/],
  ['an alias to a collection holding aliases (what alias bombs are made of)', 'a: &a [x]\nb: &b\n  - *a\n  - *a\nc: &c\n  - *b\n  - *b\n', /alias to a collection holding aliases/],
  ['an alias as a key (an error)', 'a: &x 1\nb: *x : 2\n', /alias as a key/],
  ['an alias as a key at the start of a line', 'a: &x 1\n*x : 2\n', /unsupported node/],
  ['an anchor on a key', '- &a k: v\n- *a\n', /anchor on a key/],
  ['an anchor on a key at the start of a line', '&a k: v\n', /unsupported node/],
  ['an anchor on an empty value', 'a: &x\nb: *x\n', /anchor on an empty value/],
  ['an anchor and a tag', 'a: &x !Ref y\nb: !Ref &z y\n', /unsupported anchored node/],
  ['an unusual anchor name', 'a: &x! 1\n', /unsupported anchor or alias name/],
  ['a merge key with an alias', 'a: &x {b: 1}\nc:\n  <<: *x\n', /merge key/],
  ['anchors in a flow collection', 'a: [&x 1, *x]\n', /unsupported node in a flow collection/],
  ['merge keys', 'a:\n  <<: {b: 1}\n', /merge key/],
  ['explicit keys', '? a\n: b\n', /unsupported node/],
  ['a key-like line in a multi-line plain scalar (an error)', 'a: one\n  two: three\n', /key-like line/],
  ['a comment inside a multi-line plain scalar', 'a: one\n  two # c\n  three\n', /comment in a multi-line plain scalar/],
  ['a continuation that follows a comment (an error)', 'a: one # c\n  two\n', /bad indentation or a multi-line scalar/],
  ['a multi-line plain key (an error)', 'a\n  b: c\n', /content after the root node|bad indentation/],
  ['a quoted scalar line not indented past its key (an error)', 'a:\n  b: "one\n  two"\n', /not indented past its parent/],
  ['a quoted scalar line at the column of its sequence (an error)', '- "one\ntwo"\n', /not indented past its parent/],
  ['a closing quote at its key\'s column (an error)', 'a: "one\n"\n', /not indented past its parent/],
  ['a multi-line quoted key (an error)', '"a\n  b": c\n', /multi-line quoted key/],
  ['a document marker in a root quoted scalar (an error)', '"a\n---\nb"\n', /document marker/],
  ['a line starting with # in a quoted scalar', 'a: "x\n  # text\n  y"\n', /line starting with #/],
  ['a blank line after an escaped line break', 'a: "x\\\n\n  y"\n', /blank line after an escaped line break/],
  ['a tab in a quoted scalar line', 'a: "x\n\ty"\n', /tab/],
  ['an unclosed quoted scalar (an error)', 'a: \'x\n  y\n', /unclosed quoted scalar/],
  ['a bad escape on a later line of a quoted scalar (an error)', 'a: "x\n  \\x4\n  1"\n', /bad escape/],
  ['a comment inside a flow collection', 'a: [x, # c\n  y]\n', /comment inside a flow collection/],
  ['a comment line inside a flow collection', 'a: [x,\n  # c\n  y]\n', /comment inside a flow collection/],
  ['a comment after a flow item', 'a: [x # c\n  ]\n', /comment inside a flow collection/],
  ['a flow collection line at its parent\'s column (an error)', 'a:\n  b: [x,\n  y]\n', /not indented past its parent/],
  ['a nested closing bracket at its parent\'s column (an error)', 'a:\n  b: [[x,\n  ],\n    y]\n', /not indented past its parent/],
  ['a wrong closing bracket at its parent\'s column (an error)', 'a:\n  b: [x,\n  }\n', /not indented past its parent/],
  ['a closing bracket left of its parent\'s column (an error)', 'a:\n  b: [x,\n ]\n', /not indented past its parent/],
  ['a root flow collection with a line at column 0', '{a: 1,\nb: 2}\n', /not indented past its parent/],
  ['a plain scalar going on over lines in a flow collection', 'a: [one\n  two]\n', /plain scalar at the end of a line/],
  ['a plain scalar followed by a blank line in a flow collection', 'a: [one\n\n  ]\n', /plain scalar at the end of a line/],
  ['a flow key with its colon on the next line', 'a: {k\n  : v}\n', /plain scalar at the end of a line/],
  ['a flow value on the line after its key', 'a: {k:\n    v}\n', /node on a later line/],
  ['a flow node on the line after its tag', 'a: [!Ref\n    x]\n', /node on a later line/],
  ['explicit keys in a flow collection', 'a: [? x : y,\n  z]\n', /unsupported node in a flow collection/],
  ['empty flow items (an error)', 'a: [x,,\n  y]\n', /unsupported node in a flow collection/],
  ['a leading comma (an error)', 'a: [\n  , x]\n', /unsupported node in a flow collection/],
  ['multi-line quoted scalars in a flow collection', 'a: ["one\n  two"]\nb: [\'one\n  two\']\n', /multi-line double-quoted/],
  ['a multi-line flow collection as an implicit key (an error)', 'a:\n  [x,\n    y]: z\n', /unexpected text after a value/],
  ['a tab inside a flow collection', 'a: [x,\n\ty]\n', /tab/],
  ['an unclosed flow collection at the end of the text (an error)', 'a: [x,\n  y,\n', /unclosed flow collection/],
  ['directives', '%YAML 1.2\n---\na: 1\n', /directive/],
  ['tabs', 'a:\n\tb: 1\n', /tab/],
  ['keep chomping', 'a: |+\n  x\n\nb: 1\n', /block scalar header/],
  ['indentation indicators', 'a: |2\n   x\n', /block scalar header/],
  ['more-indented lines in folded scalars', 'a: >\n  x\n    y\n', /more-indented line/],
  ['secondary tags', 'a: !!str 1\n', /unsupported tag/],
  ['a tag on an empty value', 'a: !Ref\nb: 1\n', /tag on an empty value/],
  ['an empty value with comments before a document marker', 'a: 1\nb:\n# c\n---\nx: 1\n', /before a document marker/],
  ['a lone CR', 'a: 1\rb: 2\n', /lone CR/],
  ['control characters', 'a: "\u0001"\n', /control character/],
  ['a BOM then a sequence', '\ufeff- a\n', /after a BOM/],
  ['a nested mapping on the line of its key (an error)', 'a: b: c\n', /nested mapping/],
  ['a sequence on the line of its key (an error)', 'a: - b\n', /block sequence on the line/],
  ['bad indentation (an error)', 'a:\n    b: 1\n  c: 2\n', /bad indentation/],
  ['an unclosed flow collection (an error)', 'a: [1, 2\nb: 3\n', /plain scalar at the end of a line/],
  ['an unclosed flow collection before less indented lines (an error)', 'a: [1, 2,\nb: 3\n', /not indented past its parent/],
  ['text after the root (an error)', 'text\nmore: 1\n', /content after the root node/],
  ['a quoted scalar in a placeholder', 'name: {{ "x" }}\n', /quoted scalar in a flow collection key/],
  ['a tag in a placeholder', 'a: {{ !t x }}\n', /unsupported node in a flow collection/],
  ['a tag on a value in a placeholder', 'a: {{ k: !t x }}\n', /tag in a flow collection key/],
  ['something in a flow collection key after a plain scalar (an error)', 'a: [x{{y}}]\n', /unexpected character in a flow collection/],
  ['an anchor in a placeholder', 'a: {{ &x y }}\n', /unsupported node in a flow collection/],
  ['an alias in a placeholder', 'a: &x 1\nb: {{ *x }}\n', /unsupported node in a flow collection/],
  ['an explicit key in a placeholder', 'a: {{ ? x }}\n', /unsupported node in a flow collection/],
  ['a dash and a space in a placeholder (an error)', 'a: {{- x }}\n', /unsupported node in a flow collection/],
  ['a comment in a placeholder', 'a: {{ x # c\n  }}\n', /comment inside a flow collection/],
  ['a flow collection key over several lines', 'a: { {x,\n    y}: v }\n', /over several lines/],
  ['a plain scalar in a flow collection key going on over lines', 'a: { {x\n    y}: v }\n', /plain scalar at the end of a line/],
  ['a flow collection key followed by the end of its line', 'a: { {x}\n    : v }\n', /at the end of a line/],
  ['a value right after the colon of a flow collection key', 'a: { {x}:v }\n', /not after a space/],
  ['a flow collection key followed by text (an error)', 'a: { {x} y }\n', /unexpected character after a flow collection key/],
  ['a placeholder followed by a brace (an error)', 'a: {{x}}}\n', /unexpected text after a value/],
  ['a placeholder followed by a colon', 'a: {{x}}: v\n', /unexpected text after a value/],
  ['a long flow collection key', `a: {{${'x'.repeat(1100)}}}\n`, /long flow collection key/],
  ['a placeholder as a block map key', 'a: 1\n{{ x }}: v\n', /not a key/],
  ['a placeholder as the first key of a block map', 'a:\n  {{ x }}: v\n', /unexpected text after a value/],
  ['a tagged flow collection key in a flow sequence', 'a: [!t {x}: v]\n', /single-pair map in a flow sequence/],
  ['a flow collection key over several lines in a flow sequence', 'a: [{x,\n    y}: v]\n', /over several lines/],
  ['an empty value after a flow collection key', 'a: [{x}: ]\n', /unsupported node in a flow collection/],
  ['a quoted key without a value', 'a: { "b" }\n', /flow map entry without a value/],
];

describe('fast YAML reader', () => {
  it.each(READ)('reads %s exactly as the full parser does', (_name, text) => {
    const fast = new FastYamlReader(text).read();
    expect(fast).not.toBeInstanceOf(Unsupported);
    const full = parseYaml(text);
    expect(full.error).toBeUndefined();
    expect(plain(fast)).toBe(plain(full));
  });

  it.each(GIVE_UP)('leaves %s to the full parser', (_name, text, reason) => {
    const fast = new FastYamlReader(text).read();
    expect(fast).toBeInstanceOf(Unsupported);
    expect((fast as Unsupported).reason).toMatch(reason);
    // The file is still read, by the full parser: the same documents, the same error at the same place.
    expect(plain(parseText(text))).toBe(plain(parseYaml(text)));
  });

  it('keeps block scalars, comments and quotes exactly where the text has them', () => {
    const text = 'spec:\n  image: "nginx:1.25" # the app\n  script: |\n    echo a\n    echo b\n  next: 1\n';
    const parsed = new FastYamlReader(text).read();
    if (parsed instanceof Unsupported) throw new Error(parsed.reason);
    const root = parsed.documents[0]?.root;
    if (root?.type !== 'map') throw new Error('expected a map');
    const spec = root.entries[0]?.value;
    if (spec?.type !== 'map') throw new Error('expected a map');
    const [image, script] = spec.entries;
    expect(image?.value).toMatchObject({ type: 'scalar', value: 'nginx:1.25', style: 'double' });
    if (image?.value.type !== 'scalar' || script?.value.type !== 'scalar') throw new Error('expected scalars');
    expect(text.slice(image.value.range.start, image.value.range.end)).toBe('nginx:1.25');
    expect(text.slice(image.value.nodeRange.start, image.value.nodeRange.end)).toBe('"nginx:1.25"');
    expect(script.value.value).toBe('echo a\necho b\n');
    expect(text.slice(script.value.range.start, script.value.range.end)).toBe('|\n    echo a\n    echo b\n');
  });

  it('reads a flow collection over several lines with the ranges of its nodes in the text', () => {
    const text = "Image: !Join ['', [\n    !Ref 'AWS::AccountId', '.dkr.ecr.',\n    app ]]  # c\nNext: 1\n";
    const parsed = new FastYamlReader(text).read();
    if (parsed instanceof Unsupported) throw new Error(parsed.reason);
    const root = parsed.documents[0]?.root;
    if (root?.type !== 'map') throw new Error('expected a map');
    const join = root.entries[0]?.value;
    if (join?.type !== 'seq') throw new Error('expected a sequence');
    expect(join.tag).toBe('!Join');
    expect(text.slice(join.nodeRange.start, join.nodeRange.end)).toBe("['', [\n    !Ref 'AWS::AccountId', '.dkr.ecr.',\n    app ]]");
    const parts = join.items[1];
    if (parts?.type !== 'seq') throw new Error('expected a sequence');
    expect(parts.items.map((item) => (item.type === 'scalar' ? [item.value, item.tag, text.slice(item.range.start, item.range.end)] : item.type))).toEqual([
      ['AWS::AccountId', '!Ref', 'AWS::AccountId'],
      ['.dkr.ecr.', undefined, '.dkr.ecr.'],
      ['app', undefined, 'app'],
    ]);
    expect(root.entries[1]).toMatchObject({ key: 'Next', value: { value: 1 } });
    expect(plain(parsed)).toBe(plain(parseYaml(text)));
  });

  it('resolves plain scalars by the core schema the yaml library has', () => {
    // src/parse/core-schema.ts writes these tests out (tests/unit/core-schema.test.ts compares the
    // values); if the yaml library changes its core schema, this fails and it must be read again.
    const tags = new Schema({}).tags.filter((tag): tag is ScalarTag => tag.default === true && !('collection' in tag && tag.collection !== undefined) && tag.test !== undefined);
    expect(tags.map((tag) => String(tag.test))).toEqual([
      '/^(?:~|[Nn]ull|NULL)?$/',
      '/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/',
      '/^0o[0-7]+$/',
      '/^[-+]?[0-9]+$/',
      '/^0x[0-9a-fA-F]+$/',
      '/^(?:[-+]?\\.(?:inf|Inf|INF)|\\.nan|\\.NaN|\\.NAN)$/',
      '/^[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)[eE][-+]?[0-9]+$/',
      '/^[-+]?(?:\\.[0-9]+|[0-9]+\\.[0-9]*)$/',
    ]);
    for (const first of '0123456789+-.~nNtTfF') expect(MAYBE_TYPED.has(first.charCodeAt(0))).toBe(true);
  });

  it('folds a quoted scalar over several lines as YAML does, with its range in the text', () => {
    const text = 'description: "this workload is described\n    over two lines"\nnote: \'one\n\n  two \'\'x\'\'\'\nesc: "a \\\n   b"\n';
    const parsed = new FastYamlReader(text).read();
    if (parsed instanceof Unsupported) throw new Error(parsed.reason);
    const root = parsed.documents[0]?.root;
    if (root?.type !== 'map') throw new Error('expected a map');
    const values = root.entries.map((entry) => (entry.value.type === 'scalar' ? [entry.value.value, text.slice(entry.value.nodeRange.start, entry.value.nodeRange.end)] : undefined));
    expect(values).toEqual([
      ['this workload is described over two lines', '"this workload is described\n    over two lines"'],
      ["one\ntwo 'x'", "'one\n\n  two ''x'''"],
      ['a b', '"a \\\n   b"'],
    ]);
    expect(plain(parsed)).toBe(plain(parseYaml(text)));
  });

  it('leaves an alias inside its anchor (a cycle) to the full parser', () => {
    const fast = new FastYamlReader('a: &x\n  b: *x\n').read();
    expect(fast).toBeInstanceOf(Unsupported);
    expect((fast as Unsupported).reason).toMatch(/alias inside its anchor/);
  });

  it('makes an alias the very node of its anchor, as the full parser does', () => {
    const text = 'a: &ns payments-prod\nb:\n- *ns\nc: &m\n  k: v\nd: *m\n';
    for (const parsed of [new FastYamlReader(text).read(), parseYaml(text)]) {
      if (parsed instanceof Unsupported) throw new Error(parsed.reason);
      const root = parsed.documents[0]?.root;
      if (root?.type !== 'map') throw new Error('expected a map');
      const [a, b, c, d] = root.entries.map((entry) => entry.value);
      expect(b?.type === 'seq' ? b.items[0] : undefined).toBe(a);
      expect(d).toBe(c);
      expect(a).toMatchObject({ value: 'payments-prod', range: { start: 7, end: 20 } });
    }
  });

  it.each(PLACEHOLDERS)('reads %s without any error or warning of the full parser', (_name, text) => {
    const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, strict: false, merge: false });
    expect(docs.flatMap((doc) => [...doc.errors, ...doc.warnings].filter((w) => w.code !== 'TAG_RESOLVE_FAILED'))).toEqual([]);
  });

  it('leaves out the entries whose key is a flow collection, and keeps the collection with its range', () => {
    const text = 'image: {{ .Values.image }} # c\nargs: [{{x}}, y, {a}: b]\nenv: { {x}: 1, k: v }\n';
    const parsed = new FastYamlReader(text).read();
    if (parsed instanceof Unsupported) throw new Error(parsed.reason);
    const root = parsed.documents[0]?.root;
    if (root?.type !== 'map') throw new Error('expected a map');
    const [image, args, env] = root.entries.map((entry) => entry.value);
    expect(image).toMatchObject({ type: 'map', entries: [] });
    expect(text.slice(image?.nodeRange.start, image?.nodeRange.end)).toBe('{{ .Values.image }}');
    if (args?.type !== 'seq') throw new Error('expected a sequence');
    expect(args.items.map((item) => [item.type, text.slice(item.nodeRange.start, item.nodeRange.end)])).toEqual([
      ['map', '{{x}}'],
      ['scalar', 'y'],
      ['map', '{a}: b'],
    ]);
    expect(env).toMatchObject({ type: 'map', entries: [{ key: 'k', value: { value: 'v' } }] });
    expect(plain(parsed)).toBe(plain(parseYaml(text)));
  });

  it('copies string values so that they do not keep the text alive', () => {
    const long = 'registry.example.com/team/app:1.2.3';
    expect(detach(long)).toBe(long);
    expect(detach('short')).toBe('short');
  });
});
