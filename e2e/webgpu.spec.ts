/** The page finds a real WebGPU adapter, shows it, and can run a WGSL compute kernel end to end. */
import { expect, test } from '@playwright/test';

test('shows the WebGPU adapter the browser offered', async ({ page }) => {
  await page.goto('/');
  const card = page.getByRole('region', { name: 'GPU adapter' });
  await expect(card).toBeVisible();
  // The limits and features are folded under the adapter's name.
  await card.getByText('Limits and features').click();
  await expect(card.getByText('Max storage binding')).toBeVisible();
  // The vendor comes from adapter.info; SwiftShader reports "google", a real GPU its maker.
  const vendor = await page.evaluate(async () => (await navigator.gpu.requestAdapter())?.info.vendor ?? '');
  expect(vendor).not.toBe('');
  await expect(card.getByText(vendor, { exact: true }).first()).toBeVisible();
  await expect(page.locator('header')).toContainText('WebGPU');
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('runs a WGSL compute dispatch and reads the result back', async ({ page }) => {
  await page.goto('/');
  const n = 1000; // not a multiple of the workgroup size, so the bounds check matters
  const offset = 0.5;
  const out = await page.evaluate(
    async ({ n, offset }) => {
      const adapter = await navigator.gpu.requestAdapter();
      if (!adapter) throw new Error('no adapter');
      const device = await adapter.requestDevice();
      const module = device.createShaderModule({
        label: 'e2e-double',
        code: `
          struct Params { n: u32, offset: f32 }
          @group(0) @binding(0) var<storage, read> x: array<f32>;
          @group(0) @binding(1) var<storage, read_write> y: array<f32>;
          @group(0) @binding(2) var<uniform> params: Params;
          @compute @workgroup_size(64)
          fn main(@builtin(global_invocation_id) id: vec3u) {
            if (id.x >= params.n) { return; }
            y[id.x] = 2.0 * x[id.x] + params.offset;
          }`,
      });
      const pipeline = device.createComputePipeline({
        label: 'e2e-double',
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      const input = Float32Array.from({ length: n }, (_, i) => i - 300);
      const bytes = n * 4;
      const x = device.createBuffer({
        label: 'x',
        size: bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
      const y = device.createBuffer({
        label: 'y',
        size: bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      });
      const params = device.createBuffer({
        label: 'params',
        size: 8,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      const staging = device.createBuffer({
        label: 'staging',
        size: bytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(x, 0, input);
      const p = new ArrayBuffer(8);
      new Uint32Array(p, 0, 1)[0] = n;
      new Float32Array(p, 4, 1)[0] = offset;
      device.queue.writeBuffer(params, 0, p);
      const bind = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [x, y, params].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(Math.ceil(n / 64));
      pass.end();
      enc.copyBufferToBuffer(y, 0, staging, 0, bytes);
      device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const result = Array.from(new Float32Array(staging.getMappedRange()));
      staging.unmap();
      device.destroy();
      return result;
    },
    { n, offset },
  );
  expect(out).toHaveLength(n);
  const expected = Array.from({ length: n }, (_, i) => 2 * (i - 300) + offset);
  expect(out).toEqual(expected); // exact: small integers and halves are representable in f32
});
