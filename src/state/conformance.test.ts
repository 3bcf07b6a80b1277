import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeStoreConformance } from '../../test/state/conformance.js';
import { FileStateStore } from './file-store.js';
import { FileLocker } from './lock.js';
import { MemoryLocker, MemoryStateStore, type MemoryLockCell } from '../../test/state/memory-store.js';

describeStoreConformance('FileStateStore + FileLocker', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mirror-state-'));
  const file = path.join(dir, 'nested', 'state.json'); // parent created by the store on first write
  return {
    store: new FileStateStore(file),
    locker: new FileLocker(file, { pollMs: 20 }),
    peer: (o = {}) => new FileLocker(file, { pollMs: 20, leaseMs: o.leaseMs, renewMs: o.renew === false ? 0 : undefined }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describeStoreConformance('MemoryStateStore + MemoryLocker', async () => {
  const cell: MemoryLockCell = {};
  return {
    store: new MemoryStateStore(),
    locker: new MemoryLocker(cell),
    peer: (o = {}) => new MemoryLocker(cell, { leaseMs: o.leaseMs }),
    cleanup: async () => undefined,
  };
});
