/** The demo's closing account: each competition's latest step, the rejected models and what the chain paid, by miner name. */
import { improvementOverBase } from "../../src/mod.ts";
import { type DemoNetwork, NETUID } from "./network.ts";
import type { DemoSummary } from "./summary.ts";

/** The parts of the summary read back from the validator's state and the chain. */
export type DemoOutcome = Pick<DemoSummary, "competitions" | "rejected" | "onChain">;

/** Each competition's latest step among `steps`, as leaderboard rows, best first. */
function leaderboard(net: DemoNetwork, steps: DemoSummary["steps"], nameOf: (hotkey: string) => string) {
  const competitions: DemoSummary["competitions"] = [];
  for (const c of net.schedule[0].competitions) {
    const last = [...steps].reverse().find((s) => s.competitionId === c.id);
    if (!last) continue;
    const baseLoss = net.state.steps().find((s) => s.id === last.stepId)?.baseline?.loss ?? null;
    const rows = net.state.evals(last.stepId).map((e) => ({
      uid: e.uid,
      miner: nameOf(e.hotkey),
      loss: e.loss,
      winRate: e.winRate ?? null,
      weight: e.weight ?? null,
      status: e.status,
      reason: e.reason,
      explanation: e.explanation ?? null,
      improvement: improvementOverBase(baseLoss, e.loss),
    })).sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0) || (a.loss ?? Infinity) - (b.loss ?? Infinity));
    competitions.push({ id: c.id, name: c.name, stepId: last.stepId, block: last.block, baseLoss, rows });
  }
  return competitions;
}

/** Reads the demo's outcome back from `net` after `steps`. */
export async function summarise(net: DemoNetwork, steps: DemoSummary["steps"]): Promise<DemoOutcome> {
  const names = new Map([...net.keys].map(([n, k]) => [k.address, n]));
  names.set(net.validator.address, "validator");
  const nameOf = (hotkey: string) => names.get(hotkey) ?? "?";
  const competitions = leaderboard(net, steps, nameOf);
  const metagraph = await net.chain.metagraph(NETUID);
  return {
    competitions,
    rejected: net.state.models().filter((m) => m.status === "rejected").map((m) => ({
      uid: m.uid,
      miner: nameOf(m.hotkey),
      reason: m.reason ?? "",
    })),
    onChain: metagraph.neurons.filter((n) => n.incentive > 0 || n.emission > 0n)
      .sort((a, b) => (b.emission > a.emission ? 1 : b.emission < a.emission ? -1 : 0))
      .map((n) => ({ uid: n.uid, miner: nameOf(n.hotkey), incentive: n.incentive, emission: n.emission })),
  };
}
