import { defineConfig } from 'vitest/config';
import { KILN_ALIAS } from './scripts/kiln-alias.ts';
import SlowestTests from './scripts/slowest-tests.ts';

const TIMEOUT = 120_000;

export default defineConfig({
  resolve: { alias: KILN_ALIAS },
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    // Dawn is a native addon: one process per test file, files run one at a time on the 2-core CI box
    // so GPU tests don't compete for the CPU Vulkan driver.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: TIMEOUT,
    hookTimeout: TIMEOUT,
    // Every test should need a small fraction of its timeout on a quiet machine: the slowest are listed.
    reporters: ['default', new SlowestTests(TIMEOUT)],
  },
});
