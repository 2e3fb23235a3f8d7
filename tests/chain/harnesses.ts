/**
 * Harnesses over both chains for the suites that must hold on each (tests/chain/conformance.ts,
 * tests/validator/weights_sender_test.ts): a fresh subnet whose validator (uid 0) is staked with a
 * permit, three miners, tempo 10, weights rate limit 2, weights version key 3.
 */
import { join } from "node:path";
import type { KeyringPair } from "@polkadot/keyring/types";
import { devKey, keyFromUri, LocalChain } from "../../src/mod.ts";
import { tempDir } from "../helpers/temp.ts";
import { connect, newSubnet, type Node, startNode } from "./chopsticks.ts";
import type { ChainHarness } from "./conformance.ts";

/** The local chain's subnet id in its harness. */
export const NETUID = 1;

/** A local chain (manual clock): Alice a staked validator, Bob, Charlie, Dave miners; the suite's parameters. */
export async function localHarness(): Promise<ChainHarness & { chain: LocalChain }> {
  const chain = LocalChain.open(join(await tempDir(), "chain.sqlite"), { clock: { kind: "manual" } });
  chain.createSubnet(NETUID, {
    tempo: 10,
    weightsRateLimit: 2,
    weightsVersionKey: 3,
    activityCutoff: 5000,
    maxAllowedValidators: 1,
  });
  const [validator, ...miners] = await Promise.all(["Alice", "Bob", "Charlie", "Dave"].map((n) => devKey(n)));
  for (const k of [validator, ...miners]) await chain.register(NETUID, k.address, await devKey("Ferdie", "coldkey"));
  chain.addStake(validator.address, 1_000_000_000_000n);
  chain.advance(11); // past an epoch: the validator gets its permit
  return {
    chain,
    netuid: NETUID,
    validator,
    miners,
    stranger: await devKey("Eve"),
    advance: (n: number) => Promise.resolve(void chain.advance(n)),
    setCommitReveal: (enabled: boolean) =>
      Promise.resolve(chain.createSubnet(NETUID, { commitRevealEnabled: enabled })),
    close: () => chain.close(),
  };
}

let node: Promise<Node> | undefined;
let users = 0;

/** The file's node, started on first use and stopped when the last test using it closes. */
async function shared(): Promise<Node> {
  node ??= startNode();
  users++;
  return await node;
}

/** A harness over a fresh subnet with the suite's parameters. */
export async function subtensorHarness(): Promise<ChainHarness> {
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
