import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoundedCache } from './bounded-cache.js';

describe('a bounded cache', () => {
  test('holds at most its capacity; a full one drops, of a few picked at random, one not used since it was looked at', () => {
    // Picks in turn: index 0 (a), 1 (b), 2 (c), 0 (a), …
    const picks = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0].map((i) => (i + 0.5) / 3);
    let next = 0;
    const cache = new BoundedCache<string, number>(3, () => picks[next++]!);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    assert.equal(cache.get('a'), 1);
    cache.set('d', 4);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined, 'a, used, was passed over and unmarked; b, unused, went');
    assert.deepEqual(
      ['a', 'c', 'd'].map((key) => cache.get(key)),
      [1, 3, 4],
    );
    // Every entry used: each pick unmarks one, and one unmarked by this same pass is not taken; after five
    // picks (a, d, c, a, d: d took b's place), the last picked goes.
    next = 3;
    cache.set('e', 5);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('d'), undefined);
    assert.deepEqual(
      ['a', 'c', 'e'].map((key) => cache.get(key)),
      [1, 3, 5],
    );
  });

  test('a rotation a little larger than the capacity still mostly hits (a clock in order would never hit)', () => {
    const cache = new BoundedCache<number, number>(1000);
    let hits = 0;
    for (let round = 0; round < 20; round++)
      for (let key = 0; key < 1010; key++) {
        if (cache.get(key) === key) hits += 1;
        else cache.set(key, key);
      }
    const lastRounds = hits / (20 * 1010);
    assert.ok(lastRounds > 0.8, `hit rate ${lastRounds}`);
  });

  test('a hot entry survives any number of others passing through', () => {
    const cache = new BoundedCache<string, number>(100);
    cache.set('hot', 0);
    for (let i = 0; i < 10_000; i++) {
      assert.equal(cache.get('hot'), 0);
      cache.set(`cold-${i}`, i);
    }
    assert.equal(cache.size, 100);
  });

  test('replaces a value in place, deletes and clears', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('a', 2);
    assert.equal(cache.size, 1);
    assert.equal(cache.get('a'), 2);
    cache.delete('a');
    assert.equal(cache.get('a'), undefined);
    cache.set('b', 1);
    cache.set('c', 2);
    cache.delete('b');
    assert.equal(cache.get('c'), 2, 'deleting one entry keeps the others');
    cache.set('d', 3);
    assert.deepEqual([cache.get('c'), cache.get('d'), cache.size], [2, 3, 2]);
    cache.clear();
    assert.equal(cache.size, 0);
    const none = new BoundedCache<string, number>(0);
    none.set('a', 1);
    assert.equal(none.size, 0, 'a capacity of 0 keeps nothing');
  });
});
