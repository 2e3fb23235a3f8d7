/**
 * What `deno task chain` prints for people: the metagraph as btcli shows it (stake and emission in
 * τ, the epoch's trust, consensus, incentive and dividends), and commitments with the uid each
 * hotkey holds (— for a hotkey no longer registered), a miner's string escaped to one line.
 */
import { formatReason } from "../../eval/mod.ts";
import type { Commitment, Metagraph } from "../../src/mod.ts";

/** rao → τ (1 τ = 10⁹ rao), as a fixed-point string. */
export function tao(rao: bigint, digits = 4): string {
  const sign = rao < 0n ? "-" : "", abs = rao < 0n ? -rao : rao;
  const scale = 10n ** BigInt(9 - digits);
  const units = (abs + scale / 2n) / scale; // rounded to `digits` decimals
  const whole = units / 10n ** BigInt(digits), frac = units % 10n ** BigInt(digits);
  return `${sign}${whole}${digits > 0 ? "." + frac.toString().padStart(digits, "0") : ""}`;
}

/** The metagraph as a table. */
export function metagraphTable(m: Metagraph): string[] {
  const lines = [
    `subnet ${m.netuid} at block ${m.block}: ${m.neurons.length} neurons`,
    "   uid  hotkey                                               stake (τ)  permit   trust  consensus  incentive  dividends  emission (τ)",
  ];
  for (const n of m.neurons) {
    lines.push(
      `  ${String(n.uid).padStart(4)}  ${n.hotkey.padEnd(48)}  ${tao(n.stake).padStart(14)}  ${
        n.validatorPermit ? "yes" : "no "
      }    ${n.trust.toFixed(4)}  ${n.consensus.toFixed(4).padStart(9)}  ${n.incentive.toFixed(4).padStart(9)}  ${
        n.dividends.toFixed(4).padStart(9)
      }  ${tao(n.emission, 6).padStart(12)}`,
    );
  }
  return lines;
}

/** Commitments with the uid of each hotkey in `m`. */
export function commitmentsWithUids(cs: readonly Commitment[], m: Metagraph): (Commitment & { uid: number | null })[] {
  const uids = new Map(m.neurons.map((n) => [n.hotkey, n.uid]));
  return cs.map((c) => ({ ...c, uid: uids.get(c.hotkey) ?? null })).sort((a, b) => (a.uid ?? 1e9) - (b.uid ?? 1e9));
}

/** Commitments as a table. */
export function commitmentsTable(cs: readonly (Commitment & { uid: number | null })[]): string[] {
  return [
    "   uid     block  hotkey                                            commitment",
    ...cs.map((c) =>
      `  ${(c.uid === null ? "—" : String(c.uid)).padStart(4)}  ${String(c.block).padStart(8)}  ${
        c.hotkey.padEnd(48)
      }  ${formatReason(c.data)}`
    ),
  ];
}
