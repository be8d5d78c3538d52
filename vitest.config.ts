import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    // Dawn is a native addon: one process per test file, files run one at a time on the 2-core CI box
    // so GPU tests don't compete for the CPU Vulkan driver.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
