import { defineConfig } from '@playwright/test';

/** The preview server's port: 4173, or KILN_E2E_PORT so a second checkout can run e2e beside it. */
const PORT = Number(process.env.KILN_E2E_PORT ?? 4173);

/** e2e runs Debian's Chromium with real WebGPU (SwiftShader on CPU-only machines) against the built app. */
export default defineConfig({
  testDir: 'e2e',
  timeout: 300_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  // No retries: a test that passes only sometimes is a bug to fix, not to hide. No test asserts
  // wall-clock time (responsiveness is measured in bench.html, as figures).
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://localhost:${PORT}`,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--enable-unsafe-webgpu',
        '--enable-features=Vulkan',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-sandbox',
      ],
    },
    viewport: { width: 1440, height: 900 },
  },
  webServer: {
    command: `npm run build && npx vite preview --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 180_000,
  },
});
