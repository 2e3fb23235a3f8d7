/**
 * The chain conformance suite on a real subtensor runtime: opentensor/subtensor's raonet spec
 * (spec 218) under chopsticks (tests/chain/chopsticks.ts), with the product's own SubtensorChain
 * client. One node serves the file; every test gets a fresh subnet made with the runtime's own
 * `register_network` and `burned_register`.
 */
import { type KeyringPair } from "@polkadot/keyring/types";
import { keyFromUri } from "../../src/mod.ts";
import { connect, newSubnet, type Node, raonetSpec, startNode } from "./chopsticks.ts";
import { chainConformance } from "./conformance.ts";

let node: Promise<Node> | undefined;
let users = 0;

/** The file's node, started on first use and stopped when the last test using it closes. */
async function shared(): Promise<Node> {
  node ??= startNode();
  users++;
  return await node;
}

/** A harness over a fresh subnet with the suite's parameters. */
export async function subtensorHarness() {
  const n = await shared();
  const s = await newSubnet(n, {
    miners: 3,
    tempo: 10,
    weightsRateLimit: 2,
    weightsVersionKey: 3,
    maxAllowedValidators: 1,
  });
  const chain = await connect(n);
  const flag = (v: boolean) => ({ SubtensorModule: { CommitRevealWeightsEnabled: [[[s.netuid], v]] } });
  return {
    chain,
    netuid: s.netuid,
    validator: s.validator,
    miners: s.miners,
    stranger: await keyFromUri("//stranger") as KeyringPair,
    advance: (count: number) => n.newBlocks(count),
    // `false` cannot be written with dev_setStorage (a zero value does not take): remove the key instead.
    setCommitReveal: async (enabled: boolean) => {
      if (enabled) await n.setStorage(flag(true));
      else await n.setStorage({ SubtensorModule: { CommitRevealWeightsEnabled: [[[s.netuid], null]] } });
    },
    close: async () => {
      await chain.close();
      if (--users === 0) {
        await (await node!).close();
        node = undefined;
      }
    },
  };
}

if (raonetSpec()) {
  chainConformance("subtensor spec 218 (chopsticks)", subtensorHarness);
} else {
  Deno.test({
    name: "subtensor spec 218 (chopsticks): skipped because ../shared/chain/raonet.json.gz is not beside this checkout",
    ignore: true,
    fn: () => {},
  });
}
