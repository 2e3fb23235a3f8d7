/**
 * Signing keys: development accounts (`//Alice` …), the standard Bittensor wallet layout
 * (`~/.bittensor/wallets/<wallet>/hotkeys/<hotkey>`, JSON with `secretPhrase` or `secretSeed`),
 * or a mnemonic / secret URI from the environment. Secrets are never logged or put in messages.
 */
import { join } from "node:path";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { cryptoWaitReady, mnemonicValidate } from "@polkadot/util-crypto";

/** Bittensor's SS58 prefix. */
export const SS58_FORMAT = 42;

let keyring: Keyring | undefined;

/** The sr25519 keyring (after the crypto wasm is ready). */
export async function sr25519(): Promise<Keyring> {
  await cryptoWaitReady();
  keyring ??= new Keyring({ type: "sr25519", ss58Format: SS58_FORMAT });
  return keyring;
}

/**
 * A key from a secret URI: a BIP-39 mnemonic (12–24 words), a 0x-prefixed 32-byte seed, or a
 * derivation such as `//Alice`, each optionally followed by `//hard` or `/soft` derivations.
 * Anything else is refused rather than turned into some derived key (the keyring would accept
 * arbitrary text as a phrase); the value is never put in the message.
 */
export async function keyFromUri(uri: string): Promise<KeyringPair> {
  const keyring = await sr25519();
  const base = uri.split(/\/+/)[0].trim();
  const ok = base === "" || /^0x[0-9a-fA-F]{64}$/.test(base) || mnemonicValidate(base);
  if (!ok) throw new TypeError("the secret URI is neither a mnemonic, a 0x seed nor a //derivation (value withheld)");
  try {
    return keyring.addFromUri(uri);
  } catch {
    throw new TypeError("the secret URI or mnemonic is not valid (value withheld)");
  }
}

/** A development account: `//Name` for hotkeys, `//Name//stash` for coldkeys. */
export function devKey(name: string, role: "hotkey" | "coldkey" = "hotkey"): Promise<KeyringPair> {
  return keyFromUri(role === "hotkey" ? `//${name}` : `//${name}//stash`);
}

/** The default wallets directory (btcli's `--wallet.path`). */
export function defaultWalletPath(): string {
  return join(Deno.env.get("HOME") ?? ".", ".bittensor", "wallets");
}

/** Where a wallet's hotkey file lives. */
export function hotkeyPath(wallet: string, hotkey: string, root = defaultWalletPath()): string {
  return join(root, wallet, "hotkeys", hotkey);
}

/**
 * Loads a hotkey: from the environment variable `envVar` (a mnemonic or URI) when set, else from
 * the wallet file. Errors name the file, never its content.
 */
export async function loadHotkey(
  o: { wallet: string; hotkey: string; root?: string; envVar?: string },
): Promise<KeyringPair> {
  const fromEnv = Deno.env.get(o.envVar ?? "SN9_HOTKEY_URI");
  if (fromEnv) {
    return keyFromUri(fromEnv).catch((e) => {
      throw new TypeError(`${o.envVar ?? "SN9_HOTKEY_URI"}: ${(e as Error).message}`);
    });
  }
  const path = hotkeyPath(o.wallet, o.hotkey, o.root);
  let json: { secretPhrase?: string; secretSeed?: string };
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new TypeError(
      `cannot read hotkey file ${path}: ${e instanceof SyntaxError ? "not JSON" : (e as Error).name}`,
    );
  }
  const secret = json.secretPhrase ?? json.secretSeed;
  if (typeof secret !== "string") throw new TypeError(`hotkey file ${path} has neither secretPhrase nor secretSeed`);
  return keyFromUri(secret);
}
