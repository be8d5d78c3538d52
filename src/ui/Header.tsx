/** The top bar: the Kiln name and which compute backend this page will train on. */
import { useKiln } from './store';

/** The header with the app name and a one-glance backend badge. */
export function Header() {
  return (
    <header className="header">
      <div className="brand">
        <img src={`${import.meta.env.BASE_URL}kiln.svg`} alt="" width={28} height={28} />
        <h1>Kiln</h1>
        <span className="tagline">train neural networks on your GPU, the PyTorch way</span>
      </div>
      <nav className="header-links" aria-label="Documentation">
        {/* The engine's typed API docs (TypeDoc), built with the site and kept offline by the service worker. */}
        <a href={`${import.meta.env.BASE_URL}docs/`}>API docs</a>
      </nav>
      <BackendBadge />
    </header>
  );
}

function BackendBadge() {
  const probe = useKiln((s) => s.gpu);
  const worker = useKiln((s) => s.workerBackend);
  const threads = useKiln((s) => s.workerThreads);
  if (!probe)
    return (
      <output className="badge badge-pending" aria-live="polite">
        Looking for a GPU…
      </output>
    );
  if (probe.status === 'ready') {
    const a = probe.adapter;
    const name = a.description || [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
    return (
      <output className="badge badge-ok" title={name}>
        WebGPU · {name}
      </output>
    );
  }
  // Without WebGPU: the backend the worker reports (WASM SIMD, or plain TypeScript where this browser
  // has no WebAssembly SIMD).
  if (worker === 'cpu') return <output className="badge badge-warn">CPU backend (no WebGPU)</output>;
  if (threads > 1)
    return (
      <output
        className="badge badge-warn"
        title={`WebAssembly with 128-bit SIMD, on the CPU: ${threads} threads (this page is cross-origin isolated)`}
      >
        WASM backend, {threads} threads (no WebGPU)
      </output>
    );
  return (
    <output
      className="badge badge-warn"
      title="WebAssembly with 128-bit SIMD, on the CPU, one thread (threads need a cross-origin isolated page)"
    >
      WASM backend (no WebGPU)
    </output>
  );
}
