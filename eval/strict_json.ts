/**
 * JSON from a miner's file, parsed strictly. `JSON.parse` alone accepts two things a reader must
 * not: a key repeated in one object (it keeps the last value; a reader that keeps the first sees
 * a different model), and nesting deep enough that later code (JSON.stringify in a message, a
 * recursive walk) overflows the stack. One linear scan refuses both before `JSON.parse` builds
 * anything.
 */

/** Parses `text`; throws `SyntaxError` naming `what` and the rule. */
export function parseStrictJson(text: string, what: string, maxDepth: number): unknown {
  checkKeysAndDepth(text, what, maxDepth);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`${what} is not valid JSON (${(e as Error).message.slice(0, 120)})`);
  }
}

/** The scan: a stack of key sets (null for arrays), strings skipped with their escapes. */
function checkKeysAndDepth(text: string, what: string, maxDepth: number): void {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { // "
      const start = i;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++; // a backslash escapes the next character
        else if (d === 0x22) break;
      }
      if (i >= text.length) throw new SyntaxError(`${what} is not valid JSON (an unterminated string)`);
      const keys = stack.at(-1);
      if (!keys) continue;
      let j = i + 1;
      while (j < text.length && (text.charCodeAt(j) <= 0x20)) j++;
      if (text.charCodeAt(j) !== 0x3a) continue; // not followed by ':' — a value, not a key
      let key: string;
      try {
        key = JSON.parse(text.slice(start, i + 1));
      } catch {
        throw new SyntaxError(`${what} is not valid JSON (a malformed key at character ${start})`);
      }
      if (keys.has(key)) {
        throw new SyntaxError(`${what}: the key ${JSON.stringify(key.slice(0, 80))} appears twice in one object`);
      }
      keys.add(key);
    } else if (c === 0x7b || c === 0x5b) { // { [
      if (stack.length >= maxDepth) throw new SyntaxError(`${what}: nesting deeper than ${maxDepth} levels`);
      stack.push(c === 0x7b ? new Set() : null);
    } else if (c === 0x7d || c === 0x5d) { // } ]
      stack.pop();
    }
  }
}
