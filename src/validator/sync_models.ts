/**
 * From the chain to the models worth evaluating: every commitment of a registered hotkey is
 * parsed; a new or changed commitment (re)enters as pending, with no evaluation history; a
 * malformed one, or one for a competition not in force, is kept as ignored with the reason and
 * what was committed (and looked at again each sync, since a scheduled competition can come into
 * force). A hotkey that left the
 * metagraph (deregistered, its uid possibly taken by a new hotkey) is forgotten together with the
 * moving-average weight its uid earned, so a new owner of the uid starts from zero.
 */
import type { Commitment, Metagraph } from "../chain/mod.ts";
import { competitionAt, type Schedule } from "../competitions/mod.ts";
import { InvalidMetadata, parseModelId, repoId } from "../metadata/mod.ts";
import { forgetUid } from "../scoring/mod.ts";
import type { TrackedModel, ValidatorState } from "./state.ts";

/** Updates tracked models from the metagraph and commitments; returns how many changed. */
export function syncModels(
  state: ValidatorState,
  seen: { metagraph: Metagraph; commitments: Commitment[]; schedule: Schedule; block: number },
): number {
  const { metagraph, commitments, schedule, block } = seen;
  const uids = new Map(metagraph.neurons.map((n) => [n.hotkey, n.uid]));
  let changed = 0;
  state.transaction(() => {
    for (const m of state.models()) {
      if (uids.get(m.hotkey) !== m.uid) {
        state.deleteModel(m.hotkey);
        state.budget.forget(m.hotkey);
        state.setEma(forgetUid(state.ema(), m.uid));
        changed++;
      }
    }
    for (const c of commitments) {
      const uid = uids.get(c.hotkey);
      if (uid === undefined) continue;
      const known = state.model(c.hotkey);
      let next: TrackedModel;
      try {
        const id = parseModelId(c.data);
        const competition = competitionAt(schedule, block, id.competitionId);
        if (competition?.kind === "pseudograd") {
          // A window's submission, not a model: its window turn reads it at the window's deadline.
          if (known) state.deleteModel(c.hotkey);
          continue;
        }
        next = {
          hotkey: c.hotkey,
          uid,
          competitionId: id.competitionId,
          repo: repoId(id),
          revision: id.commit,
          secureHash: id.secureHash,
          commitBlock: c.block,
          status: competition ? "pending" : "ignored",
          reason: competition ? null : `competition ${id.competitionId} is not in force at block ${block}`,
          updatedBlock: block,
          commitment: competition ? null : c.data,
        };
      } catch (e) {
        const reason = e instanceof InvalidMetadata
          ? `malformed commitment (${e.problem}): ${e.message}`
          : (e as Error).message;
        next = {
          hotkey: c.hotkey,
          uid,
          competitionId: -1,
          repo: "",
          revision: "",
          secureHash: "",
          commitBlock: c.block,
          status: "ignored",
          reason,
          updatedBlock: block,
          commitment: c.data,
        };
      }
      const same = known && known.revision === next.revision && known.repo === next.repo &&
        known.secureHash === next.secureHash &&
        known.commitBlock === next.commitBlock && known.uid === uid &&
        (known.status !== "ignored" || next.status === "ignored");
      if (same) continue;
      // A new commitment is a new model: the budget's history and queue place were the old one's.
      state.budget.forget(c.hotkey);
      state.upsertModel(next);
      changed++;
    }
  });
  return changed;
}
