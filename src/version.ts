/**
 * The project's version, from its one home (deno.json's `version`), as `--version`, the W&B run's
 * config and the health endpoint report it.
 */
import project from "../deno.json" with { type: "json" };

/** This project's version. */
export const VERSION: string = project.version;
