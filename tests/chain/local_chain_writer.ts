/** Test helper: writes to a local chain in a loop, printing each committed block, until killed. */
import { devKey, LocalChain } from "../../src/mod.ts";

const chain = LocalChain.open(Deno.args[0], { clock: { kind: "manual" } });
chain.createSubnet(1, { tempo: 3 });
const alice = await devKey("Alice");
await chain.register(1, alice.address, alice);
chain.addStake(alice.address, 1_000_000n);
chain.setCommitmentRateLimit(1);
for (;;) {
  const block = chain.advance(1);
  await chain.setCommitment(1, alice, `block ${block}`);
  console.log(`committed ${block}`);
}
