/**
 * A model store that answers like `store` except where `overrides` say: a store that is away for
 * one call, or that refuses uploads, in front of the real local store.
 */
import type { ModelStore } from "../../src/mod.ts";

/** `store` with some of its calls replaced. */
export function storeWith(store: ModelStore, overrides: Partial<Omit<ModelStore, "name">>): ModelStore {
  return {
    name: store.name,
    revision: (repo, revision) => store.revision(repo, revision),
    readRange: (file, start, end) => store.readRange(file, start, end),
    download: (request) => store.download(request),
    upload: (request) => store.upload(request),
    setVisibility: (repo, isPrivate) => store.setVisibility(repo, isPrivate),
    ...overrides,
  };
}
