/**
 * "Did you mean" on the command line: a flag or command one or two edits from a known one is
 * named in the error; a name far from every known one is not guessed at.
 */
import assert from "node:assert/strict";
import { closestName, defineCommand, editDistance, flags, parse, UsageError } from "../../tasks/cli/mod.ts";

const command = defineCommand({
  name: "chain",
  summary: "test",
  positionals: { usage: "<metagraph|commitments>", choices: ["metagraph", "commitments"], min: 1, max: 1 },
  flags: {
    "chain-db": flags.path("a chain"),
    netuid: flags.int("a subnet"),
    json: flags.boolean("json"),
  },
  examples: [],
  run: () => Promise.resolve(),
});

const usage = (argv: string[]) => {
  try {
    parse(command, argv);
  } catch (e) {
    assert.ok(e instanceof UsageError);
    return e.message;
  }
  assert.fail(`${argv.join(" ")} parsed`);
};

Deno.test("editDistance(): insertions, deletions, substitutions and neighbour swaps count 1", () => {
  assert.equal(editDistance("netuid", "netuid"), 0);
  assert.equal(editDistance("netid", "netuid"), 1);
  assert.equal(editDistance("nteuid", "netuid"), 1, "a swap of neighbours");
  assert.equal(editDistance("metagrph", "metagraph"), 1);
  assert.equal(editDistance("", "json"), 4);
  assert.equal(closestName("jsn", ["json", "netuid"]), "json");
  assert.equal(closestName("frobnicate", ["metagraph", "commitments"]), undefined);
});

Deno.test("parse() names the flag or command the user probably meant", () => {
  assert.equal(usage(["metagraph", "--netiud", "9"]), "unknown flag --netiud (did you mean --netuid?)");
  assert.equal(usage(["metagraph", "--chaindb", "x"]), "unknown flag --chaindb (did you mean --chain-db?)");
  assert.equal(usage(["metagraph", "--jsno"]), "unknown flag --jsno (did you mean --json?)");
  assert.equal(usage(["metagraph", "--wallet"]), "unknown flag --wallet");
  assert.equal(usage(["metagrph"]), `"metagrph" is not one of metagraph, commitments (did you mean metagraph?)`);
  assert.equal(usage(["frobnicate"]), `"frobnicate" is not one of metagraph, commitments`);
});
