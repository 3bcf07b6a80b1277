import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';
import { storeConformance } from './conformance.js';
import { FileStateStore } from './file-store.js';
import { FileLocker } from './lock.js';
import { MemoryLocker, MemoryStateStore } from './memory-store.js';

describe('FileStateStore + FileLocker conformance', () => {
  storeConformance(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-state-'));
    const file = path.join(dir, 'nested', 'state.json');
    await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(file), { recursive: true }));
    return {
      store: new FileStateStore(file),
      locker: new FileLocker(file, { pollMs: 20 }),
      otherLocker: new FileLocker(file, { pollMs: 20 }),
      expiringLocker: new FileLocker(file, { leaseMs: 1, pollMs: 20 }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  });
});

describe('memory fake conformance', () => {
  storeConformance(async () => {
    const store = new MemoryStateStore();
    const cell = {};
    return { store, locker: new MemoryLocker(cell), otherLocker: new MemoryLocker(cell), expiringLocker: new MemoryLocker(cell, 1),
      cleanup: async () => undefined };
  });
});
