/**
 * `deno task yuma --input file.json`: one Yuma Consensus epoch, what-if style. Input:
 * {"stake": number[n], "weights": {"<uid>": [[uid, u16], …]}, "bonds"?: {…}, "lastUpdate": number[n],
 *  "blockAtRegistration": number[n], "validatorPermit"?: boolean[n], "block": number, "params"?: {…}}
 * (params and their defaults: src/chain/yuma/epoch.ts). Prints one JSON object: consensus,
 * incentive, dividends, trust, validatorTrust, emission (rao), validatorPermit, and bonds in the
 * input's sparse u16 form, so epochs can be chained.
 */
import { DEFAULT_YUMA_PARAMS, yumaEpoch, type YumaInput } from "../src/mod.ts";
import { defineCommand, flags, main, readInputJson } from "./cli/mod.ts";

export const command = defineCommand({
  name: "yuma",
  summary: "Runs one Yuma Consensus epoch on a JSON input and prints the outcome as one JSON object.",
  flags: { input: flags.string("the input JSON file, or - for stdin", { default: "-", placeholder: "<file|->" }) },
  notes: [
    'Input: {"block": N, "stake": [n], "weights": {"<uid>": [[uid, u16], …]}, "bonds"?: {…}, "lastUpdate": [n],',
    '        "blockAtRegistration": [n], "validatorPermit"?: [n booleans], "params"?: {…}}',
    `params: ${Object.keys(DEFAULT_YUMA_PARAMS).join(", ")}.`,
  ],
  examples: ["deno task yuma --input examples/epoch.json", "deno task yuma < examples/epoch.json"],
  async run({ flags: f }) {
    const input = await readInputJson(f.input, { flag: "--input", maxBytes: 64 * 2 ** 20 });
    console.log(JSON.stringify(yumaEpoch(input as YumaInput)));
  },
});

if (import.meta.main) await main(command);
