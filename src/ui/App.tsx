/** The whole page: header, the GPU adapter (or why there is none), and the workspace panels. */
import { useEffect, useState } from 'react';
import { AdapterCard } from './AdapterCard';
import { type GpuProbe, probeGpu } from './gpuInfo';
import { Header } from './Header';
import { NoWebGpuBanner } from './NoWebGpuBanner';

/** The application root. */
export function App() {
  const [probe, setProbe] = useState<GpuProbe | null>(null);
  useEffect(() => {
    let live = true;
    probeGpu().then((p) => live && setProbe(p));
    return () => {
      live = false;
    };
  }, []);
  return (
    <div className="app">
      <Header probe={probe} />
      <main className="workspace">
        <GpuSection probe={probe} />
      </main>
    </div>
  );
}

function GpuSection({ probe }: { probe: GpuProbe | null }) {
  if (!probe)
    return (
      <section className="card adapter pending" aria-busy="true">
        <h2>GPU adapter</h2>
        <p className="muted">Asking the browser for a WebGPU adapter…</p>
      </section>
    );
  if (probe.status === 'ready') return <AdapterCard adapter={probe.adapter} />;
  return <NoWebGpuBanner reason={probe.reason} detail={probe.detail} />;
}
