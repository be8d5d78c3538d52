/**
 * Each shader family's WGSL as the device compiles it: the workgroup reductions where the family
 * reduces across a workgroup, the constants kernels.ts defines (sizes, op codes), the helpers of
 * shaders/common.wgsl, then the family's own file.
 */
import common from '../../shaders/common.wgsl?raw';
import elementwise from '../../shaders/elementwise.wgsl?raw';
import gather from '../../shaders/gather.wgsl?raw';
import histogram from '../../shaders/histogram.wgsl?raw';
import lanes from '../../shaders/lanes.wgsl?raw';
import lanesSubgroups from '../../shaders/lanes_subgroups.wgsl?raw';
import matmul from '../../shaders/matmul.wgsl?raw';
import norm from '../../shaders/norm.wgsl?raw';
import optim from '../../shaders/optim.wgsl?raw';
import pool from '../../shaders/pool.wgsl?raw';
import reduce from '../../shaders/reduce.wgsl?raw';
import softmax from '../../shaders/softmax.wgsl?raw';
import { BINARY, REDUCE, type ShaderFamily, SIZES, UNARY } from './kernels';

const SOURCES: Record<ShaderFamily, string> = {
  elementwise,
  reduce,
  matmul,
  softmax,
  gather,
  optim,
  pool,
  norm,
  histogram,
};

/** Families whose kernels reduce across a workgroup: lanes.wgsl's or lanes_subgroups.wgsl's functions. */
const USES_LANES: ReadonlySet<ShaderFamily> = new Set(['norm', 'softmax', 'histogram']);

/** The WGSL name of an op code: UNARY.leakyRelu is UNARY_LEAKY_RELU. */
export function codeName(table: 'UNARY' | 'BINARY' | 'REDUCE', op: string): string {
  return `${table}_${op.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** `const` declarations of a table's codes. */
function codes(table: 'UNARY' | 'BINARY' | 'REDUCE', codes: Record<string, number>): string[] {
  return Object.entries(codes).map(([op, code]) => `const ${codeName(table, op)} = ${code}u;`);
}

/** The WGSL constants that kernels.ts defines, all u32. */
const CONSTANTS = [
  ...Object.entries(SIZES).map(([name, size]) => `const ${name} = ${size}u;`),
  ...codes('UNARY', UNARY),
  ...codes('BINARY', BINARY),
  ...codes('REDUCE', REDUCE),
].join('\n');

/**
 * The WGSL of a family; `subgroups` picks the workgroup reductions on subgroup operations. They come
 * first, since lanes_subgroups.wgsl opens with directives.
 */
export function shaderSource(family: ShaderFamily, subgroups: boolean): string {
  const reductions = USES_LANES.has(family) ? [subgroups ? lanesSubgroups : lanes] : [];
  return [...reductions, CONSTANTS, common, SOURCES[family]].join('\n');
}
