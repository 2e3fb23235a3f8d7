/**
 * Hugging Face `tokenizer.json` files for byte-level BPE tokenizers, written from a vocabulary
 * and merges: the GPT-2 pre-tokenizer (regex split, bytes mapped to printable characters) and the
 * matching decoder. Used to build the bundled "gpt2" and "byte" tokenizers.
 */

/** GPT-2's reversible byte → printable-character map (index = byte value). */
export function bytesToUnicode(): string[] {
  const printable = new Set<number>();
  for (const [lo, hi] of [[33, 126], [161, 172], [174, 255]]) for (let b = lo; b <= hi; b++) printable.add(b);
  const map: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) map[b] = printable.has(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  return map;
}

/** What a byte-level BPE tokenizer is made of. */
export interface ByteLevelSpec {
  vocab: Record<string, number>;
  merges: string[];
  eosToken: string;
  eosTokenId: number;
  modelMaxLength: number;
  /** GPT-2's regex pre-split; off for a pure one-token-per-byte tokenizer. */
  useRegex: boolean;
}

/** Writes `tokenizer.json` and `tokenizer_config.json` into `dir`. */
export async function writeByteLevelTokenizer(dir: string, spec: ByteLevelSpec): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: spec.useRegex };
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [{
      id: spec.eosTokenId,
      content: spec.eosToken,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    }],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", ...byteLevel },
    post_processor: { type: "ByteLevel", ...byteLevel },
    decoder: { type: "ByteLevel", ...byteLevel },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      vocab: spec.vocab,
      merges: spec.merges,
    },
  };
  const config = {
    tokenizer_class: "GPT2Tokenizer",
    model_max_length: spec.modelMaxLength,
    bos_token: spec.eosToken,
    eos_token: spec.eosToken,
    unk_token: spec.eosToken,
    add_bos_token: false,
  };
  // Written to temporary names and renamed, so a concurrent reader never sees half a file.
  for (const [name, value] of [["tokenizer.json", tokenizer], ["tokenizer_config.json", config]] as const) {
    const tmp = `${dir}/${name}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(value));
    await Deno.rename(tmp, `${dir}/${name}`);
  }
}
