/** Times the demo's phases, so its summary can say where the time went. */

/** Each phase lasts from the end of the previous one (or the clock's creation) to its `end`. */
export class PhaseClock {
  /** The phases ended so far, in order. */
  readonly phases: { name: string; seconds: number }[] = [];
  #mark = performance.now();

  /** Ends the phase `name` now. */
  end(name: string): void {
    const now = performance.now();
    this.phases.push({ name, seconds: (now - this.#mark) / 1000 });
    this.#mark = now;
  }
}
