import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../helpers/temp.ts";
import { tao } from "../../tasks/chain/tables.ts";

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
  assert.deepEqual(commitments.map((c: { data: string; uid: number }) => [c.uid, c.data]), [[0, "alice:model:x"]]);
  const table = (await cli(db, "commitments")).stdout.split("\n");
  assert.match(table[0], /^ +uid +block +hotkey +commitment$/);
  assert.match(table[1], /^ +0 +\d+ +5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY +alice:model:x$/);
  const shown = (await cli(db, "metagraph")).stdout.split("\n");
  assert.match(shown[1], /stake \(τ\) +permit +trust +consensus +incentive +dividends +emission \(τ\)$/);
  assert.match(shown[2], /^ +0 +5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY +\d+\.\d{4} +(yes|no ) +\d\.\d{4}/);
  const metagraph = JSON.parse((await cli(db, "metagraph", "--json")).stdout);
  assert.equal(metagraph.neurons[0].hotkey, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
  const refused = await cli(db, "set-weights", "--uids", "0,7", "--weights", "1,1");
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^error: UidsLengthExceedUidsInSubNet: 2 uids, subnet has 1\n$/);
  assert.equal((await cli(db, "nonsense")).code, 2);
});

Deno.test("tao(): rao to τ, rounded half up at the last digit shown", () => {
  assert.equal(tao(0n), "0.0000");
  assert.equal(tao(1_000_000_000n), "1.0000");
  assert.equal(tao(123_456_789_012n), "123.4568");
  assert.equal(tao(49_999n), "0.0000");
  assert.equal(tao(50_000n), "0.0001");
  assert.equal(tao(1_500n, 6), "0.000002");
  assert.equal(tao(-2_000_000_000n), "-2.0000");
  assert.equal(tao(21_000_000n * 1_000_000_000n, 0), "21000000");
});
