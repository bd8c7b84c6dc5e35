// @internal A binary search, DOM-free: the page's views and the server's windows both use it.

/**
 * How many of the first `length` positions are `below` (they must come first, then none are):
 * a binary search over the log's ascending seqs, indexes or start positions.
 */
export function countBelow(length: number, below: (index: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (below(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
