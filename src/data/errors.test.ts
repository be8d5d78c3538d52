import { describe, expect, it } from 'vitest';
import { DatasetError, shown } from './errors';

describe('DatasetError', () => {
  it('names the file first, and keeps it apart', () => {
    const e = new DatasetError('a.csv', 'is empty');
    expect([e.message, e.file, e.name]).toEqual(['a.csv: is empty', 'a.csv', 'DatasetError']);
  });
});

describe('shown', () => {
  it('puts text from a file on one line, cut short', () => {
    expect(shown('0x10')).toBe('0x10');
    expect(shown('a\r\nb\u2028')).toBe('a\\u000d\\u000ab\\u2028');
    expect(shown('x'.repeat(50))).toBe(`${'x'.repeat(40)}…`);
  });
});
