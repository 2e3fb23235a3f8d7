/**
 * `deno task yuma < input.json`: one Yuma Consensus epoch, what-if style. Input:
 * {"stake": number[n], "weights": {"<uid>": [[uid, u16], …]}, "bonds"?: {…}, "lastUpdate": number[n],
 *  "blockAtRegistration": number[n], "validatorPermit"?: boolean[n], "block": number, "params"?: {…}}
 * (params and their defaults: src/chain/yuma/epoch.ts). Prints one JSON object: consensus,
 * incentive, dividends, trust, validatorTrust, emission (rao), validatorPermit, and bonds in the
 * input's sparse u16 form, so epochs can be chained. Exit 1 with a reason on bad input.
 */
import { yumaEpoch, type YumaInput } from "../src/mod.ts";

try {
  const text = await new Response(Deno.stdin.readable).text();
  let input: YumaInput;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`input is not JSON (${(e as Error).message})`);
  }
  for (const key of ["stake", "lastUpdate", "blockAtRegistration"] as const) {
    if (!Array.isArray(input?.[key])) throw new TypeError(`"${key}" must be an array`);
  }
  if (typeof input.weights !== "object" || input.weights === null) {
    throw new TypeError(`"weights" must be an object of sparse rows`);
  }
  if (!Number.isSafeInteger(input.block)) throw new TypeError(`"block" must be an integer`);
  console.log(JSON.stringify(yumaEpoch(input)));
} catch (e) {
  console.error(`yuma: ${(e as Error).message}`);
  Deno.exit(1);
}
