import { describe, expect, it } from 'vitest';
import { findPii } from '../helpers/pii-scan.js';

// The PII test is only as good as its scanner: show it finds what it must.
describe('findPii', () => {
  const known = ['4539578763621486', 'ada@example.org'];

  it('finds a card number inside a longer digit run and an email after a length byte', () => {
    expect(findPii('\x00\x2099945395787636214861\x1eada@example.org', known).sort()).toEqual(['4539578763621486', 'ada@example.org']);
  });

  it('finds nothing in hashed output', () => {
    expect(findPii('a3f9c2e1d4b5 4539578763621487 bob@example.org', known)).toEqual([]);
  });
});
