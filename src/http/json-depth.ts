/**
 * How deep JSON may nest, in every body and every stored item. Real documents stay far below; the limit
 * exists because recursive code (JSON.stringify, the response serializer, the schema validator) runs out
 * of stack on a few thousand levels, which 8 KiB of `[` is enough to reach.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of arrays and objects in a JSON text, found by one linear scan that never builds
 * an object (so it cannot itself run out of stack); brackets inside strings do not count. It stops
 * counting once past `stopAt`, which is all a caller deciding "too deep" needs.
 */
export function jsonDepth(text: string, stopAt = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped, a quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAt) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/** Whether a JSON text nests deeper than the limit. */
export function isTooDeep(text: string, limit = MAX_JSON_DEPTH): boolean {
  return jsonDepth(text, limit) > limit;
}
