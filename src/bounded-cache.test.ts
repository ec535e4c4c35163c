import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoundedCache } from './bounded-cache.js';

describe('a bounded cache', () => {
  test('holds at most its capacity; a full one drops the oldest entry not used since it was passed over', () => {
    const cache = new BoundedCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    assert.equal(cache.get('a'), 1);
    cache.set('d', 4);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined, 'b, the oldest unused, went; a, used, stayed');
    assert.deepEqual(
      ['a', 'c', 'd'].map((key) => cache.get(key)),
      [1, 3, 4],
    );
    // Every entry used: the pass unmarks them all and drops the first it meets again, c (a moved after it).
    cache.set('e', 5);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('c'), undefined);
    assert.deepEqual(
      ['a', 'd', 'e'].map((key) => cache.get(key)),
      [1, 4, 5],
    );
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
    cache.clear();
    assert.equal(cache.size, 0);
    const none = new BoundedCache<string, number>(0);
    none.set('a', 1);
    assert.equal(none.size, 0, 'a capacity of 0 keeps nothing');
  });
});
