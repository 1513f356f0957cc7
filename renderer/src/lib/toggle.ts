/** A copy of `set` with `item` added if it was absent, removed if present (immutable update for raw state). */
export function toggled<T>(set: ReadonlySet<T>, item: T): ReadonlySet<T> {
  const next = new Set(set);
  if (!next.delete(item)) next.add(item);
  return next;
}

/** The empty set, to start raw-state sets from. */
export const none: ReadonlySet<never> = new Set<never>();

/** A copy of `map` with `key` set to `value` (immutable update for raw state). */
export function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  return new Map(map).set(key, value);
}

/** The empty map, to start raw-state maps from. */
export const noEntries: ReadonlyMap<never, never> = new Map<never, never>();
