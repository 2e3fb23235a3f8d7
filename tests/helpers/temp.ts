/** Temporary directories that disappear when the test process ends. */
const made: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of made) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
  }
});

/** A fresh temporary directory, removed at process exit. */
export async function tempDir(prefix = "sn9-test-"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  made.push(dir);
  return dir;
}
