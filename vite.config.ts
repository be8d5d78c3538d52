import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { apiDocs } from './scripts/api-docs.ts';
import { KILN_ALIAS } from './scripts/kiln-alias.ts';
import { mnistAssets } from './scripts/mnist-assets.ts';

/**
 * KILN_BASE sets the public path for hosting under a sub-path (e.g. KILN_BASE=/kiln/ npm run build).
 * Relative URLs inside the app resolve against it, so the same dist/ works from any static host.
 */
const base = normaliseBase(process.env.KILN_BASE ?? '/');

/**
 * The page's content security policy: everything from the site's own origin, nothing inline, no
 * remote origin. `data:`/`blob:` images cover canvases turned into pictures; blob URLs are otherwise
 * only used as download links (navigations, which CSP does not govern). The training worker is a
 * same-origin module script ('self'); the wasm backend's threads, where the page is cross-origin
 * isolated, are workers made from a blob URL the training worker writes itself ('blob:': only script
 * already running on the page can make one), and nothing evaluates strings. 'wasm-unsafe-eval' lets the
 * wasm backend compile its kernels module (bundled, the app's own; it allows WebAssembly
 * compilation only, not eval).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/**
 * Cross-origin isolation (what gives the page SharedArrayBuffer, so the WASM backend's threads):
 * `npm start`, `vite preview` and the dev server send these two on every response. Everything the
 * page loads is same-origin (bundles, fonts, workers, the datasets), which require-corp allows
 * without any Cross-Origin-Resource-Policy header. A static host that cannot set headers gets them
 * from a service worker instead (README, "Without WebGPU: the WASM backend").
 */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base,
  resolve: { alias: KILN_ALIAS },
  plugins: [
    react(),
    mnistAssets(),
    apiDocs(),
    contentSecurityPolicy(),
    VitePWA({
      // The page registers the service worker itself (src/ui/pwa), so it can hold an update back while
      // a run is training: a waiting worker only takes over when the user says so.
      injectRegister: false,
      registerType: 'prompt',
      manifest: {
        // start_url and scope default to Vite's resolved base (KILN_BASE, or `vite build --base`).
        name: 'Kiln',
        short_name: 'Kiln',
        description: 'Train neural networks in your browser on WebGPU, the PyTorch way.',
        display: 'standalone',
        lang: 'en',
        theme_color: '#7c2d12',
        background_color: '#f6f7f9',
        categories: ['education', 'developer', 'productivity'],
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: 'icons/maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
          { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'kiln.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
        ],
      },
      includeAssets: ['kiln.svg', 'icons/apple-touch-icon.png'],
      workbox: {
        // The app shell: HTML, the bundles (the WGSL kernels are strings inside them) and CSS; the manifest,
        // its icons and includeAssets are added by the plugin. The API docs (docs/, scripts/api-docs.ts)
        // too, so they open offline: about 400 small HTML pages.
        globPatterns: ['**/*.{html,js,css}', 'docs/**/*.svg'],
        // The datasets are cached at run time instead (below): 11 MB in the precache would be fetched
        // twice on a first visit, once by the page and once by the installing worker.
        globIgnores: ['data/**'],
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/\/data\/(mnist|text)\//],
        cleanupOutdatedCaches: true,
        // The first install takes the page that registered it, so the first visit is already offline-ready.
        // An update never does this on its own: it waits for the user (registerType 'prompt').
        clientsClaim: true,
        runtimeCaching: [
          {
            // MNIST's gzipped IDX files and the bundled text from the site itself, opaque bytes that never change.
            urlPattern: /\/data\/(mnist|text)\/[^/?]+\.gz$/,
            handler: 'CacheFirst',
            options: {
              cacheName: 'kiln-datasets',
              cacheableResponse: { statuses: [200] },
            },
          },
        ],
      },
    }),
  ],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    // Only library chunks pass 500 kB: the charts (recharts with its d3 and redux parts) and TF.js
    // (the benchmark page's). The app's own chunk is about 90 kB.
    chunkSizeWarningLimit: 800,
    rolldownOptions: {
      // The playground, and the benchmark page that runs `npm run bench`'s suite in the browser.
      input: { main: 'index.html', bench: 'bench.html' },
      // Libraries in chunks of their own, each cached across releases of the app: React, the
      // charts (recharts and its d3 parts), and TF.js, which only the benchmark page loads.
      output: {
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 3 },
            { name: 'tfjs', test: /node_modules[\\/]@tensorflow[\\/]/, priority: 2 },
            { name: 'charts', test: /node_modules[\\/]/, priority: 1 },
          ],
        },
      },
    },
  },
  server: { headers: ISOLATION_HEADERS },
  preview: { port: 4173, strictPort: true, headers: ISOLATION_HEADERS },
});

/** KILN_BASE with the leading and trailing slash Vite and the manifest's scope expect ("kiln" -> "/kiln/"). */
function normaliseBase(raw: string): string {
  if (raw.includes('://') || raw.startsWith('.')) {
    throw new Error(`KILN_BASE must be a path on the site, such as /kiln/ (got ${JSON.stringify(raw)})`);
  }
  const trimmed = raw.trim().replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '/' : `/${trimmed}/`;
}

/**
 * Puts the CSP into the built index.html as a <meta http-equiv>, so it holds on any static host.
 * Build only: the dev server injects inline scripts (React Refresh) that it would block.
 */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'kiln:csp',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP },
        injectTo: 'head-prepend',
      },
    ],
  };
}
