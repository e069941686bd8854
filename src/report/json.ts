// The versioned JSON output (schema `imagedrift.scan/v1`, documented in the README).
import type { Reporter } from './types.js';

export const JSON_SCHEMA_ID = 'imagedrift.scan/v1';

export const json: Reporter = (result, { version }) =>
  `${JSON.stringify(
    {
      schema: JSON_SCHEMA_ID,
      tool: { name: 'imagedrift', version },
      findings: result.findings,
      skipped: result.skipped,
      errors: result.errors,
      summary: result.summary,
    },
    null,
    2,
  )}\n`;
