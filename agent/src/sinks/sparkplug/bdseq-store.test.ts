import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BdSeqStore } from './bdseq-store.js';

const fileIn = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'ef-bdseq-')), 'sparkplug', 'spb.json');

describe('BdSeqStore', () => {
  it('starts at 0, then goes on after the last will saved, wrapping after 255', () => {
    const file = fileIn();
    expect(new BdSeqStore(file).next()).toBe(0);
    new BdSeqStore(file).save(41);
    expect(new BdSeqStore(file).next()).toBe(42);
    new BdSeqStore(file).save(255);
    expect(new BdSeqStore(file).next()).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ lastWillBdSeq: 255 });
  });

  it('takes a damaged or out-of-range file for none', () => {
    const file = fileIn();
    new BdSeqStore(file).save(3);
    writeFileSync(file, '{"lastWillBdSeq": 9');
    expect(new BdSeqStore(file).next()).toBe(0);
    writeFileSync(file, '{"lastWillBdSeq": 300}');
    expect(new BdSeqStore(file).next()).toBe(0);
  });
});
