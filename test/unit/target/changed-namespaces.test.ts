import { describe, expect, it } from 'vitest';
import { ChangedNamespaceList } from '../../../src/target/changed-namespaces.js';

describe('ChangedNamespaceList', () => {
  it('keeps each NSID once, in order, until cleared', () => {
    const list = new ChangedNamespaceList();
    for (const nsid of [5, 1, 5, 3]) list.add(nsid);
    expect(list.read(false)).toEqual([1, 3, 5]);
    expect(list.read(true)).toEqual([1, 3, 5]);
    expect(list.read(true)).toEqual([]);
  });

  it('turns into the single entry FFFFFFFFh past 1024 NSIDs', () => {
    const list = new ChangedNamespaceList();
    for (let nsid = 1; nsid <= 1025; nsid++) list.add(nsid);
    expect(list.read(true)).toEqual([0xffffffff]);
    list.add(7);
    expect(list.read(false)).toEqual([7]);
  });
});
