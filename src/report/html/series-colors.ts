/**
 * Series colours: each direction keeps its colour in every chart of a report
 * (fio's and perf's readers compare read with write across charts). Colours
 * from the Okabe-Ito palette, which stays distinguishable with the common
 * forms of colour blindness.
 */

const BY_DIRECTION: Readonly<Record<string, string>> = {
  read: '#0072B2',
  write: '#D55E00',
  trim: '#009E73',
  all: '#7B3FA0',
};

const FALLBACK = ['#E69F00', '#56B4E9', '#CC79A7', '#F0E442', '#000000'] as const;

/** The colour of `direction`; other names take palette colours by position. */
export function seriesColor(direction: string, index: number): string {
  return BY_DIRECTION[direction] ?? FALLBACK[index % FALLBACK.length]!;
}
