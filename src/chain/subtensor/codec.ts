/**
 * subtensor's encodings, shared by the live client and the offline tests (which build the
 * registry from mainnet metadata, fixtures/data/finney-v16.scale, with `offlineRuntime`): the
 * commitment field (`RawN`, tag = N + 1) and record, pallet error names in dispatch errors, the
 * transaction pool's custom refusal codes (from subtensor's source: metadata does not carry
 * them), and the two layouts of `WeightCommits`.
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

/**
 * subtensor's `CustomTransactionError` codes, by which its transaction extension refuses a call
 * before it reaches a block ("1010: Invalid Transaction: Custom error: N"). From
 * `common/src/transaction_error.rs`; codes 0–9 are the same in spec 218 (`pallets/subtensor/src/lib.rs`).
 */
export const CUSTOM_TRANSACTION_ERRORS: Readonly<Record<number, string>> = {
  0: "ColdkeyInSwapSchedule",
  1: "StakeAmountTooLow",
  2: "BalanceTooLow",
  3: "SubnetNotExists",
  4: "HotkeyAccountDoesntExist",
  5: "NotEnoughStakeToWithdraw",
  6: "RateLimitExceeded",
  7: "InsufficientLiquidity",
  8: "SlippageTooHigh",
  9: "TransferDisallowed",
  10: "HotKeyNotRegisteredInNetwork",
  11: "InvalidIpAddress",
  12: "ServingRateLimitExceeded",
  13: "InvalidPort",
  14: "ZeroMaxAmount",
  15: "InvalidRevealRound",
  16: "CommitNotFound",
  17: "CommitBlockNotInRevealRange",
  18: "InputLengthsUnequal",
  19: "UidNotFound",
  255: "BadRequest",
};

/** The name of a transaction-pool refusal ("1010: Invalid Transaction: Custom error: 1" → StakeAmountTooLow), or undefined. */
export function poolErrorName(message: string): string | undefined {
  const custom = /Custom error: (\d+)/.exec(message);
  if (custom) return CUSTOM_TRANSACTION_ERRORS[Number(custom[1])] ?? `CustomTransactionError${custom[1]}`;
  const invalid = /^1010: Invalid Transaction: (.+)$/.exec(message.trim());
  return invalid ? invalid[1].replace(/[^A-Za-z]/g, "") : undefined;
}

/**
 * `WeightCommits(netuid, hotkey)`: a queue of `(hash, u64, u64, u64)`. Spec 218 stores
 * `(hash, commit_block, first_reveal_block, last_reveal_block)`; later runtimes store
 * `(hash, commit_epoch, commit_block, 0)` ("the 4th field is a legacy reveal-block bound, now
 * unused and left at 0"). The last field tells the layouts apart: a reveal block is never 0.
 */
export function decodeWeightCommits(value: unknown): { hash: string; block: number }[] {
  // deno-lint-ignore no-explicit-any
  const v = value as any;
  const list = v?.isSome !== undefined ? v.unwrapOr(null) : v;
  if (!list) return [];
  return [...list].map((entry) => {
    const [hash, a, b, c] = [...entry].map((x) => x.toString());
    return { hash: hash.toLowerCase(), block: Number(c === "0" ? b : a) };
  });
}
