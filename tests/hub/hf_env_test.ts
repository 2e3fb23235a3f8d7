/**
 * The Hugging Face conventions, each as huggingface_hub defines it (`constants.py` for the
 * endpoint, home, cache and offline switch; `utils/_auth.py` for the token order;
 * `file_download.py` for the cache layout that other tools reuse).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  HfCacheStore,
  hfEndpoint,
  hfHome,
  hfHubCache,
  HfModelStore,
  hfOffline,
  hfToken,
  HttpError,
  loadTokenizer,
  localModelFileSet,
  tokenizerResolver,
  writeBundledTokenizer,
} from "../../src/mod.ts";
import { startHub } from "../standins/hub.ts";
import { tinyModel } from "../helpers/models.ts";
import { within } from "../helpers/deadline.ts";
import { tempDir } from "../helpers/temp.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("hfEndpoint(): HF_ENDPOINT (a mirror) or the public Hub, without a trailing slash", () => {
  assert.equal(hfEndpoint(env({})), "https://huggingface.co");
  assert.equal(hfEndpoint(env({ HF_ENDPOINT: "https://hf-mirror.com/" })), "https://hf-mirror.com");
});

Deno.test("hfHubCache(): HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME, else ~/.cache", () => {
  const home = { HOME: "/home/v" };
  assert.equal(hfHubCache(env(home)), "/home/v/.cache/huggingface/hub");
  assert.equal(hfHubCache(env({ ...home, XDG_CACHE_HOME: "/xdg" })), "/xdg/huggingface/hub");
  assert.equal(hfHubCache(env({ ...home, XDG_CACHE_HOME: "/xdg", HF_HOME: "/hf" })), "/hf/hub");
  assert.equal(hfHubCache(env({ ...home, HF_HOME: "/hf", HUGGINGFACE_HUB_CACHE: "/legacy" })), "/legacy");
  assert.equal(hfHubCache(env({ ...home, HUGGINGFACE_HUB_CACHE: "/legacy", HF_HUB_CACHE: "/new" })), "/new");
  assert.equal(hfHubCache(env({ ...home, HF_HUB_CACHE: "~/models" })), "/home/v/models");
  assert.equal(hfHome(env({ ...home, HF_HOME: "~/hf" })), "/home/v/hf");
});

Deno.test("hfOffline(): HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE set to 1/ON/YES/TRUE", () => {
  for (const v of ["1", "ON", "yes", "True"]) assert.equal(hfOffline(env({ HF_HUB_OFFLINE: v })), true, v);
  for (const v of ["0", "", "off", "no"]) assert.equal(hfOffline(env({ HF_HUB_OFFLINE: v })), false, v);
  assert.equal(hfOffline(env({ TRANSFORMERS_OFFLINE: "1" })), true);
});

Deno.test("hfToken(): HF_TOKEN, HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH, HF_HOME/token, then the XDG default, in that order", async () => {
  const dir = await tempDir();
  await Deno.mkdir(join(dir, "xdg", "huggingface"), { recursive: true });
  await Deno.writeTextFile(join(dir, "xdg", "huggingface", "token"), "hf_xdg\n");
  await Deno.mkdir(join(dir, "home"));
  await Deno.writeTextFile(join(dir, "home", "token"), "  hf_home \r\n");
  await Deno.writeTextFile(join(dir, "path-token"), "hf_path");
  const base = { HOME: join(dir, "nowhere"), XDG_CACHE_HOME: join(dir, "xdg") };
  assert.equal(await hfToken(env(base)), "hf_xdg");
  assert.equal(await hfToken(env({ ...base, HF_HOME: join(dir, "home") })), "hf_home");
  assert.equal(
    await hfToken(env({ ...base, HF_HOME: join(dir, "home"), HF_TOKEN_PATH: join(dir, "path-token") })),
    "hf_path",
  );
  const all = { ...base, HF_HOME: join(dir, "home"), HF_TOKEN_PATH: join(dir, "path-token") };
  assert.equal(await hfToken(env({ ...all, HUGGING_FACE_HUB_TOKEN: "hf_legacy" })), "hf_legacy");
  assert.equal(await hfToken(env({ ...all, HUGGING_FACE_HUB_TOKEN: "hf_legacy", HF_TOKEN: "hf_env" })), "hf_env");
  assert.equal(await hfToken(env({ HOME: join(dir, "nowhere") })), undefined);
  assert.equal(await hfToken(env({ HF_TOKEN: "  \n", HOME: join(dir, "nowhere") })), undefined, "blank means none");
});

/** Writes a model into `cache` the way huggingface_hub's `hf_hub_download` lays it out (another tool). */
async function placeLikeHuggingfaceHub(cache: string, repo: string, commit: string, src: string, files: string[]) {
  const folder = join(cache, `models--${repo.replace("/", "--")}`);
  await Deno.mkdir(join(folder, "blobs"), { recursive: true });
  await Deno.mkdir(join(folder, "refs"), { recursive: true });
  await Deno.writeTextFile(join(folder, "refs", "main"), commit);
  for (const f of files) {
    const bytes = await Deno.readFile(join(src, f));
    const etag = createHash("sha256").update(bytes).digest("hex");
    await Deno.writeFile(join(folder, "blobs", etag), bytes);
    await Deno.mkdir(join(folder, "snapshots", commit), { recursive: true });
    await Deno.symlink(join("..", "..", "blobs", etag), join(folder, "snapshots", commit, f));
  }
}

