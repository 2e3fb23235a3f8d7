/**
 * What a supervisor or a load balancer asks a running validator (`validate --health <port>`):
 * liveness, the version, and how the last turn went (its block, age and outcome), as JSON.
 * `GET /health` answers 200 while the loop turns and 503 once the last turn is older than
 * `staleAfterS` (the loop is stuck) or the process is stopping.
 */
import { Hono } from "hono";
import { VERSION } from "../version.ts";
import type { IterationOutcome } from "./iteration.ts";

/** The last turn, as the loop reports it. */
export interface TurnReport {
  block: number | null;
  outcome: IterationOutcome;
  /** The failure's reason, for a failed or skipped turn. */
  reason?: string;
  weights?: string;
  atMs: number;
}

/** The validator's health, updated by the loop. */
export class Health {
  readonly startedMs = Date.now();
  last: TurnReport | null = null;
  stopping = false;

  constructor(readonly o: { hotkey: string; netuid: number; network: string; staleAfterS: number }) {}

  /** The JSON body, and whether the validator is healthy. */
  report(nowMs = Date.now()): { healthy: boolean; body: Record<string, unknown> } {
    const reference = this.last?.atMs ?? this.startedMs;
    const ageS = Math.round((nowMs - reference) / 1000);
    const stale = ageS > this.o.staleAfterS;
    const healthy = !stale && !this.stopping;
    return {
      healthy,
      body: {
        status: this.stopping ? "stopping" : stale ? "stale" : "ok",
        version: VERSION,
        hotkey: this.o.hotkey,
        netuid: this.o.netuid,
        network: this.o.network,
        uptimeSeconds: Math.round((nowMs - this.startedMs) / 1000),
        lastTurn: this.last && {
          block: this.last.block,
          outcome: this.last.outcome,
          ageSeconds: ageS,
          ...(this.last.reason ? { reason: this.last.reason } : {}),
          ...(this.last.weights ? { weights: this.last.weights } : {}),
        },
      },
    };
  }

  /** `GET /health` (and `/`), for the loop's own port. */
  app(): Hono {
    const app = new Hono();
    const answer = (c: { json(body: unknown, status: 200 | 503): Response }) => {
      const r = this.report();
      return c.json(r.body, r.healthy ? 200 : 503);
    };
    app.get("/health", answer);
    app.get("/", answer);
    return app;
  }
}
