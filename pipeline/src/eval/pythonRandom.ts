/**
 * CPython's `random.Random(seed)` (MT19937 seeded by `init_by_array`), reduced to the calls the
 * datasets README's CART protocol makes: `choice` over a sequence. The README's reference numbers
 * were drawn with it ("hide one product chosen at random (seed 42)"): with the same generator, the same
 * invoice order and the same item order, our cases and baselines reproduce the README's to the third
 * decimal (docs/evaluation/tuning.md). Any other generator gives a different, equally valid draw that
 * moves CART HR@10 by about ±0.02.
 */
export class PythonRandom {
  private static readonly N = 624;
  private readonly mt = new Uint32Array(PythonRandom.N);
  private index = PythonRandom.N;

  /** `random.Random(seed)` for a non-negative integer seed below 2^53. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new Error(`PythonRandom needs a non-negative safe integer seed; received ${seed}`);
    }
    // CPython splits |seed| into 32-bit words, least significant first ([0] for 0).
    const key: number[] = [];
    let rest = seed;
    do {
      key.push(rest % 0x1_0000_0000);
      rest = Math.floor(rest / 0x1_0000_0000);
    } while (rest > 0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < PythonRandom.N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = PythonRandom.N;
  }

  private initByArray(key: readonly number[]): void {
    const N = PythonRandom.N;
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  /** `getrandbits(32)`: the next tempered 32-bit output. */
  nextUint32(): number {
    const N = PythonRandom.N;
    const M = 397;
    const mt = this.mt;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
        mt[k] = mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `_randbelow(n)` for 0 < n < 2^32: `getrandbits(n.bit_length())`, rejecting values >= n. */
  below(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n >= 0x1_0000_0000) {
      throw new Error(`PythonRandom.below needs an integer in (0, 2^32); received ${n}`);
    }
    const bits = 32 - Math.clz32(n);
    for (;;) {
      const r = bits === 32 ? this.nextUint32() : this.nextUint32() >>> (32 - bits);
      if (r < n) return r;
    }
  }

  /** `choice(seq)`. */
  choice<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}
