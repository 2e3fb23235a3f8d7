/**
 * The service examples in docs/service/ are read as the supervisors read them, and their command
 * lines are parsed by the validate command's own flag parser, so a renamed flag breaks this test
 * rather than an operator's unit file. (Neither systemd nor pm2 runs on the test machine.)
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { parse } from "../../tasks/cli/mod.ts";
import { command as validateCommand } from "../../tasks/validate.ts";

const DOCS = new URL("../../docs/service/", import.meta.url);

/** The unit's `[Service]` keys (the last value of each, as systemd takes it). */
function serviceSection(unit: string): Map<string, string> {
  const keys = new Map<string, string>();
  let section = "";
  for (const raw of unit.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1];
    else if (section === "Service") {
      const i = line.indexOf("=");
      keys.set(line.slice(0, i), line.slice(i + 1));
    }
  }
  return keys;
}

/** The flags after `deno task validate` in a command line. */
function validateFlags(commandLine: string): string[] {
  const words = commandLine.trim().split(/\s+/);
  const at = words.indexOf("validate");
  assert.ok(at > 0 && words[at - 1] === "task", `"${commandLine}" runs deno task validate`);
  return words.slice(at + 1);
}

Deno.test("the systemd unit stops with SIGTERM, waits longer than the validator's own stop, and its ExecStart parses", async () => {
  const unit = serviceSection(await Deno.readTextFile(new URL("sn9-validator.service", DOCS)));
  assert.equal(unit.get("KillSignal"), "SIGTERM");
  assert.ok(Number(unit.get("TimeoutStopSec")) >= 10, "room for the 8 s stop");
  assert.equal(unit.get("Restart"), "on-failure", "an exit 0 after systemctl stop is not undone");
  assert.equal(unit.get("KillMode") ?? "control-group", "control-group", "the signal reaches the validator itself");
  const exec = unit.get("ExecStart")!;
  assert.doesNotMatch(exec, /\bnpx\b/, "npx does not pass SIGTERM on");
  const { flags } = parse(validateCommand, validateFlags(exec));
  assert.equal(flags.network, "finney");
  assert.equal(flags.netuid, 9);
  assert.equal(flags.health, 9100);
});

Deno.test("the pm2 file gives the validator time to stop, runs deno itself, and its arguments parse", () => {
  const config = createRequire(import.meta.url)(new URL("pm2.config.cjs", DOCS).pathname);
  const app = config.apps[0];
  assert.ok(["SIGINT", "SIGTERM"].includes(app.kill_signal));
  assert.ok(app.kill_timeout >= 10_000, "pm2's default 1.6 s would kill mid-stop");
  assert.match(app.script, /\/deno$/);
  assert.equal(app.interpreter, "none");
  const { flags } = parse(validateCommand, validateFlags(`deno ${app.args}`));
  assert.deepEqual(flags.device, [{ device: "cuda" }]);
});
