/** The CLI as a user runs it: a child process, checked by exit code, stderr and the files it writes. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireNodeGpu } from '../gpu/node';
import { parseCheckpoint } from '../train/checkpoint';
import { ROOT, spawnTrain } from './testing';

const dir = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
const TINY = ['--backend', 'cpu', '--dataset', 'synthetic', '--limit', '200', '--batch-size', '32'];
const MODEL = ['--model', 'linear:16,bn,relu,dropout:0.3,linear:2', '--scheduler', 'step', '--gamma', '0.5'];

describe('npm run train', () => {
  it('trains on the wasm backend with --backend wasm (on one thread and on two), says so, and follows the cpu reference', () => {
    // Wide enough (100 x 20 x 256 products) that the threads split the matrix products.
    const args = [
      ...['--dataset', 'synthetic', '--limit', '200', '--batch-size', '100'],
      ...['--model', 'linear:256,bn,relu,dropout:0.3,linear:2', '--scheduler', 'step', '--gamma', '0.5'],
      ...['--epochs', '2'],
    ];
    const runs = [['cpu'], ['wasm', '--threads', '1'], ['wasm', '--threads', '2']].map((backend) =>
      spawnTrain('--backend', ...backend, ...args, '--json'),
    );
    for (const r of runs) expect(r.status).toBe(0);
    expect(runs[1].stderr).toContain('Backend: wasm (WebAssembly SIMD on the CPU, one thread)');
    expect(runs[2].stderr).toContain('Backend: wasm (WebAssembly SIMD on the CPU, 2 threads)');
    const [cpu, wasm, threaded] = runs.map((r) =>
      r.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { train_loss: number; val_loss: number }),
    );
    expect(wasm).toHaveLength(2);
    // Threads split the work, never change a result.
    expect(threaded.map((e) => [e.train_loss, e.val_loss])).toEqual(
      wasm.map((e) => [e.train_loss, e.val_loss]),
    );
    wasm.forEach((e, i) => {
      expect(e.train_loss).toBeCloseTo(cpu[i].train_loss, 4);
      expect(e.val_loss).toBeCloseTo(cpu[i].val_loss, 4);
    });
  });

  it('without --backend, takes the GPU where Dawn finds one and the wasm backend where it finds only a CPU Vulkan driver, and says why; --profile takes WebGPU', async () => {
    const gpu = await acquireNodeGpu().catch(() => null);
    const cpuOnly = !gpu || gpu.summary.isFallbackAdapter;
    gpu?.device.destroy();
    const args = [
      '--dataset',
      'synthetic',
      '--model',
      'linear:2',
      '--limit',
      '64',
      '--batch-size',
      '32',
      '--json',
    ];
    const auto = spawnTrain(...args);
    expect(auto.status).toBe(0);
    if (cpuOnly) {
      expect(auto.stderr).toMatch(
        /^Backend: wasm \(WebAssembly SIMD on the CPU, .+\) — WebGPU found (no adapter|only a CPU Vulkan driver \(.+\), slower here: --backend webgpu to use it)$/m,
      );
      // --threads goes with it, and --backend webgpu still takes the CPU Vulkan driver.
      expect(spawnTrain(...args, '--threads', '1').stderr).toMatch(
        /^Backend: wasm \(WebAssembly SIMD on the CPU, one thread\)/m,
      );
      if (gpu) {
        expect(spawnTrain(...args, '--backend', 'webgpu').stderr).toMatch(
          /^Backend: webgpu on .+ — a CPU Vulkan driver/m,
        );
        // --profile times GPU kernels, so it takes WebGPU by itself.
        const profiled = spawnTrain(...args, '--profile').stderr;
        expect(profiled).toMatch(/^Backend: webgpu on /m);
        expect(profiled).toMatch(/^GPU time per kernel/m);
      }
    } else {
      expect(auto.stderr).toMatch(/^Backend: webgpu on /m);
      expect(spawnTrain(...args, '--threads', '2').stderr).toMatch(/--threads is the wasm backend's/);
    }
  });

  it('resumes a run exactly across processes, with checkpoints and a TensorBoard log', () => {
    const straight = join(dir, 'straight.safetensors');
    const resumed = join(dir, 'resumed.safetensors');
    const checkpoint = join(dir, 'run.safetensors');
    expect(spawnTrain(...TINY, ...MODEL, '--epochs', '2', '--json', '--save', straight).status).toBe(0);
    expect(spawnTrain(...TINY, ...MODEL, '--epochs', '1', '--json', '--checkpoint', checkpoint).status).toBe(
      0,
    );
    const r = spawnTrain(
      '--backend',
      'cpu',
      '--dataset',
      'synthetic',
      '--resume',
      checkpoint,
      '--epochs',
      '2',
      '--json',
      '--save',
      resumed,
      '--logdir',
      join(dir, 'tb'),
      // Counting histograms changes nothing of the training: the resumed weights still match.
      '--histograms-every',
      '3',
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ epoch: 2, lr: 0.0005 });
    expect(Buffer.compare(readFileSync(resumed), readFileSync(straight))).toBe(0);
    const [events] = readdirSync(join(dir, 'tb'));
    expect(events).toMatch(/^events\.out\.tfevents\./);
    const text = readFileSync(join(dir, 'tb', events)).toString('latin1');
    for (const tag of [
      'Loss/train',
      'Loss/val',
      'Accuracy/val',
      'learning_rate',
      '.weight.grad',
      'grad_norm/',
    ])
      expect(text).toContain(tag);
  });

  it('stops on Ctrl-C after the current step, with a checkpoint there, and exits 130', async () => {
    const checkpoint = join(dir, 'interrupted.safetensors');
    const child = spawn(
      'node',
      [
        'scripts/run-node.mjs',
        'src/cli/train.ts',
        ...TINY,
        '--limit',
        '5000',
        '--model',
        'linear:16,relu,linear:2',
        '--epochs',
        '1000',
        '--checkpoint',
        checkpoint,
        '--checkpoint-every',
        '1000',
      ],
      { cwd: ROOT },
    );
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    // Interrupt once the first epoch has been reported: training is under way.
    await new Promise<void>((started) =>
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (/epoch 1:/.test(stderr)) started();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/Stopped at step \d+; resume with --resume/);
    // The checkpoint holds the run where it stopped: past its first epoch, counters consistent.
    const { meta } = parseCheckpoint(new Uint8Array(readFileSync(checkpoint)));
    expect(meta.epoch).toBeGreaterThanOrEqual(1);
    expect(meta.globalStep).toBe(meta.epoch * 157 + meta.loader.batch);
  });
});
