/**
 * The one formatter for reasons (a rejected model, a refused request, a failed command), used
 * wherever a reason is printed, stored, logged to W&B or served: one line, bounded length, and
 * every control or non-printable character escaped, so a name such as `\x1b[2J…model OK\r` from
 * a hostile file reaches no terminal, log or page as anything but visible text.
 */

/** Longest reason kept, in characters (the ellipsis included). */
export const MAX_REASON_LENGTH = 300;

/** `text` as one bounded, escaped line. */
export function formatReason(text: string, maxLength = MAX_REASON_LENGTH): string {
  let out = "";
  // Line breaks become spaces; a lone carriage return (which rewrites a terminal line) is escaped.
  for (const ch of text.replace(/[ \t]*(?:\r?\n)+[ \t]*/g, " ")) {
    const code = ch.codePointAt(0)!;
    // C0 and C1 controls, DEL, and the invisible or direction-changing format characters.
    if (code < 0x20 || (code >= 0x7f && code < 0xa0) || /[\p{Cf}\p{Co}\p{Cn}\u2028\u2029]/u.test(ch)) {
      out += code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
    } else out += ch;
    if (out.length > maxLength) break;
  }
  return out.length > maxLength ? `${out.slice(0, maxLength - 1)}…` : out;
}

/** A value as bounded JSON for a message (the reason formatter escapes it later). */
export function previewValue(v: unknown, maxLength = 80): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
