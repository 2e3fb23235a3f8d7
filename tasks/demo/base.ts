/** The pinned bases (an adapter competition's, a pseudo-gradient competition's starting checkpoint), published exactly where the schedule pins them. */
import { join } from "node:path";
import { bigramParameters, fitText, QUALITY_CONFIG, textPages, writeModelFiles } from "../../fixtures/mod.ts";
import { type Competition, hashModelDir, localModelFileSet, type LocalModelStore } from "../../src/mod.ts";
import { writeDemoBase } from "./models.ts";

/** The text the pseudo-gradient competition's starting checkpoint is fitted on (two 1 kB pages). */
export async function pseudogradStartingText(): Promise<string[]> {
  return textPages(await fitText()).slice(0, 2);
}

/** Uploads a competition's pinned base, if it has one, and checks it is exactly what the schedule pins. */
export async function publishBase(c: Competition, store: LocalModelStore, root: string): Promise<void> {
  const pin = c.kind === "adapter" ? c.adapter.base : c.kind === "pseudograd" ? c.pseudograd.base : undefined;
  if (!pin) return;
  const dir = join(root, c.kind === "adapter" ? "base" : "pseudograd-base");
  if (c.kind === "adapter") await writeDemoBase(dir);
  else {
    const tensors = bigramParameters(await pseudogradStartingText(), 1);
    await writeModelFiles(dir, { config: QUALITY_CONFIG, tensors, dtype: "F32" });
  }
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
