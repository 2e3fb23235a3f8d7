/**
 * Where the real-runtime suites get their chain spec (raonet_spec.ts): a given path is checked
 * and refused loudly when wrong; a download is checked against the pinned sha256 before it is
 * cached; the cache is used without the network; and when nothing can be had the reason lists
 * every source tried. The content here is made up, with its own sha256, so these run without the
 * real spec.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { findSpec, RAONET, type SpecSources } from "./raonet_spec.ts";
import { tempDir } from "../helpers/temp.ts";

const SPEC = new TextEncoder().encode(JSON.stringify({ name: "made-up spec", genesis: { raw: { top: {} } } }));
const SHA = createHash("sha256").update(SPEC).digest("hex");

/** A loopback server answering every GET with `body`, counting requests. */
function serve(body: Uint8Array, status = 200) {
  let requests = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    requests++;
    return new Response(body.slice(), { status });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/raonet.json`,
    requests: () => requests,
    close: () => server.shutdown(),
  };
}

function sources(dir: string, url: string, extra: Partial<SpecSources> = {}): SpecSources {
  return {
    cacheDir: join(dir, "cache"),
    beside: [join(dir, "nowhere.json.gz")],
    url,
    sha256: SHA,
    downloadMs: 5_000,
    ...extra,
  };
}

Deno.test("raonet spec: downloaded, checked against its sha256, cached, then read from the cache without the network", async () => {
  const dir = await tempDir("sn9-spec-");
  const server = serve(SPEC);
  try {
    const first = await findSpec(sources(dir, server.url));
    assert.ok("path" in first, JSON.stringify(first));
    assert.equal(first.from, server.url);
    assert.deepEqual(await Deno.readFile(first.path), SPEC);
    await server.close();
    const again = await findSpec(sources(dir, server.url));
    assert.ok("path" in again && again.from === "the verified copy in .cache", JSON.stringify(again));
    assert.equal(server.requests(), 1);
  } finally {
    await server.close().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("raonet spec: a download with other bytes is not cached, and the reason says which hash it had", async () => {
  const dir = await tempDir("sn9-spec-");
  const server = serve(new TextEncoder().encode("{}"));
  try {
    const found = await findSpec(sources(dir, server.url));
    assert.ok("missing" in found);
    const other = createHash("sha256").update("{}").digest("hex");
    assert.match(found.missing, new RegExp(`hashes to ${other}, not the pinned ${SHA}`));
    assert.match(found.missing, /SUBTENSOR_SPEC is unset; no .*nowhere\.json\.gz; the download from/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [], "nothing was cached");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("raonet spec: a copy beside the checkout, gzipped, is used before the network; an HTTP error is a reason", async () => {
  const dir = await tempDir("sn9-spec-");
  const server = serve(new Uint8Array(), 404);
  try {
    const gz = join(dir, "raonet.json.gz");
    await Deno.writeFile(gz, gzipSync(SPEC));
    const found = await findSpec(sources(dir, server.url, { beside: [gz] }));
    assert.ok("path" in found && found.from === gz, JSON.stringify(found));
    assert.deepEqual(await Deno.readFile(found.path), SPEC, "cached unzipped");
    assert.equal(server.requests(), 0);
    const none = await findSpec(sources(join(dir, "elsewhere"), server.url));
    assert.ok("missing" in none && /failed \(HTTP 404\)/.test(none.missing), JSON.stringify(none));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("raonet spec: SUBTENSOR_SPEC is taken as given, and a file there that is not the spec is an error, not a skip", async () => {
  const dir = await tempDir("sn9-spec-");
  try {
    const good = join(dir, "spec.json");
    await Deno.writeFile(good, SPEC);
    const found = await findSpec(sources(dir, "http://127.0.0.1:9/unused", { given: good }));
    assert.ok("path" in found && found.from === `SUBTENSOR_SPEC (${good})`, JSON.stringify(found));
    const wrong = join(dir, "wrong.json");
    await Deno.writeTextFile(wrong, "{}");
    await assert.rejects(
      findSpec(sources(dir, "http://127.0.0.1:9/unused", { given: wrong })),
      /SUBTENSOR_SPEC=.*wrong\.json is not the pinned raonet spec: sha256 [0-9a-f]{64}/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("raonet spec: the pin is opentensor/subtensor's raonet.json at the commit that last changed it", () => {
  // From the upstream repository: `git log -- scripts/specs/raonet.json` ends at e2b8367b8 ("final
  // deployment of rao to mainnet", 2025-02-13); that blob is 1,708,326 bytes with this sha256.
  assert.equal(
    RAONET.url,
    `https://raw.githubusercontent.com/opentensor/subtensor/${RAONET.commit}/scripts/specs/raonet.json`,
  );
  assert.match(RAONET.commit, /^e2b8367b8[0-9a-f]{31}$/);
  assert.equal(RAONET.sha256, "bb2c7e34390f8fb5032750cc7d80d23f91a47f56fdebf4c35a24c7938b96c57c");
});
