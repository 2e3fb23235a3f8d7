/** The shape of the demo's account of itself: what `runDemo` returns, `tasks/demo.ts` prints and tests read. */

/** One row of a competition's final step. */
export interface DemoRow {
  uid: number;
  miner: string;
  loss: number | null;
  winRate: number | null;
  weight: number | null;
  status: string;
  reason: string | null;
  /** Why it earns what it earns. */
  explanation: string | null;
  /** In an adapter competition: the base's loss minus this one's. */
  improvement: number | null;
}

/** What the demo did and where it left its files. */
export interface DemoSummary {
  paths: { dir: string; chain: string; state: string; runLog: string; store: string; cache: string };
  netuid: number;
  published: { miner: string; uid: number; repo: string; commit: string; note: string }[];
  steps: { stepId: number; block: number; competitionId: number; weights: string }[];
  competitions: {
    id: number;
    name: string;
    stepId: number;
    block: number;
    /** In an adapter competition: the base's loss on the step's pages. */
    baseLoss: number | null;
    rows: DemoRow[];
  }[];
  rejected: { uid: number; miner: string; reason: string }[];
  onChain: { uid: number; miner: string; incentive: number; emission: bigint }[];
  /** A Yuma epoch paid the miners after weights were set. */
  paid: boolean;
  /** The adapter competition's last step merged into the next base (deno task average). */
  averaged: {
    competitionId: number;
    stepId: number;
    adapters: string[];
    baseLoss: number;
    mergedLoss: number;
    repo: string;
    commit: string;
    hash: string;
  } | null;
  /** The pseudo-gradient competition's windows: the global model's held-out loss and each peer's row. */
  windows: {
    window: number;
    heldOutBefore: number | null;
    heldOutAfter: number | null;
    nextHash: string | null;
    /** `repo@commit` where the validator published the next checkpoint. */
    published: string | null;
    peers: {
      uid: number;
      miner: string;
      status: string;
      reason: string | null;
      explanation: string | null;
      weight: number | null;
    }[];
  }[];
  phases: { name: string; seconds: number }[];
}
