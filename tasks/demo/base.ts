/** The adapter competition's base, which the demo must publish exactly where the schedule pins it. */
import { join } from "node:path";
import { type AdapterCompetition, hashModelDir, localModelFileSet, type LocalModelStore } from "../../src/mod.ts";
import { writeDemoBase } from "./models.ts";

/** Uploads an adapter competition's base and checks it is exactly what the schedule pins. */
export async function publishBase(c: AdapterCompetition, store: LocalModelStore, root: string): Promise<void> {
  const pin = c.adapter.base;
  const dir = join(root, "base");
  await writeDemoBase(dir);
  const commit = await store.upload({
    repo: pin.repo,
    dir,
    paths: await localModelFileSet(dir),
    private: false,
    message: "base",
  });
  const { hash } = await hashModelDir(dir);
  if (commit !== pin.revision || hash !== pin.hash) {
    throw new Error(
      `the demo's base ${pin.repo}@${commit} (hash ${hash}) is not the one competition ${c.id} pins (${pin.revision}, ${pin.hash})`,
    );
  }
}
