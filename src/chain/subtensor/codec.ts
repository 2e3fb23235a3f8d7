/**
 * Encoding and decoding for subtensor that depends only on runtime metadata, shared by the live
 * client (metadata from the node) and offline tests (shared/chain/finney-v16.scale):
 * commitment fields (`RawN`, tag = N + 1), commitment records, and pallet error names.
 */
import type { Registry } from "@polkadot/types/types";
import { expandMetadata, Metadata, TypeRegistry } from "@polkadot/types";
import { u8aToString } from "@polkadot/util";

/** Largest Raw field a commitment may carry. */
export const MAX_RAW_BYTES = 128;

/** The `CommitmentInfo` value for one metadata string: `{fields: [{RawN: bytes}]}`. */
export function commitmentInfo(data: string): { fields: Record<string, Uint8Array>[] } {
  const bytes = new TextEncoder().encode(data);
  if (bytes.length > MAX_RAW_BYTES) {
    throw new RangeError(`commitment is ${bytes.length} bytes; a Raw field holds at most ${MAX_RAW_BYTES}`);
  }
  return { fields: [{ [`Raw${bytes.length}`]: bytes }] };
}

/** A decoded `commitments.commitmentOf` record: the block it was set at and its first Raw field as text. */
export function decodeCommitment(registration: unknown): { block: number; data: string } | null {
  // deno-lint-ignore no-explicit-any
  const r = (registration as any)?.isSome !== undefined ? (registration as any).unwrapOr(null) : registration;
  if (!r) return null;
  const block = Number(r.block.toString());
  for (const field of r.info.fields) {
    const type: string = field.type;
    if (type.startsWith("Raw")) return { block, data: u8aToString(field.value.toU8a(true)) };
  }
  return { block, data: "" };
}

/** The name of a module error inside a dispatch error ("SettingWeightsTooFast"), or its text. */
export function dispatchErrorName(
  registry: Registry,
  dispatchError: { isModule: boolean; asModule: unknown; toString(): string },
): string {
  if (dispatchError.isModule) {
    // deno-lint-ignore no-explicit-any
    const meta = registry.findMetaError(dispatchError.asModule as any);
    return meta.name;
  }
  return dispatchError.toString();
}

/** A registry and decorated metadata from a SCALE-encoded metadata blob (offline use). */
export function offlineRuntime(metadataBytes: Uint8Array) {
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, metadataBytes);
  registry.setMetadata(metadata);
  return { registry, metadata, decorated: expandMetadata(registry, metadata) };
}
