interface Slot<K, V> {
  key: K;
  value: V;
  /** Used since eviction last looked at it. */
  used: boolean;
  /** Its place in BoundedCache.order. */
  index: number;
}

/** How many entries a full cache looks at to choose the one it drops (Redis samples 5 for its LRU, too). */
const SAMPLE = 5;

/**
 * A map of at most `capacity` entries that, when full, drops one that has not been used lately: of a few
 * entries picked at random, the first not used since eviction last looked at it (each one looked at loses its
 * mark: a second chance, as in the "clock" approximation of least recently used). A hit only marks its entry.
 *
 * Why not an exact order (issue 18): the usual LRU on a Map, moving the entry to the end on every hit (delete,
 * then set), leaves a deleted slot in the key's hash chain each time, which V8 walks on every lookup until the
 * next rehash (one session checked again and again in a map of 100,000 cost 25 µs per check instead of a
 * tenth of one). A clock that walks the entries in order avoids that, but meets two other faults: when every
 * entry is marked, one eviction walks them all (a pause of milliseconds at 100,000 entries), and when the
 * entries in use are a few more than the capacity, checked in turn (100,000 sessions in rotation and a
 * handful of others), it drops each one just before its turn comes: no check hits at all. Random samples
 * cost the same few steps every time, and leave most of such a rotation in the cache.
 */
export class BoundedCache<K, V> {
  private readonly slots = new Map<K, Slot<K, V>>();
  /** The same slots in an array, for picking at random; a slot's place in it is not kept in any order. */
  private readonly order: Slot<K, V>[] = [];

  constructor(
    readonly capacity: number,
    /** A number in [0, 1): Math.random, or a fixed sequence in tests. */
    private readonly random: () => number = Math.random,
  ) {}

  get(key: K): V | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    slot.used = true;
    return slot.value;
  }

  set(key: K, value: V): void {
    const slot = this.slots.get(key);
    if (slot) {
      slot.value = value;
      slot.used = true;
      return;
    }
    if (this.capacity <= 0) return;
    if (this.order.length >= this.capacity) {
      // The newcomer takes the place of the entry it replaces.
      const index = this.victim();
      this.slots.delete(this.order[index]!.key);
      const added: Slot<K, V> = { key, value, used: false, index };
      this.order[index] = added;
      this.slots.set(key, added);
    } else {
      const added: Slot<K, V> = { key, value, used: false, index: this.order.length };
      this.order.push(added);
      this.slots.set(key, added);
    }
  }

  delete(key: K): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    // The last slot fills the gap, so that the array stays dense.
    const last = this.order.pop()!;
    if (last !== slot) {
      this.order[slot.index] = last;
      last.index = slot.index;
    }
  }

  clear(): void {
    this.slots.clear();
    this.order.length = 0;
  }

  get size(): number {
    return this.slots.size;
  }

  /**
   * The index of the entry to drop: the first of SAMPLE picked at random that was not used since eviction last
   * looked at it (one this pass has just unmarked does not count), else the last one picked.
   */
  private victim(): number {
    let index = 0;
    let unmarked: Slot<K, V>[] | undefined;
    for (let picked = 0; picked < SAMPLE; picked++) {
      index = Math.floor(this.random() * this.order.length);
      const slot = this.order[index]!;
      if (slot.used) {
        slot.used = false;
        (unmarked ??= []).push(slot);
      } else if (!unmarked?.includes(slot)) return index;
    }
    return index;
  }
}
