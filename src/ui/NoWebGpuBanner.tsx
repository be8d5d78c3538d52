/**
 * The explanation shown when WebGPU cannot be used: what went wrong, what the user can do about it,
 * and that Kiln still trains without it, on its WASM backend (the CPU), slowly.
 */
import type { GpuUnavailableReason } from './gpuInfo';

/** Props: why WebGPU is unavailable, and the browser's own words for it. */
export interface NoWebGpuBannerProps {
  reason: GpuUnavailableReason;
  detail: string;
}

const HEADLINES: Record<GpuUnavailableReason, string> = {
  'insecure-context': 'WebGPU needs a secure page',
  'no-api': 'This browser does not offer WebGPU',
  'no-adapter': 'WebGPU is here, but no GPU adapter was offered',
  'no-device': 'The GPU adapter refused to create a device',
};

/** A friendly, actionable banner for a page without WebGPU. */
export function NoWebGpuBanner({ reason, detail }: NoWebGpuBannerProps) {
  return (
    <section className="card banner" role="alert" aria-labelledby="no-webgpu-title">
      <h2 id="no-webgpu-title">{HEADLINES[reason]}</h2>
      <p>
        Kiln trains on your GPU through WebGPU. Without it Kiln trains on its <strong>WASM backend</strong>:
        the same models and training loop as WebAssembly SIMD code on your CPU, correct but much slower than a
        GPU, so stick to small models and short runs.
      </p>
      <h3>What you can try</h3>
      <ul>
        {reason === 'insecure-context' && (
          <li>
            Browsers only expose WebGPU to secure contexts: open Kiln over <code>https://</code>, or from{' '}
            <code>http://localhost</code> when running it yourself.
          </li>
        )}
        {(reason === 'no-api' || reason === 'insecure-context') && (
          <li>
            Use a browser with WebGPU: Chrome or Edge 113+ (Windows, macOS, ChromeOS; Android 121+), Safari
            26+, or Firefox 141+ on Windows.
          </li>
        )}
        {reason !== 'insecure-context' && (
          <li>
            On Linux, or where WebGPU is switched off, enable it at{' '}
            <code>chrome://flags/#enable-unsafe-webgpu</code> or start Chrome with{' '}
            <code>--enable-unsafe-webgpu</code> (add <code>--enable-features=Vulkan</code> on Linux).
          </li>
        )}
        {(reason === 'no-adapter' || reason === 'no-device') && (
          <>
            <li>
              Update your GPU driver: browsers block adapters whose drivers have known bugs.{' '}
              <code>chrome://gpu</code> shows whether WebGPU is blocklisted and why.
            </li>
            <li>Check that hardware acceleration is turned on in the browser settings.</li>
          </>
        )}
        {reason === 'no-device' && (
          <li>Close other GPU-heavy tabs or apps and reload: the device may have run out of memory.</li>
        )}
      </ul>
      <details>
        <summary>Technical detail</summary>
        <p>
          <code>{detail}</code>
        </p>
      </details>
    </section>
  );
}
