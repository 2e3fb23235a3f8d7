/**
 * Operator input files (`--input`, `--tokens`, or `-` for stdin), read as untrusted: only a
 * regular file or a pipe, never more than `maxBytes` (a FIFO, a device such as /dev/zero or a
 * directory is refused before it is opened), and a terminal on stdin is an error instead of a
 * silent wait.
 */
import { UsageError } from "./flag.ts";

/** Reads `path` (or stdin for `-`) as text, at most `maxBytes`. */
export async function readInputText(path: string, o: { flag: string; maxBytes: number }): Promise<string> {
  const cap = `${(o.maxBytes / 2 ** 20).toFixed(0)} MiB`;
  if (path === "-") {
    if (Deno.stdin.isTerminal()) {
      throw new UsageError(`${o.flag} - reads standard input, but it is a terminal: pipe the input in`);
    }
    return await readCapped(Deno.stdin.readable, o.maxBytes, `standard input is over ${cap}`);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new UsageError(`${o.flag}: ${JSON.stringify(path).slice(0, 80)} does not exist`);
  }
  if (!info.isFile) throw new UsageError(`${o.flag}: ${JSON.stringify(path).slice(0, 80)} is not a regular file`);
  if (info.size > o.maxBytes) throw new UsageError(`${o.flag}: the file is ${info.size} bytes, over the cap of ${cap}`);
  const f = await Deno.open(path, { read: true });
  return await readCapped(f.readable, o.maxBytes, `${o.flag}: the file grew past the cap of ${cap}`);
}

/** Reads and parses JSON input, with the parse error as one line. */
export async function readInputJson(path: string, o: { flag: string; maxBytes: number }): Promise<unknown> {
  const text = await readInputText(path, o);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${o.flag}: not JSON (${(e as Error).message.split("\n")[0].slice(0, 120)})`);
  }
}

async function readCapped(stream: ReadableStream<Uint8Array>, maxBytes: number, overMessage: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > maxBytes) throw new UsageError(overMessage);
    chunks.push(chunk);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.length) - c.length);
  return new TextDecoder().decode(all);
}