Deno.test("a model another HF tool already downloaded is reused: no bytes fetched, the snapshot is not ours", async () => {
  const h = startHub();
  try {
    const store = new HfModelStore({ hubUrl: h.url, accessToken: "hf_test_token" });
    const src = await tinyModel("gpt2-f32-tied");
    const files = await localModelFileSet(src);
    const commit = await store.upload({ repo: "tester/shared", dir: src, paths: files });
    const cache = await tempDir();
    await placeLikeHuggingfaceHub(cache, "tester/shared", commit, src, files);
    const before = h.hub.requests.filter((r) => r.includes("/resolve/")).length;
    const got = await store.download({ repo: "tester/shared", commit, paths: files, cacheDir: cache });
    assert.equal(got.fetchedBytes, 0);
    assert.equal(got.createdSnapshot, false);
    assert.deepEqual(got.createdBlobs, []);
    assert.equal(h.hub.requests.filter((r) => r.includes("/resolve/")).length, before, "nothing was resolved");
  } finally {
    await h.close();
  }
});

Deno.test("HF_HUB_OFFLINE's store reads the cache only: cached models and refs resolve, anything else is a clear error", async () => {
  const src = await tinyModel("gpt2-f32-tied");
  const files = await localModelFileSet(src);
  const cache = await tempDir(), commit = "c".repeat(40);
  await placeLikeHuggingfaceHub(cache, "tester/offline", commit, src, files);
  const store = new HfCacheStore(cache);
  const rev = await store.revision("tester/offline", "main");
  assert.equal(rev.commit, commit);
  assert.deepEqual(rev.files.map((f) => f.path), files);
  const got = await store.download({ repo: "tester/offline", commit, paths: files, cacheDir: cache });
  assert.equal(got.fetchedBytes, 0);
  const head = await store.readRange({ repo: "tester/offline", commit, path: "model.safetensors" }, 0, 8);
  assert.deepEqual(head, (await Deno.readFile(join(src, "model.safetensors"))).slice(0, 8));
  await assert.rejects(
    () => store.revision("tester/elsewhere", "main"),
    (e: unknown) =>
      e instanceof HttpError &&
      /offline \(HF_HUB_OFFLINE is set\): tester\/elsewhere@main is not in the cache/.test(e.message),
  );
  await assert.rejects(() => store.upload(), /offline/);
});

Deno.test("HF_ENDPOINT and HF_HOME steer a process that names no URL: tokenizer and model come from the mirror into $HF_HOME/hub", async () => {
  const h = startHub();
  try {
    const writer = new HfModelStore({ hubUrl: h.url, accessToken: "hf_test_token" });
    const tokDir = await tempDir();
    await writeBundledTokenizer("byte", tokDir);
    const tokCommit = await writer.upload({
      repo: "tester/tok",
      dir: tokDir,
      paths: ["tokenizer.json", "tokenizer_config.json"],
      private: false,
    });
    const src = await tinyModel("gpt2-f32-tied");
    const files = await localModelFileSet(src);
    const modelCommit = await writer.upload({ repo: "tester/m", dir: src, paths: files, private: false });
    const home = await tempDir();
    const script = `
      import { HfModelStore, hfHubCache, tokenizerResolver, loadTokenizer } from "${new URL(
      "../../src/mod.ts",
      import.meta.url,
    )}";
      const store = new HfModelStore();
      const tok = await loadTokenizer("tester/tok", { cacheDir: "${home}/scratch", resolveRepo: tokenizerResolver(store, hfHubCache()) });
      const paths = ${JSON.stringify(files)};
      const got = await store.download({ repo: "tester/m", commit: "${modelCommit}", paths, cacheDir: hfHubCache() });
      console.log(JSON.stringify({ ids: tok.encode("hi"), dir: got.dir, hub: store.hubUrl }));`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      env: { HF_ENDPOINT: h.url, HF_HOME: home, HF_TOKEN: "" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out = await within("the HF-environment child", 120_000, child.output(), {
      onExpiry: () => child.kill("SIGKILL"),
    });
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    assert.equal(result.hub, h.url);
    assert.deepEqual(result.ids, [104, 105]);
    assert.equal(result.dir, join(home, "hub", "models--tester--m", "snapshots", modelCommit));
    assert.equal(await Deno.readTextFile(join(home, "hub", "models--tester--tok", "refs", "main")), tokCommit);
    assert.ok(
      (await Deno.lstat(join(home, "hub", "models--tester--tok", "snapshots", tokCommit, "tokenizer.json"))).isSymlink,
    );
    // The same tokenizer again, offline: the store over the cache resolves `main` through refs/main.
    const offline = await loadTokenizer("tester/tok", {
      cacheDir: await tempDir(),
      resolveRepo: tokenizerResolver(new HfCacheStore(join(home, "hub")), join(home, "hub")),
    });
    assert.deepEqual(offline.encode("hi"), [104, 105]);
  } finally {
    await h.close();
  }
});
