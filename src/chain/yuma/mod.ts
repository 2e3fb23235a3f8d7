/** Yuma Consensus as a pure function, for the local chain and for what-if simulations. */
export * from "./epoch.ts";
export { weightedMedianCol } from "./matrix.ts";
