import assert from "node:assert/strict";
import { join } from "node:path";
import { devKey, hotkeyPath, loadHotkey } from "../../src/mod.ts";
import { tempDir } from "../helpers/temp.ts";

const MNEMONIC = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"; // the dev phrase behind //Alice

Deno.test("loadHotkey() reads the Bittensor wallet layout (secretPhrase), and //Alice is the well-known dev address", async () => {
  const root = await tempDir();
  const path = hotkeyPath("miner", "default", root);
  assert.equal(path, join(root, "miner", "hotkeys", "default"));
  await Deno.mkdir(join(root, "miner", "hotkeys"), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify({ secretPhrase: `${MNEMONIC}//Alice` }));
  const key = await loadHotkey({ wallet: "miner", hotkey: "default", root, envVar: "SN9_TEST_UNSET" });
  assert.equal(key.address, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
  assert.equal(key.address, (await devKey("Alice")).address);
});

Deno.test("loadHotkey() prefers the environment, and its errors never contain the secret", async () => {
  Deno.env.set("SN9_TEST_URI", "//Bob");
  try {
    assert.equal(
      (await loadHotkey({ wallet: "x", hotkey: "y", envVar: "SN9_TEST_URI" })).address,
      (await devKey("Bob")).address,
    );
  } finally {
    Deno.env.delete("SN9_TEST_URI");
  }
  const root = await tempDir();
  await Deno.mkdir(join(root, "w", "hotkeys"), { recursive: true });
  const secret = "not a valid mnemonic but secret words";
  await Deno.writeTextFile(hotkeyPath("w", "h", root), JSON.stringify({ secretPhrase: secret }));
  await assert.rejects(
    () => loadHotkey({ wallet: "w", hotkey: "h", root, envVar: "SN9_TEST_UNSET" }),
    (e: Error) => !e.message.includes(secret) && /value withheld/.test(e.message),
  );
  await Deno.writeTextFile(hotkeyPath("w", "h", root), "{broken");
  await assert.rejects(() => loadHotkey({ wallet: "w", hotkey: "h", root, envVar: "SN9_TEST_UNSET" }), /not JSON/);
  await assert.rejects(
    () => loadHotkey({ wallet: "nobody", hotkey: "h", root, envVar: "SN9_TEST_UNSET" }),
    /cannot read hotkey file/,
  );
});
