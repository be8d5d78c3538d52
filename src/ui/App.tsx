/** The whole page: header, the GPU adapter (or why there is none), and the workspace panels. */
import { memo, useCallback, useDeferredValue, useEffect, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { AdapterCard } from './AdapterCard';
import { BuilderPanel } from './builder/BuilderPanel';
import { ScalarsPanel } from './charts/ScalarsPanel';
import { DataPanel } from './data/DataPanel';
import { EvaluationPanel } from './evaluation/EvaluationPanel';
import { ExperimentViewer } from './experiment/ExperimentViewer';
import { FiltersPanel } from './filters/FiltersPanel';
import { probeGpu } from './gpuInfo';
import { Header } from './Header';
import { useChartGroups } from './hparams/chartGroups';
import { HparamsPanel } from './hparams/HparamsPanel';
import { GradientHealthPanel } from './inside/GradientHealthPanel';
import { HistogramsPanel } from './inside/HistogramsPanel';
import { NoticeBar } from './NoticeBar';
import { NoWebGpuBanner } from './NoWebGpuBanner';
import { PanelBoundary } from './PanelBoundary';
import { UpdateBanner } from './pwa';
import { RunsPanel } from './runs/RunsPanel';
import { type KilnState, useKiln } from './store';
import { hashSetup, SETUP_KEY } from './store/setup';
import { TextPanel } from './text/TextPanel';
import { SkipToTraining, TrainingPanel } from './training/TrainingPanel';

/** localStorage, or null where the browser refuses it (a sandboxed frame, some private modes). */
function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * Opens the setup a link carries, else the one kept in this browser, then keeps every change to
 * the model or settings there. The link's hash is dropped once read, so a reload keeps later edits.
 */
function useKeptSetup() {
  useEffect(() => {
    const store = storage();
    const linked = hashSetup(window.location.hash);
    if (linked !== null)
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
    useKiln.getState().restoreSetup(linked, store?.getItem(SETUP_KEY) ?? null);
    const keep = (s: KilnState) => {
      try {
        store?.setItem(SETUP_KEY, JSON.stringify(s.currentSetup()));
      } catch {
        // A full or refused storage only costs the next visit its settings.
      }
    };
    // Kept at once too: a remount (React's strict mode) reads back the link's setup, not an older one.
    keep(useKiln.getState());
    return useKiln.subscribe((s, prev) => {
      if (
        s.spec !== prev.spec ||
        s.config !== prev.config ||
        s.datasetChoice !== prev.datasetChoice ||
        s.datasetSettings !== prev.datasetSettings
      )
        keep(s);
    });
  }, []);
}

/**
 * Checkpoints the training runs when the page is hidden or goes away (a reload, a closed tab), on
 * top of the worker's own every AUTO_CHECKPOINT_MS, so the next visit resumes close to where it was.
 */
function useCheckpointOnLeave() {
  useEffect(() => {
    const leave = () => useKiln.getState().checkpointTraining();
    const hidden = () => document.visibilityState === 'hidden' && leave();
    window.addEventListener('pagehide', leave);
    document.addEventListener('visibilitychange', hidden);
    return () => {
      window.removeEventListener('pagehide', leave);
      document.removeEventListener('visibilitychange', hidden);
    };
  }, []);
}

/** The application root: it probes WebGPU, then starts the worker on the backend the probe allows. */
export function App() {
  useKeptSetup();
  useCheckpointOnLeave();
  const setGpuProbe = useKiln((s) => s.setGpuProbe);
  const startWorker = useKiln((s) => s.startWorker);
  useEffect(() => {
    let live = true;
    probeGpu().then((p) => {
      if (!live) return;
      setGpuProbe(p);
      // Without WebGPU the page still works: the worker trains on the WASM backend (SIMD on the CPU).
      startWorker(p.status === 'ready' ? 'webgpu' : 'wasm');
    });
    return () => {
      live = false;
    };
  }, [setGpuProbe, startWorker]);
  return (
    <div className="app">
      <SkipToTraining />
      <Header />
      <main className="workspace">
        <NoticeBar />
        <GpuSection />
        <PanelBoundary title="Opened experiment">
          <ExperimentViewer />
        </PanelBoundary>
        <div className="panels">
          <div className="column">
            <PanelBoundary title="Model">
              <BuilderPanel />
            </PanelBoundary>
            <PanelBoundary title="Training">
              <TrainingPanel />
            </PanelBoundary>
            <PanelBoundary title="Data">
              <DataPanel />
            </PanelBoundary>
          </div>
          <div className="column">
            <PanelBoundary title="Scalars">
              <MetricsSection />
            </PanelBoundary>
            <PanelBoundary title="Hyperparameters">
              <HparamsPanel />
            </PanelBoundary>
            <PanelBoundary title="Evaluation">
              <EvaluationPanel />
            </PanelBoundary>
            <PanelBoundary title="Runs">
              <RunsPanel />
            </PanelBoundary>
            {/* Inside the network: the views an engineer opens when a run goes wrong. */}
            <PanelBoundary title="Histograms">
              <HistogramsPanel />
            </PanelBoundary>
            <PanelBoundary title="Gradient health">
              <GradientHealthPanel />
            </PanelBoundary>
            <PanelBoundary title="Filters">
              <FiltersPanel />
            </PanelBoundary>
            <PanelBoundary title="Sample and attention">
              <TextPanel />
            </PanelBoundary>
          </div>
        </div>
      </main>
      <UpdateBanner />
    </div>
  );
}

function GpuSection() {
  const probe = useKiln((s) => s.gpu);
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

// Memoised so that only the deferred (interruptible) render redraws the charts.
const Scalars = memo(ScalarsPanel);

function MetricsSection() {
  // Charts redraw in a deferred render that React splits into short slices, so a burst of metrics
  // never blocks the main thread long enough to make the page stutter.
  const records = useDeferredValue(useKiln((s) => s.runs));
  // A run the trainer stopped for a diverging loss is marked, for "ignore outliers" to leave it out.
  const runs = useMemo(
    () => records.map((r) => (r.error?.kind === 'nan-loss' ? { ...r, diverged: true } : r)),
    [records],
  );
  const settings = useKiln(
    useShallow((s) => ({
      smoothing: s.smoothing,
      xAxis: s.xAxis,
      logScale: s.logScale,
      ignoreOutliers: s.ignoreOutliers,
      runFilter: s.runFilter,
      onSmoothing: s.setSmoothing,
      onXAxis: s.setXAxis,
      onLogScale: s.setLogScale,
      onIgnoreOutliers: s.setIgnoreOutliers,
      onRunFilter: s.setRunFilter,
      onToggleRun: s.setRunVisible,
    })),
  );
  const view = useKiln((s) => s.hparams);
  const setView = useKiln((s) => s.setHparams);
  const { keep, groupOf } = useChartGroups(view);
  const onGroupCharts = useCallback((groupCharts: boolean) => setView({ groupCharts }), [setView]);
  return (
    <Scalars
      runs={runs}
      {...settings}
      keep={keep}
      groupOf={groupOf}
      groupCharts={view.groupCharts}
      onGroupCharts={onGroupCharts}
    />
  );
}
