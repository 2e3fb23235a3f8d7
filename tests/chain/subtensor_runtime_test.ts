/**
 * The chain conformance suite on a real subtensor runtime: opentensor/subtensor's raonet spec
 * (spec 218) under chopsticks (tests/chain/chopsticks.ts), with the product's own SubtensorChain
 * client. One node serves the file; every test gets a fresh subnet made with the runtime's own
 * `register_network` and `burned_register`.
 */
import { onRuntime } from "./chopsticks.ts";
import { chainConformance } from "./conformance.ts";
import { subtensorHarness } from "./harnesses.ts";

onRuntime("subtensor spec 218 (chopsticks)", () => {
  chainConformance("subtensor spec 218 (chopsticks)", subtensorHarness);
});
