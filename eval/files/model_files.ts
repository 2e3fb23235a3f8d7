/**
 * The files of a model as the checks see them, wherever they are: a directory on this machine
 * (local_files.ts) or a revision in a model store read with ranges (src/hub/inspect.ts). The
 * checks (check_files.ts) ask for sizes and byte ranges only, so one set of rules and limits
 * serves both, and every read is bounded by what the checks ask for.
 */

/** A model's files. */
export interface ModelFiles {
  /** For messages: the model (directory name, or repo@commit). */
  label: string;
  /**
   * The size of the model's file `name` (a plain file name), or undefined when there is none.
   * Throws `FileRefused` when the name exists but must not be read: not a regular file, or a link
   * that leads outside the places the model's files may live.
   */
  size(name: string): number | undefined;
  /** Bytes [start, end) of `name`; exactly that many, or an error. */
  read(name: string, start: number, end: number): Promise<Uint8Array>;
}

/** A file the engine refuses to open, with the reason. */
export class FileRefused extends Error {
  constructor(readonly file: string, message: string) {
    super(message);
    this.name = "FileRefused";
  }
}
