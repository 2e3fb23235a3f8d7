/**
 * The validator context the step tests run with: a local chain and store, the datasets-server
 * stand-in, and the state, caches and run log under one folder, on the CPU, weights not sent
 * unless a test says so. `overrides` replace any field.
 */
import { join } from "node:path";
import type { KeyringPair } from "@polkadot/keyring/types";
import {
  type Chain,
  DatasetsServerClient,
  JsonlRunLog,
  type ModelStore,
  type Schedule,
  type ValidatorContext,
  ValidatorState,
} from "../../src/mod.ts";

/** What every step test gives its validator. */
export interface TestValidator {
  root: string;
  chain: Chain;
  store: ModelStore;
  datasetsUrl: string;
  schedule: Schedule;
  hotkey: KeyringPair;
  state: ValidatorState;
}

/** A validator context over `v`, subnet 1, logging to `log`. */
export function testValidatorContext(
  v: TestValidator,
  log: (line: string) => void = () => {},
  overrides: Partial<ValidatorContext> = {},
): ValidatorContext {
  return {
    chain: v.chain,
    store: v.store,
    datasets: new DatasetsServerClient({ baseUrl: v.datasetsUrl, token: "" }),
    schedule: v.schedule,
    netuid: 1,
    hotkey: v.hotkey,
    state: v.state,
    cacheDir: join(v.root, "cache"),
    modelCacheDir: join(v.root, "hub"),
    device: "cpu",
    setWeights: false,
    telemetry: new JsonlRunLog(join(v.root, "run.jsonl")),
    log,
    ...overrides,
  };
}

/** One context per hotkey over the same chain, store and pages, each with its state under `root/validator-i`. */
export function testValidatorContexts(
  v: Omit<TestValidator, "hotkey" | "state">,
  hotkeys: readonly KeyringPair[],
  log: (i: number) => (line: string) => void,
  overrides: (i: number) => Partial<ValidatorContext> = () => ({}),
): ValidatorContext[] {
  return hotkeys.map((hotkey, i) => {
    const root = join(v.root, `validator-${i}`);
    const state = new ValidatorState(join(root, "state.sqlite"));
    return testValidatorContext({ ...v, root, hotkey, state }, log(i), overrides(i));
  });
}
