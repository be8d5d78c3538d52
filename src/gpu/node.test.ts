/** Dawn's null backend, which `npm run bench:host` times the CPU side on: calls validate, nothing runs. */
import { expect, test } from 'vitest';
import { acquireNullGpu } from './node';

test('the null GPU validates and submits a dispatch, and runs none', async () => {
  const { device } = await acquireNullGpu();
  device.pushErrorScope('validation');
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) { out[id.x] = 6.0; }`,
  });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
  const out = device.createBuffer({ size: 256 * 4, usage });
  const staging = device.createBuffer({
    size: 256 * 4,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(
    0,
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: out } }],
    }),
  );
  pass.dispatchWorkgroups(4);
  pass.end();
  encoder.copyBufferToBuffer(out, 0, staging, 0, 256 * 4);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const values = new Float32Array(staging.getMappedRange().slice(0));
  expect(await device.popErrorScope()).toBeNull();
  // A run would have written 6 everywhere.
  expect(values.every((v) => v === 6)).toBe(false);
});
