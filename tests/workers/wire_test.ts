/**
 * What travels on the queue, as untrusted input: a step's token data round-trips to the bit and
 * is refused, naming what broke, when a byte changes or it is cut short; jobs and results that
 * break the wire format are refused by rule; queue URLs are read as NATS clients read them
 * (nats.js `servers`: host:port, default port 4222; user:password or a token in the URL's user
 * part) and their credentials never appear in the printed form.
 */
import assert from "node:assert/strict";
import {
  BadMessage,
  decodeStepData,
  decodeWindowData,
  encodeMessage,
  encodeStepData,
  encodeWindowData,
  parseJob,
  parseQueueJob,
  parseQueueUrl,
  parseResult,
  redactQueueUrl,
  StepDataMismatch,
  stepStreamHash,
  type TaskData,
  tokenStreamHash,
  type WindowJobMessage,
  WIRE_VERSION,
} from "../../src/mod.ts";

function task(id: string, sequences: number[][]): TaskData {
  const seqs = sequences.map((s) => Int32Array.from(s));
  return {
    task: { id, dataset: "falcon", pages: 1, weight: 0.5 },
    sequences: seqs,
    manifest: {
      taskId: id,
      dataset: "falcon",
      hfDataset: "tiiuae/falcon-refinedweb",
      split: "train",
      pages: [],
      replacedPages: [],
      documents: 1,
      tokens: 6,
      sequenceLength: 3,
      sequences: seqs.length,
      droppedTokens: 0,
      streamSha256: tokenStreamHash(seqs),
    },
  };
}

const TASKS = [task("a", [[1, 2, 3], [50256, 0, 2 ** 31 - 1]]), task("b", [[7, 8, 9]])];

Deno.test("a step's token data round-trips to the bit and is checked against its stream hash", () => {
  const hash = stepStreamHash(TASKS);
  const back = decodeStepData(encodeStepData(TASKS), hash);
  assert.deepEqual(back.map((t) => t.sequences.map((s) => [...s])), [[[1, 2, 3], [50256, 0, 2 ** 31 - 1]], [[
    7,
    8,
    9,
  ]]]);
  assert.deepEqual(back.map((t) => t.task), TASKS.map((t) => t.task));
  // The step hash covers the task ids too: the same sequences under another id are another step.
  assert.notEqual(stepStreamHash([task("a2", [[1, 2, 3], [50256, 0, 2 ** 31 - 1]]), TASKS[1]]), hash);
});

