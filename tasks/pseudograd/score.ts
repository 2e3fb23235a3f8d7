/**
 * `pseudograd score`: what-if scoring of one window, like `deno task scoring` for full models.
 * From the global model's loss on the window's random data and each peer's losses, it prints
 * g, b, B, μ, σ, ordinal, final and the weight shares, with OpenSkill's standing carried in.
 */
import { type PeerLosses, type PeerStanding, scoreWindow, TEMPLAR_WINDOW_SCORE, windowWeights } from "../../src/mod.ts";
import { readInputJson, UsageError } from "../cli/mod.ts";

/** Runs `score` with the task's flags. */
export async function scoreCommand(f: { input?: string; json: boolean }): Promise<void> {
  if (!f.input) throw new UsageError("score needs --input (a file, or - for stdin)");
  const input = await readInputJson(f.input, { flag: "--input", maxBytes: 16 * 2 ** 20 });
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new TypeError("the input must be a JSON object");
  }
  const o = input as Record<string, unknown>;
  const num = (v: unknown, what: string) => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`${what} must be a number`);
    return v;
  };
  if (!Array.isArray(o.peers)) {
    throw new TypeError(`"peers" must be an array of {uid, own_before, own_after, random_after}`);
  }
  const peers: PeerLosses[] = o.peers.map((p: Record<string, unknown>, i: number) => {
    const at = `"peers"[${i}]`;
    if (typeof p !== "object" || p === null) throw new TypeError(`${at} must be an object`);
    if (!Number.isSafeInteger(p.uid) || (p.uid as number) < 0) throw new TypeError(`${at}.uid must be a uid`);
    return {
      uid: p.uid as number,
      ownBefore: num(p.own_before, `${at}.own_before`),
      ownAfter: num(p.own_after, `${at}.own_after`),
      randomAfter: num(p.random_after, `${at}.random_after`),
    };
  });
  const standing = new Map<number, PeerStanding>();
  if (o.standing !== undefined) {
    if (typeof o.standing !== "object" || o.standing === null) throw new TypeError(`"standing" must be an object`);
    for (const [uid, s] of Object.entries(o.standing as Record<string, Record<string, unknown>>)) {
      if (!/^\d+$/.test(uid)) throw new TypeError(`"standing" key ${JSON.stringify(uid).slice(0, 40)} is not a uid`);
      const sigma = num(s?.sigma, `"standing"."${uid}".sigma`);
      if (!(sigma > 0)) throw new RangeError(`"standing"."${uid}".sigma must be positive`);
      standing.set(Number(uid), {
        mu: num(s?.mu, `"standing"."${uid}".mu`),
        sigma,
        binary: num(s?.B ?? 0, `"standing"."${uid}".B`),
        final: num(s?.final ?? 0, `"standing"."${uid}".final`),
      });
    }
  }
  const alpha = o.alpha === undefined ? TEMPLAR_WINDOW_SCORE.alpha : num(o.alpha, `"alpha"`);
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`"alpha" must be in (0, 1]`);
  const scores = scoreWindow(peers, {
    randomBefore: num(o.random_before, `"random_before"`),
    standing,
    settings: { ...TEMPLAR_WINDOW_SCORE, alpha },
  });
  // Peers not evaluated this window keep their standing, and their final still earns weight.
  const after = new Map(standing);
  for (const s of scores) after.set(s.uid, s);
  const weights = windowWeights(after, 0);
  if (f.json) {
    return void console.log(JSON.stringify({
      peers: scores.map((s) => ({ ...s, B: s.binary, binary: undefined, weight: weights.get(s.uid) })),
    }));
  }
  console.log("   uid          g   b        B        μ        σ   ordinal     final   weight");
  for (const s of scores) {
    console.log(
      `${String(s.uid).padStart(6)} ${s.g.toExponential(3).padStart(10)} ${(s.b > 0 ? "+1" : "-1").padStart(3)} ${
        s.binary.toFixed(4).padStart(8)
      } ${s.mu.toFixed(4).padStart(8)} ${s.sigma.toFixed(4).padStart(8)} ${s.ordinal.toFixed(4).padStart(9)} ${
        s.final.toFixed(4).padStart(9)
      } ${weights.get(s.uid)!.toFixed(4).padStart(8)}`,
    );
  }
  if (scores.length < 2) console.log("one peer only: ratings are rated only when two or more peers are scored");
}
