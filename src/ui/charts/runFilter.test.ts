import { describe, expect, it } from 'vitest';
import { parseRunFilter } from './runFilter';

const names = ['SimpleNN #1', 'SimpleNN #2', 'LeNet-5 #3', 'lenet-5 sgd'];
const keep = (pattern: string) => names.filter(parseRunFilter(pattern).matches);

describe('parseRunFilter', () => {
  it('keeps every run for an empty pattern', () => {
    expect(keep('')).toEqual(names);
    expect(keep('  ')).toEqual(names);
    expect(parseRunFilter('').invalid).toBeNull();
  });

  it('matches a substring, ignoring case', () => {
    expect(keep('LENET')).toEqual(['LeNet-5 #3', 'lenet-5 sgd']);
    expect(keep('#2')).toEqual(['SimpleNN #2']);
  });

  it('matches a regular expression', () => {
    expect(keep('#[13]$')).toEqual(['SimpleNN #1', 'LeNet-5 #3']);
    expect(keep('^simple|sgd')).toEqual(['SimpleNN #1', 'SimpleNN #2', 'lenet-5 sgd']);
    expect(parseRunFilter('#[13]$').invalid).toBeNull();
  });

  it('says why an invalid regular expression is not one, and matches it as text', () => {
    expect(parseRunFilter('nn #(').invalid).toBe('Unterminated group');
    expect(parseRunFilter('[a').invalid).toBe('Unterminated character class');
    expect(parseRunFilter('*a').invalid).toBe('Nothing to repeat');
    expect(keep('nn #(')).toEqual([]);
    expect(keep('5 (')).toEqual([]);
    expect(['a (b)'].filter(parseRunFilter('a (').matches)).toEqual(['a (b)']);
  });
});
