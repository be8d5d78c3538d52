/** What the WebGPU adapter is and the limits and features that matter for training on it. */

import type { AdapterSummary, TrainingLimit } from '../worker/protocol';
import { formatBytes, TRAINING_FEATURES } from './gpuInfo';

/** Props: the adapter the page was given. */
export interface AdapterCardProps {
  adapter: AdapterSummary;
}

// Byte limits read best in KiB/MiB/GiB; the rest are thread counts.
const LIMIT_LABELS: Record<TrainingLimit, { label: string; bytes: boolean; why: string }> = {
  maxBufferSize: { label: 'Max buffer', bytes: true, why: 'largest single tensor' },
  maxStorageBufferBindingSize: {
    label: 'Max storage binding',
    bytes: true,
    why: 'largest tensor one kernel can read or write',
  },
  maxComputeWorkgroupStorageSize: {
    label: 'Workgroup memory',
    bytes: true,
    why: 'shared tile memory for matmul and reductions',
  },
  maxComputeInvocationsPerWorkgroup: {
    label: 'Invocations / workgroup',
    bytes: false,
    why: 'threads per workgroup',
  },
  maxComputeWorkgroupSizeX: { label: 'Workgroup size X', bytes: false, why: 'threads along x' },
};

/**
 * A card naming the adapter in one line, its training limits and features folded below: the page's
 * top belongs to the model and the charts, and the details matter only when something is off.
 */
export function AdapterCard({ adapter }: AdapterCardProps) {
  const identity: [string, string][] = [
    ['Vendor', adapter.vendor],
    ['Architecture', adapter.architecture],
    ['Device', adapter.device],
    ['Description', adapter.description],
  ];
  const others = adapter.features.filter((f) => !(TRAINING_FEATURES as readonly string[]).includes(f));
  return (
    <section className="card adapter" aria-labelledby="adapter-title">
      <div className="adapter-head">
        <h2 id="adapter-title">GPU adapter</h2>
        <span className="adapter-name">
          {[adapter.vendor, adapter.architecture, adapter.device].filter(Boolean).join(' · ') || 'not named'}
        </span>
      </div>
      {adapter.isFallbackAdapter && (
        <p className="note warn">
          This is a fallback (software) adapter: training works but runs on the CPU through WebGPU, far slower
          than a real GPU.
        </p>
      )}
      <details className="adapter-details">
        <summary>Limits and features</summary>
        <div className="adapter-grid">
          <dl className="kv">
            {identity.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v || <span className="muted">not reported</span>}</dd>
              </div>
            ))}
          </dl>
          <dl className="kv">
            {Object.entries(LIMIT_LABELS).map(([key, { label, bytes, why }]) => {
              const value = adapter.limits[key as TrainingLimit];
              return (
                <div key={key} title={`${key}: ${why}`}>
                  <dt>{label}</dt>
                  <dd className="num">{bytes ? formatBytes(value) : value.toLocaleString('en-US')}</dd>
                </div>
              );
            })}
          </dl>
          <div className="features">
            <ul className="feature-list" aria-label="Training features">
              {TRAINING_FEATURES.map((f) => {
                const has = adapter.features.includes(f);
                return (
                  <li key={f} className={has ? 'feature on' : 'feature off'}>
                    <span aria-hidden="true">{has ? '✓' : '✗'}</span> {f}
                    <span className="visually-hidden">{has ? ' supported' : ' not supported'}</span>
                    {f === 'subgroups' && has && adapter.subgroupSizes && (
                      <span className="muted">
                        {' '}
                        ({adapter.subgroupSizes.min}–{adapter.subgroupSizes.max} lanes)
                      </span>
                    )}
                  </li>
                );
              })}
            </ul>
            {others.length > 0 && (
              <details>
                <summary>{others.length} other features</summary>
                <p className="feature-others">{others.join(', ')}</p>
              </details>
            )}
          </div>
        </div>
      </details>
    </section>
  );
}
