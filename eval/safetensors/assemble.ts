/**
 * The bytes of a safetensors file from its header object and tensor data: the 8-byte little-endian
 * header length, the JSON padded with spaces so that the data section starts 8-aligned (as the
 * reference writer pads it), then the data. One home for the layout every writer here uses.
 */

/** The length prefix and the padded JSON of `header`. */
export function encodeHeader(header: Record<string, unknown>): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - ((8 + json.length) % 8)) % 8;
  if (pad > 0) json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(pad));
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

/** A whole file: the header, then `blobs` in order (their offsets are the header's to state). */
export function assembleSafetensors(header: Record<string, unknown>, blobs: readonly Uint8Array[]): Uint8Array {
  const head = encodeHeader(header);
  const out = new Uint8Array(head.length + blobs.reduce((n, b) => n + b.length, 0));
  out.set(head);
  let at = head.length;
  for (const b of blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
