import { defineRule } from './types.js';

/** Reported by the scanner for a key given twice in one mapping of a workload. */
export default defineRule({
  id: 'duplicate-key',
  meta: {
    short: 'A key is given twice in one mapping of a workload.',
    full:
      'YAML and JSON keys must be unique within a mapping. When one is given twice, the tools that deploy the file keep the last value (`JSON.parse`, Go decoders, `aws ecs`, Kubernetes with `--validate=warn` or `ignore`), while `kubectl apply` with its default strict field validation refuses the object, and a reader (or a reviewer) easily sees the first: `{"image": "nginx@sha256:…", "image": "nginx:latest"}` runs `latest`. imagedrift judges the last value, never edits a shadowed one, and reports the duplicate at the key that wins. Remove one of the two.',
    severity: 'error',
  },
});
