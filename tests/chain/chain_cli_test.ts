import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../helpers/temp.ts";

const CLI = new URL("../../tasks/chain.ts", import.meta.url).pathname;

async function cli(db: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args, "--chain-db", db],
    env: { SN9_HOTKEY_URI: "//Alice" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout), stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("deno task chain: register, commit, read back as JSON, and a refusal named by its pallet error", async () => {
  const db = join(await tempDir(), "chain.sqlite");
  assert.match((await cli(db, "register")).stdout, /as uid 0 on subnet 1/);
  assert.equal((await cli(db, "commit", "--data", "alice:model:x")).code, 0);
  const commitments = JSON.parse((await cli(db, "commitments", "--json")).stdout);
  assert.deepEqual(commitments.map((c: { data: string }) => c.data), ["alice:model:x"]);
  const metagraph = JSON.parse((await cli(db, "metagraph", "--json")).stdout);
  assert.equal(metagraph.neurons[0].hotkey, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
  const refused = await cli(db, "set-weights", "--uids", "0,7", "--weights", "1,1");
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^error: UidsLengthExceedUidsInSubNet: 2 uids, subnet has 1\n$/);
  assert.equal((await cli(db, "nonsense")).code, 2);
});
