import assert from "node:assert/strict";
import { formatModelId, InvalidMetadata, type MetadataProblem, parseModelId } from "../../src/mod.ts";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const HASH = "TzSqCdDQdZvr9jiS5HQH94MtbNyVfC0m5T4qntSIgx8=";

Deno.test("parseModelId() reads the five fields and formatModelId() round-trips", () => {
  const text = `alice:tiny-gpt2:${COMMIT}:${HASH}:1`;
  const id = parseModelId(text);
  assert.deepEqual(id, { namespace: "alice", name: "tiny-gpt2", commit: COMMIT, secureHash: HASH, competitionId: 1 });
  assert.equal(formatModelId(id), text);
  assert.equal(parseModelId(`a.b_c:x-y.z:${COMMIT}:${HASH}:65535`).competitionId, 65535);
});

Deno.test("parseModelId() accepts repo ids of exactly 4 and 38 characters", () => {
  assert.equal(parseModelId(`ab:c:${COMMIT}:${HASH}:0`).namespace, "ab");
  const long = "n".repeat(18) + "/" + "m".repeat(19); // 38 with the slash
  const [ns, name] = long.split("/");
  assert.equal(parseModelId(`${ns}:${name}:${COMMIT}:${HASH}:0`).name, name);
});

// Each malformed string with the rule it must be rejected for.
const CORPUS: [string, MetadataProblem][] = [
  [`alice:model:${COMMIT}:${HASH}:1:extra`, "field-count"],
  [`alice:model:${COMMIT}:${HASH}`, "field-count"],
  ["", "field-count"],
  [`alice/model:${COMMIT}:${HASH}:1`, "field-count"],
  [`:model:${COMMIT}:${HASH}:1`, "repo-id"],
  [`alice::${COMMIT}:${HASH}:1`, "repo-id"],
  [`a:b:${COMMIT}:${HASH}:1`, "repo-id"], // 3 characters
  [`${"n".repeat(19)}:${"m".repeat(20)}:${COMMIT}:${HASH}:1`, "repo-id"], // 40 characters, 128 bytes in all
  [`-alice:model:${COMMIT}:${HASH}:1`, "repo-id"],
  [`alice:model.:${COMMIT}:${HASH}:1`, "repo-id"],
  [`al--ice:model:${COMMIT}:${HASH}:1`, "repo-id"],
  [`alice:mo..del:${COMMIT}:${HASH}:1`, "repo-id"],
  [`al/ice:model:${COMMIT}:${HASH}:1`, "repo-id"],
  [`alice:model:${COMMIT.slice(1)}:${HASH}:1`, "commit"], // 39 hex
  [`alice:model:${COMMIT.toUpperCase()}:${HASH}:1`, "commit"],
  [`alice:model:${"g".repeat(40)}:${HASH}:1`, "commit"],
  [`alice:model:${COMMIT}:${HASH.slice(1)}:1`, "secure-hash"], // 43 characters
  [`alice:model:${COMMIT}:${HASH.replace("=", "A")}:1`, "secure-hash"], // no padding
  [`alice:model:${COMMIT}:${HASH.replace("T", "-")}:1`, "secure-hash"], // URL-safe alphabet
  [`alice:model:${COMMIT}:${HASH}:`, "competition-id"],
  [`alice:model:${COMMIT}:${HASH}:65536`, "competition-id"],
  [`alice:model:${COMMIT}:${HASH}:99999999999999999999`, "competition-id"], // huge (and 20 digits)
  [`alice:model:${COMMIT}:${HASH}:-1`, "competition-id"],
  [`alice:model:${COMMIT}:${HASH}:01`, "competition-id"],
  [`alice:model:${COMMIT}:${HASH}:1.0`, "competition-id"],
  [`alice:model:${COMMIT}:${HASH}:0x1`, "competition-id"],
  [`аlice:model:${COMMIT}:${HASH}:1`, "not-ascii"], // Cyrillic "а"
  [`alice:model\u200b:${COMMIT}:${HASH}:1`, "not-ascii"], // zero-width space
  [`alice:model:${COMMIT}:${HASH}:1\n`, "not-ascii"],
  [`alice :model:${COMMIT}:${HASH}:1`, "not-ascii"],
  [`alice:model:${COMMIT}:${HASH}:1\u0000`, "not-ascii"],
  [`${"a".repeat(60)}:model:${COMMIT}:${HASH}:1`, "too-long"], // 133 bytes
  ["é".repeat(65), "too-long"], // 130 bytes in UTF-8, 65 characters
];

Deno.test(`parseModelId() rejects a corpus of ${CORPUS.length} malformed strings, each for its rule`, () => {
  for (const [text, problem] of CORPUS) {
    assert.throws(
      () => parseModelId(text),
      (e: unknown) => e instanceof InvalidMetadata && e.problem === problem && e.message.length > 10,
      `${JSON.stringify(text)} should be rejected as ${problem}`,
    );
  }
});

Deno.test("formatModelId() refuses to produce a string the parser would reject", () => {
  assert.throws(
    () => formatModelId({ namespace: "alice", name: "m:x", commit: COMMIT, secureHash: HASH, competitionId: 1 }),
    InvalidMetadata,
  );
  assert.throws(
    () => formatModelId({ namespace: "alice", name: "model", commit: COMMIT, secureHash: HASH, competitionId: 70000 }),
    /competition id/,
  );
});
