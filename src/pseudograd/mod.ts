/**
 * Pseudo-gradient competitions (Templar's Gauntlet, SN38): miners send compressed pseudo-gradients
 * of one shared global model. Here: the codec (chunking, top-k, 12-bit index packing, value
 * quantisation), the `pseudograd-v1` submission file and its strict reader, error feedback for
 * miners, the peers' clipped aggregate and the next checkpoint it makes, OpenSkill ratings, one
 * window's scores from the peers' losses, the windows' clock, copy detection and slashes.
 */
export * from "./chunking.ts";
export * from "./topk.ts";
export * from "./pack12.ts";
export * from "./quantize.ts";
export * from "./aggregate.ts";
export * from "./codec.ts";
export * from "./layout.ts";
export * from "./submission.ts";
export * from "./decode.ts";
export * from "./error_feedback.ts";
export * from "./feedback_file.ts";
export * from "./global_model.ts";
export * from "./next_checkpoint.ts";
export * from "./published_checkpoint.ts";
export * from "./peer_model.ts";
export * from "./openskill.ts";
export * from "./window_score.ts";
export * from "./window.ts";
export * from "./overlap.ts";
export * from "./slashes.ts";
export * from "./screen_submissions.ts";
export * from "./clip_factors.ts";
export * from "./measure_peers.ts";
export * from "./evaluate_window.ts";
