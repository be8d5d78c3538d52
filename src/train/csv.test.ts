import { describe, expect, it } from 'vitest';
import { pythonFloat, scalarsToCsv } from './csv';

describe('scalarsToCsv', () => {
  it("matches Python's csv module writing TensorBoard's rows", () => {
    // The expected text is what /usr/bin/python3's csv.writer printed for the same rows.
    const values = [
      0.10000000149011612,
      1e-7,
      Number.NaN,
      -Infinity,
      2,
      1.5e16,
      -0,
      0.0001,
      123456789012345.6,
      5e-324,
    ];
    const wallTimes = [
      1700000000.5, 1700000001, 1700000002.25, 1700000003, 1700000004, 1700000005, 1700000006, 1700000007,
      1700000008, 1e21,
    ];
    const points = values.map((value, i) => ({ wallTime: wallTimes[i], step: i * 10, value }));
    expect(scalarsToCsv(points)).toBe(
      'Wall time,Step,Value\r\n1700000000.5,0,0.10000000149011612\r\n1700000001.0,10,1e-07\r\n' +
        '1700000002.25,20,nan\r\n1700000003.0,30,-inf\r\n1700000004.0,40,2.0\r\n1700000005.0,50,1.5e+16\r\n' +
        '1700000006.0,60,-0.0\r\n1700000007.0,70,0.0001\r\n1700000008.0,80,123456789012345.6\r\n1e+21,90,5e-324\r\n',
    );
  });

  it('writes just the header for no points', () => {
    expect(scalarsToCsv([])).toBe('Wall time,Step,Value\r\n');
  });
});

describe('pythonFloat', () => {
  it("spells floats as Python's repr", () => {
    expect(
      [0, 1e-5, 0.00012, 1e16, 9999999999999998, -2.5e-300, 1.7976931348623157e308].map(pythonFloat),
    ).toEqual([
      '0.0',
      '1e-05',
      '0.00012',
      '1e+16',
      '9999999999999998.0',
      '-2.5e-300',
      '1.7976931348623157e+308',
    ]);
  });
});
