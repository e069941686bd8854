// The YAML 1.2 core schema's resolution of plain scalars (YAML 1.2.2, section 10.3.2), written out
// here so that the fast reader does not need the yaml package (whose loading is a large part of a
// short run's start-up). It must give exactly what the yaml library gives for a plain scalar with
// no tag; tests/unit/core-schema.test.ts compares the two over a large generated set.
//
//   null   ~ | null | Null | NULL | (empty)
//   bool   true | True | TRUE | false | False | FALSE
//   int    [-+]?[0-9]+            (decimal; `-0` is -0, values past 2^53 are rounded doubles)
//          0o[0-7]+               (octal)
//          0x[0-9a-fA-F]+         (hexadecimal)
//   float  [-+]?(\.inf|\.Inf|\.INF) | \.nan | \.NaN | \.NAN
//          [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?   (not an int: a dot or an exponent)
//
// Anything else is a string.

const DECIMAL_INT = /^[-+]?[0-9]+$/;
const OCTAL_INT = /^0o[0-7]+$/;
const HEX_INT = /^0x[0-9a-fA-F]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/** First characters of every plain scalar the core schema does not read as a string. */
export const MAYBE_TYPED = new Set('0123456789+-.~nNtTfF'.split('').map((c) => c.charCodeAt(0)));

/** The value the core schema gives an untagged plain scalar written as `source`. */
export function resolveCorePlain(source: string): string | number | boolean | null {
  if (source.length === 0) return null;
  if (!MAYBE_TYPED.has(source.charCodeAt(0))) return source;
  switch (source) {
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
    case '.inf':
    case '.Inf':
    case '.INF':
    case '+.inf':
    case '+.Inf':
    case '+.INF':
      return Number.POSITIVE_INFINITY;
    case '-.inf':
    case '-.Inf':
    case '-.INF':
      return Number.NEGATIVE_INFINITY;
    case '.nan':
    case '.NaN':
    case '.NAN':
      return Number.NaN;
  }
  if (DECIMAL_INT.test(source)) return parseInt(source, 10);
  const second = source.charCodeAt(1);
  if (second === 0x6f /* o */ && OCTAL_INT.test(source)) return parseInt(source.slice(2), 8);
  if (second === 0x78 /* x */ && HEX_INT.test(source)) return parseInt(source.slice(2), 16);
  if (FLOAT.test(source)) return parseFloat(source);
  return source;
}
