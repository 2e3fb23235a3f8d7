/**
 * What a peer loses for a window it did not serve well (docs/pseudograd.md, "Slashes"; Templar
 * `neurons/validator.py` and `neurons.py`): a missing or late submission takes a quarter off a
 * positive final and a positive B (a final that falls below 1e-4 becomes 0); an invalid one sets a
 * positive final to 0; a copy halves a positive final ("high"), or resets the peer's rating, B and
 * final ("max"), and also bars it from weights for 200 windows ("mega").
 */
import type { CopySeverity } from "./overlap.ts";
import { NEW_PEER, type PeerStanding } from "./window_score.ts";

/** Why a peer is slashed. */
export type Slash =
  | { rule: "missing" }
  | { rule: "late" }
  | { rule: "invalid" }
  | { rule: "copy"; severity: CopySeverity };

/** Templar HEAD's factors. */
export const SLASH_FACTORS = { absent: 0.75, finalFloor: 1e-4, copyHigh: 0.5, megaWindows: 200 } as const;

/** The peer's standing after `slash` in window `window`. */
export function applySlash(s: PeerStanding, slash: Slash, window: number): PeerStanding {
  const positive = (x: number, f: number) => (x > 0 ? x * f : x);
  switch (slash.rule) {
    case "missing":
    case "late": {
      const final = positive(s.final, SLASH_FACTORS.absent);
      return {
        ...s,
        final: final > 0 && final < SLASH_FACTORS.finalFloor ? 0 : final,
        binary: positive(s.binary, SLASH_FACTORS.absent),
      };
    }
    case "invalid":
      return { ...s, final: Math.min(s.final, 0) };
    case "copy":
      if (slash.severity === "high") return { ...s, final: positive(s.final, SLASH_FACTORS.copyHigh) };
      return {
        ...NEW_PEER,
        ...(slash.severity === "mega" ? { bannedUntil: window + SLASH_FACTORS.megaWindows } : {}),
      };
  }
}
