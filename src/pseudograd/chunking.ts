/**
 * Templar's chunking with the DCT off (docs/pseudograd.md, "Chunking"; tplr-ai/templar `src/tplr/compress.py`,
 * `ChunkingTransformer`): each axis of a parameter is cut into pieces of the largest divisor of its
 * length not above the target (64), so a 2-D weight `[R, C]` becomes `[R/n1, C/n2]` chunks of
 * `n1·n2` elements and a 1-D one `[N/n1]` chunks of `n1`. Element `(r, c)` lands in chunk
 * `(r//n1, c//n2)` at position `(r%n1)·n2 + c%n2`. Decoding is the exact inverse.
 */

/** How a parameter is cut: its shape, the chunk grid and the elements per chunk (`totalk`). */
export interface ChunkGeometry {
  shape: readonly number[];
  /** Chunk edges: `[n1, n2]` for a 2-D parameter, `[n1]` for a 1-D one. */
  edges: number[];
  /** The chunk grid: `[Y, X]` or `[X]`. */
  grid: number[];
  chunks: number;
  totalk: number;
}

/** The largest divisor of `n` that is at most `target` (`n` itself when `n < target`). */
export function chunkEdge(n: number, target: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`an axis of length ${n} cannot be chunked`);
  if (n < target) return n;
  for (let d = target; d >= 1; d--) if (n % d === 0) return d;
  return 1;
}

/** The chunking of a parameter of `shape` (1-D or 2-D) at `target`. */
export function chunkGeometry(shape: readonly number[], target: number): ChunkGeometry {
  if (shape.length !== 1 && shape.length !== 2) {
    throw new RangeError(`a ${shape.length}-D parameter cannot be chunked (1-D and 2-D only)`);
  }
  const edges = shape.map((n) => chunkEdge(n, target));
  const grid = shape.map((n, i) => n / edges[i]);
  return {
    shape,
    edges,
    grid,
    chunks: grid.reduce((a, b) => a * b, 1),
    totalk: edges.reduce((a, b) => a * b, 1),
  };
}

/** The parameter's values (row-major) rearranged chunk after chunk: `[chunks, totalk]`. */
export function toChunks(values: ArrayLike<number>, g: ChunkGeometry): Float32Array {
  const out = new Float32Array(g.chunks * g.totalk);
  forEachElement(g, (flat, slot) => (out[slot] = values[flat]));
  return out;
}

/** The inverse of `toChunks`: chunk-major values back to the parameter's row-major layout. */
export function fromChunks(chunked: ArrayLike<number>, g: ChunkGeometry, out = new Float64Array(chunked.length)) {
  forEachElement(g, (flat, slot) => (out[flat] = chunked[slot]));
  return out;
}

/** Calls `f(row-major index, chunk-major slot)` for every element. */
function forEachElement(g: ChunkGeometry, f: (flat: number, slot: number) => void): void {
  if (g.shape.length === 1) {
    for (let i = 0; i < g.shape[0]; i++) f(i, i);
    return;
  }
  const [R, C] = g.shape, [n1, n2] = g.edges, X = g.grid[1];
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const chunk = Math.floor(r / n1) * X + Math.floor(c / n2);
      f(r * C + c, chunk * g.totalk + (r % n1) * n2 + (c % n2));
    }
  }
}
