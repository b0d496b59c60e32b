/**
 * Findings counted per kind, with a few of each kept as examples: how the audit and the reconcile
 * report what they found.
 * @module
 */

/**
 * Every kind of `kinds` with its count (0 when none), and up to `examples` findings of each, in the
 * order of `kinds`, each kind's in the order found.
 */
export function tally<K extends string, F>(
  kinds: readonly K[],
  found: F[],
  kindOf: (f: F) => K,
  examples: number,
): { counts: Record<K, number>; examples: F[] } {
  const counts = Object.fromEntries(kinds.map((k) => [k, 0])) as Record<K, number>;
  const kept: F[] = [];
  const ordered = [...found].sort((a, b) => kinds.indexOf(kindOf(a)) - kinds.indexOf(kindOf(b)));
  for (const f of ordered) if (counts[kindOf(f)]++ < examples) kept.push(f);
  return { counts, examples: kept };
}
