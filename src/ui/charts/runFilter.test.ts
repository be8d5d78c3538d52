import { describe, expect, it } from 'vitest';
import { parseRunFilter, runSearch } from './runFilter';

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

describe('runSearch', () => {
  const runs = [
    { name: 'SimpleNN #1', tags: ['baseline'], notes: '' },
    { name: 'SimpleNN #2', tags: ['lr sweep', 'Adam'], notes: 'diverged at step 40' },
    { name: 'LeNet-5 #3' },
    { name: 'lr=0.01,seed=1', sweep: { name: 'lr × seed' } },
  ];
  const find = (pattern: string) => runs.filter(runSearch(pattern)).map((r) => r.name);

  it('finds runs by name, by any one tag, or by their notes', () => {
    expect(find('')).toEqual(['SimpleNN #1', 'SimpleNN #2', 'LeNet-5 #3', 'lr=0.01,seed=1']);
    expect(find('lr × seed')).toEqual(['lr=0.01,seed=1']);
    expect(find('BASELINE')).toEqual(['SimpleNN #1']);
    expect(find('^adam$')).toEqual(['SimpleNN #2']);
    expect(find('diverged')).toEqual(['SimpleNN #2']);
    expect(find('lenet')).toEqual(['LeNet-5 #3']);
    expect(find('nothing here')).toEqual([]);
  });
});
