import { beforeAll, describe, expect, test } from 'vitest';
import type { ArrayDefinition, StructDefinition } from 'webgpu-utils';
import { makeShaderDataDefinitions } from 'webgpu-utils';
import { nodeGpu } from '../gpu/node';
import { BINARY, KERNELS, type ParamKind, REDUCE, type ShaderFamily, UNARY } from './kernels';
import { codeName, shaderSource } from './shaders';

const definitions = new Map<ShaderFamily, ReturnType<typeof makeShaderDataDefinitions>>();
const defs = (family: ShaderFamily) => {
  let d = definitions.get(family);
  if (!d) {
    d = makeShaderDataDefinitions(shaderSource(family, false));
    definitions.set(family, d);
  }
  return d;
};

// webgpu-utils reads WebGPU's constants (GPUShaderStage), which Dawn's globals provide in Node.
beforeAll(() => {
  nodeGpu();
});

describe('the kernel table against the WGSL', () => {
  for (const [name, def] of Object.entries(KERNELS)) {
    test(`${name}: its params are its uniform struct's fields, arrays as arrays`, () => {
      const uniformName = 'uniform' in def ? def.uniform : 'p';
      const d = defs(def.family);
      const entry = d.entryPoints[def.entry];
      expect(entry, `entry point ${def.entry}`).toBeDefined();
      expect(entry.resources.map((r) => r.name)).toContain(uniformName);
      const struct = d.uniforms[uniformName].typeDefinition as StructDefinition;
      const wgsl: Record<string, ParamKind> = {};
      for (const [field, { type }] of Object.entries(struct.fields)) {
        wgsl[field] = (type as ArrayDefinition).elementType ? 'nums' : 'num';
      }
      const declared = Object.fromEntries(
        Object.entries(def.params as Record<string, ParamKind>).filter(([, kind]) => kind !== 'grid'),
      );
      expect(declared).toEqual(wgsl);
    });
  }
});

describe('op codes', () => {
  const tables = [
    ['UNARY', UNARY, 'elementwise'],
    ['BINARY', BINARY, 'elementwise'],
    ['REDUCE', REDUCE, 'reduce'],
  ] as const;
  for (const [table, codes, family] of tables) {
    test(`every ${table} code is distinct and handled by the ${family} shader`, () => {
      const values = Object.values(codes);
      expect(new Set(values).size).toBe(values.length);
      const source = shaderSource(family, false);
      // Past the constant declarations, where each name is declared once: a use in the kernels.
      const unhandled = Object.keys(codes).filter((op) => source.split(codeName(table, op)).length < 3);
      expect(unhandled).toEqual([]);
    });
  }
});
