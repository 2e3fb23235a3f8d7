/** The leaderboard: read-only queries over the validator's state, served by a Hono app. */
export * from "./queries.ts";
export * from "./summary.ts";
export * from "./app.ts";
