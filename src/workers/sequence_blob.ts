/**
 * Token sequences in groups as one object of the queue's bucket, so they travel once per step or
 * window, not once per job. Layout: the header's length (u32, little-endian), the header as JSON
 * (whatever the caller keeps there, with each group's sequence lengths), then every sequence's
 * token ids as little-endian i32, group after group. Reading checks every length against the
 * bytes; what the sequences must hash to is the caller's rule.
 */

/** The most header a blob may carry. */
const MAX_HEADER_BYTES = 16 << 20;

/** `header` (which must hold the groups' lengths where the reader finds them) and the groups' tokens as bytes. */
export function encodeSequenceBlob(header: unknown, groups: readonly (readonly ArrayLike<number>[])[]): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const tokens = groups.reduce((n, g) => n + g.reduce((m, s) => m + s.length, 0), 0);
  const out = new Uint8Array(4 + head.length + 4 * tokens);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.length, true);
  out.set(head, 4);
  let at = 4 + head.length;
  for (const g of groups) {
    for (const s of g) {
      for (let i = 0; i < s.length; i++, at += 4) view.setInt32(at, s[i], true);
    }
  }
  return out;
}

/**
 * Reads a blob: its header, then each group the header names (`groupsOf` says where their names
 * and lengths are, and throws through `fail` when they are not). Every broken rule is `fail(why)`.
 */
export function decodeSequenceBlob<H>(
  bytes: Uint8Array,
  fail: (why: string) => never,
  groupsOf: (header: H) => { name: string; lengths: number[] }[],
): { header: H; groups: Int32Array[][] } {
  if (bytes.length < 4) fail(`is ${bytes.length} bytes, shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  if (headerLength > MAX_HEADER_BYTES || 4 + headerLength > bytes.length) {
    fail(`declares a ${headerLength}-byte header in ${bytes.length} bytes`);
  }
  let header: H;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(4, 4 + headerLength)));
  } catch (e) {
    return fail(`has a header that is not JSON (${(e as Error).message.slice(0, 80)})`);
  }
  let at = 4 + headerLength;
  const groups: Int32Array[][] = [];
  for (const { name, lengths } of groupsOf(header)) {
    if (!Array.isArray(lengths) || !lengths.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      fail(`has ${name} without its sequence lengths`);
    }
    const sequences: Int32Array[] = [];
    for (const n of lengths) {
      if (at + 4 * n > bytes.length) fail(`ends inside ${name}`);
      const s = new Int32Array(n);
      for (let i = 0; i < n; i++, at += 4) s[i] = view.getInt32(at, true);
      sequences.push(s);
    }
    groups.push(sequences);
  }
  if (at !== bytes.length) fail(`has ${bytes.length - at} bytes after its last sequence`);
  return { header, groups };
}
