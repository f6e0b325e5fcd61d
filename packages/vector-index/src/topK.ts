/**
 * Bounded selection of the `k` largest scores: a min-heap of size k, so a scan over n candidates costs
 * O(n log k) and allocates nothing per candidate. Equal scores keep the earlier-offered candidate,
 * which makes brute-force results independent of heap internals.
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly items: Int32Array;
  private count = 0;

  constructor(private readonly k: number) {
    this.scores = new Float64Array(k);
    this.items = new Int32Array(k);
  }

  /** The score a new candidate must beat to enter (-Infinity while the heap is not full). */
  get threshold(): number {
    return this.count < this.k ? -Infinity : this.scores[0]!;
  }

  offer(item: number, score: number): void {
    if (this.count < this.k) {
      let i = this.count++;
      // Sift up.
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(score, item, this.scores[parent]!, this.items[parent]!)) break;
        this.scores[i] = this.scores[parent]!;
        this.items[i] = this.items[parent]!;
        i = parent;
      }
      this.scores[i] = score;
      this.items[i] = item;
      return;
    }
    if (!this.worse(this.scores[0]!, this.items[0]!, score, item)) return;
    // Replace the root and sift down.
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.count) break;
      const right = left + 1;
      let child = left;
      if (
        right < this.count &&
        this.worse(this.scores[right]!, this.items[right]!, this.scores[left]!, this.items[left]!)
      ) {
        child = right;
      }
      if (!this.worse(this.scores[child]!, this.items[child]!, score, item)) break;
      this.scores[i] = this.scores[child]!;
      this.items[i] = this.items[child]!;
      i = child;
    }
    this.scores[i] = score;
    this.items[i] = item;
  }

  /** Selected candidates, best first. */
  sorted(): { item: number; score: number }[] {
    const out: { item: number; score: number }[] = [];
    for (let i = 0; i < this.count; i++) out.push({ item: this.items[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || a.item - b.item);
  }

  // Lower score is worse; on equal scores the later item (higher index) is worse.
  private worse(scoreA: number, itemA: number, scoreB: number, itemB: number): boolean {
    return scoreA < scoreB || (scoreA === scoreB && itemA > itemB);
  }
}