Deno.test("step data that was changed, cut short, padded or is another step's is refused with what broke", () => {
  const hash = stepStreamHash(TASKS);
  const bytes = encodeStepData(TASKS);
  const flipped = bytes.slice();
  flipped[bytes.length - 1] ^= 1; // the last token of task b
  assert.throws(() => decodeStepData(flipped, hash), /of task "b" does not match its manifest's SHA-256/);
  assert.throws(() => decodeStepData(bytes.subarray(0, bytes.length - 2), hash), /ends inside task "b"/);
  assert.throws(() => decodeStepData(new Uint8Array([...bytes, 0, 0, 0, 0]), hash), /4 bytes after its last sequence/);
  assert.throws(() => decodeStepData(bytes, "0".repeat(64)), /not the step's 0000000000000000…/);
  assert.throws(() => decodeStepData(new Uint8Array([255, 255, 255, 127]), hash), /declares a 2147483647-byte header/);
  assert.throws(() => decodeStepData(new Uint8Array(2), hash), StepDataMismatch);
});

const JOB = {
  v: WIRE_VERSION,
  key: "5Grw-1-abcd.5Hot",
  id: "5Grw-1-abcd.5Hot",
  stepKey: "5Grw-1-abcd",
  stepId: 1,
  model: { hotkey: "5Hot", uid: 3, repo: "m/x", revision: "a".repeat(40), secureHash: "h", commitBlock: 7 },
  competition: { id: 1, tasks: [], sequenceLength: 128 },
  streamSha256: "e".repeat(64),
  eosTokenId: 50256,
  batchSize: 4,
  timeLimitMs: 1000,
  maxAttempts: 3,
};

const RESULT = {
  v: WIRE_VERSION,
  key: JOB.key,
  id: JOB.id,
  streamSha256: "e".repeat(64),
  record: {
    status: "ok",
    reason: null,
    loss: 3.5,
    taskLosses: { a: 3.5 },
    lossesSha256: "1".repeat(64),
    loadMs: 5,
    computeMs: 9,
  },
  worker: { name: "host/1", device: "cpu", engine: "onnxruntime-node 1.30.0", version: "0.19.0" },
};

const bytes = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

Deno.test("jobs and results that break the wire format are refused by the rule they break", () => {
  assert.deepEqual(parseJob(bytes(JOB)), JOB);
  assert.equal(parseResult(encodeMessage(RESULT as never)).record.loss, 3.5);
  const refused: [unknown, RegExp, (b: Uint8Array) => unknown][] = [
    [{ ...JOB, v: 2 }, /a job with a bad version \(this build reads 1, got 2\)/, parseJob],
    [{ ...JOB, key: "other.5Hot" }, /a job with a bad key \(it must be stepKey\.hotkey\)/, parseJob],
    [{ ...JOB, streamSha256: "E".repeat(64) }, /a job with a bad streamSha256/, parseJob],
    [{ ...JOB, batchSize: -1 }, /a job with a bad batchSize/, parseJob],
    [{ ...JOB, model: { ...JOB.model, uid: "3" } }, /a job with a bad model/, parseJob],
    [{ ...RESULT, record: { ...RESULT.record, loss: null } }, /a finite number when ok/, parseResult],
    [{ ...RESULT, record: { ...RESULT.record, status: "failed" } }, /a finite number when ok, else null/, parseResult],
    [{ ...RESULT, record: { ...RESULT.record, status: "great" } }, /a result with a bad record\.status/, parseResult],
    [{ ...RESULT, record: { ...RESULT.record, computeMs: -1 } }, /a result with a bad record\.computeMs/, parseResult],
    [{ ...RESULT, worker: undefined }, /a result with a bad worker/, parseResult],
    [[RESULT], /a result with a bad shape/, parseResult],
  ];
  for (const [message, rule, parse] of refused) assert.throws(() => parse(bytes(message)), rule);
  assert.throws(() => parseResult(new Uint8Array([0xff, 0xfe])), /a result that is not JSON/);
  assert.throws(() => parseResult(new Uint8Array(300 << 10)), BadMessage);
});

Deno.test("a result's reason and worker name reach the logs as one bounded, escaped line", () => {
  const r = parseResult(bytes({
    ...RESULT,
    record: { ...RESULT.record, status: "failed", loss: null, reason: `bad\nline\u001b[31m${"x".repeat(2000)}` },
    worker: { ...RESULT.worker, name: "evil\nname" },
  }));
  assert.ok(!r.record.reason!.includes("\n") && !r.record.reason!.includes("\u001b"), r.record.reason!);
  assert.ok(r.record.reason!.length <= 400, `${r.record.reason!.length}`);
  assert.ok(!r.worker.name.includes("\n"));
});

Deno.test("queue URLs are read as the NATS client reads them, and printed without their credentials", () => {
  assert.deepEqual(parseQueueUrl("nats://127.0.0.1:4333"), {
    servers: ["127.0.0.1:4333"],
    user: undefined,
    pass: undefined,
    token: undefined,
  });
  assert.deepEqual(parseQueueUrl("nats://val:p%40ss@q.example"), {
    servers: ["q.example:4222"],
    user: "val",
    pass: "p@ss",
    token: undefined,
  });
  assert.equal(parseQueueUrl("nats://s3cr3t@q.example:1").token, "s3cr3t");
  assert.deepEqual(parseQueueUrl("nats://a:1, nats://b:2").servers, ["a:1", "b:2"]);
  for (const bad of ["http://q:4222", "q:4222", "nats://", "nats://q:4222/path", ""]) {
    assert.throws(() => parseQueueUrl(bad), RangeError, bad);
  }
  assert.equal(redactQueueUrl("nats://val:p%40ss@q.example:4222"), "nats://***@q.example:4222");
  assert.equal(redactQueueUrl("nats://tok@a:1,nats://b:2"), "nats://***@a:1,nats://b:2");
  assert.throws(() => parseQueueUrl("http://val:secret@q:1"), (e: Error) => !e.message.includes("secret"));
});

const WINDOW_JOB: WindowJobMessage = {
  v: WIRE_VERSION,
  kind: "window",
  key: "5Grw-c4-w2-00ff.uid-7",
  id: "5Grw-c4-w2-00ff.uid-7",
  stepKey: "5Grw-c4-w2-00ff",
  competitionId: 4,
  window: 2,
  global: { repo: "bob/tiny-pseudograd-global", revision: "a".repeat(40), hash: "B".repeat(43) + "=" },
  codec: { chunk: 64, topk: 4, bins: 16, range: 6 },
  streamSha256: "c".repeat(64),
  batchSize: 4,
  maxAttempts: 3,
  scale: 0.2,
  peer: {
    uid: 7,
    repo: "m/p",
    revision: "d".repeat(40),
    sha256: "e".repeat(64),
    factors: { "h.0.w": 1, "h.1.w": 0.04 },
  },
};

Deno.test("window jobs are told from model jobs and refused by the rule they break", () => {
  assert.deepEqual(parseQueueJob(bytes(WINDOW_JOB)), { kind: "window", job: WINDOW_JOB });
  assert.deepEqual(parseQueueJob(bytes(JOB)), { kind: "model", job: JOB });
  const global = { ...WINDOW_JOB, key: "5Grw-c4-w2-00ff.global", id: "5Grw-c4-w2-00ff.global", peer: undefined };
  assert.equal(parseQueueJob(bytes(global)).kind, "window");
  const peer = WINDOW_JOB.peer!;
  const refused: [unknown, RegExp][] = [
    [
      { ...WINDOW_JOB, key: "5Grw-c4-w2-00ff.uid-8" },
      /a window job with a bad key \(it must be stepKey\.global or stepKey\.uid-N\)/,
    ],
    [{ ...WINDOW_JOB, global: { ...WINDOW_JOB.global, hash: "not a hash" } }, /a window job with a bad global/],
    [{ ...WINDOW_JOB, codec: { chunk: 65, topk: 4, bins: 16, range: 6 } }, /a window job with a bad codec/],
    [{ ...WINDOW_JOB, scale: "0.2" }, /a window job with a bad scale/],
    [{ ...WINDOW_JOB, batchSize: 0 }, /a window job with a bad batchSize/],
    [{ ...WINDOW_JOB, peer: { ...peer, factors: { a: 1.5 } } }, /a window job with a bad peer/],
    [{ ...WINDOW_JOB, peer: { ...peer, factors: { a: 0 } } }, /a window job with a bad peer/],
    [{ ...WINDOW_JOB, peer: { ...peer, sha256: "E".repeat(64) } }, /a window job with a bad peer/],
  ];
  for (const [message, rule] of refused) assert.throws(() => parseQueueJob(bytes(message)), rule);
});

Deno.test("a window's sequences round-trip to the bit and are refused when they are not the job's", () => {
  const data = {
    random: [[1, 2, 3], [4, 5, 6]],
    heldOut: [[2 ** 31 - 1, 0, 9]],
    own: new Map([[9, [[7, 7, 7]]], [3, [[8, 8, 8], [1, 1, 1]]]]),
  };
  const { bytes: blob, sha256 } = encodeWindowData(data);
  const back = decodeWindowData(blob, sha256);
  assert.deepEqual(back.random, data.random);
  assert.deepEqual(back.heldOut, data.heldOut);
  assert.deepEqual([...back.own].sort((a, b) => a[0] - b[0]), [...data.own].sort((a, b) => a[0] - b[0]));
  // The same sets in another map order are the same bytes: every validator names them alike.
  assert.equal(encodeWindowData({ ...data, own: new Map([...data.own].reverse()) }).sha256, sha256);
  const flipped = blob.slice();
  flipped[flipped.length - 1] ^= 1;
  assert.throws(() => decodeWindowData(flipped, sha256), /the window's data hashes to .*, not the job's/);
  assert.throws(() => decodeWindowData(blob, "0".repeat(64)), StepDataMismatch);
});
