/**
 * Zipf-distributed offsets as SPDK's `spdk_zipf` draws them (`-F theta`): the
 * method of Gray et al., "Quickly Generating Billion-Record Synthetic
 * Databases" (SIGMOD 1994). The constants are computed once per namespace size
 * and theta; a draw is one uniform number, one `pow` at most, no allocation.
 * Rank 0 is the hottest slot.
 */

/** Terms of zeta(n, theta) summed exactly before switching to SPDK's estimate. */
const ZETA_EXACT_TERMS = 10_000_000;
/** Terms per trapezoid step of the estimate beyond that. */
const ZETA_ESTIMATE_STEP = 1_000_000;

/** Precomputed constants; plain data, so it can be built once and posted to workers. */
export interface ZipfDistribution {
  /** Number of ranks (I/O slots); draws fall in [0, range). */
  readonly range: number;
  readonly theta: number;
  readonly alpha: number;
  readonly eta: number;
  /** zeta(range, theta). */
  readonly zetan: number;
  /** A scaled draw below this is rank 1 (below 1.0 it is rank 0). */
  readonly val1Limit: number;
}

function zetaTerm(i: number, theta: number): number {
  return Math.pow(1 / (i + 1), theta);
}

/** zeta(n, theta) = sum over i < n of 1/(i+1)^theta, with SPDK's trapezoid estimate for the tail past 10 M terms. */
function zeta(n: number, theta: number): number {
  let sum = 0;
  const exact = Math.min(ZETA_EXACT_TERMS, n);
  let i = 0;
  for (; i < exact; i++) sum += zetaTerm(i, theta);
  while (i < n) {
    const count = Math.min(ZETA_ESTIMATE_STEP, n - i);
    sum += ((zetaTerm(i, theta) + zetaTerm(i + count, theta)) * count) / 2;
    i += count;
  }
  return sum;
}

/**
 * Builds the constants for `range` ranks. Costs one `pow` per rank up to 10 M
 * ranks (about 0.1 to 0.3 s at the top), so build it once per namespace size.
 *
 * @param theta > 0 and not 1 (alpha = 1/(1-theta) is infinite there); the
 *   option validator rejects 1
 */
export function createZipf(range: number, theta: number): ZipfDistribution {
  if (!(range >= 1) || !Number.isInteger(range)) throw new RangeError(`zipf range must be a positive integer, got ${range}`);
  if (!(theta > 0) || theta === 1) throw new RangeError(`zipf theta must be > 0 and not 1, got ${theta}`);
  const zetan = zeta(range, theta);
  return {
    range,
    theta,
    alpha: 1 / (1 - theta),
    eta: (1 - Math.pow(2 / range, 1 - theta)) / (1 - zeta(2, theta) / zetan),
    zetan,
    val1Limit: 1 + Math.pow(0.5, theta),
  };
}

/** The rank for one uniform draw `u` in [0, 1). */
export function zipfRank(z: ZipfDistribution, u: number): number {
  const scaled = u * z.zetan;
  if (scaled < 1) return 0;
  if (scaled < z.val1Limit) return 1;
  const rank = Math.floor(z.range * Math.pow(z.eta * (u - 1) + 1, z.alpha));
  // SPDK folds the rare rank == range (u near 1 with rounding) back with a modulo.
  return rank % z.range;
}
