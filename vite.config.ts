import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { mnistAssets } from './scripts/mnist-assets';

/**
 * KILN_BASE sets the public path for hosting under a sub-path (e.g. KILN_BASE=/kiln/ npm run build).
 * Relative URLs inside the app resolve against it, so the same dist/ works from any static host.
 */
export default defineConfig({
  base: process.env.KILN_BASE ?? '/',
  plugins: [react(), mnistAssets()],
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
  preview: { port: 4173, strictPort: true },
});
