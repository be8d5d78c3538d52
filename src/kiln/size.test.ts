/**
 * What a training-only app pulls in through the package (scripts/size.mjs, `npm run size`): the
 * engine and its kernels, never the page's libraries (React, recharts, zustand), its code, the
 * TensorBoard writer or the PyTorch exporter. The check itself is shown to bite on a bundle that
 * does import the TensorBoard writer.
 */
import { expect, test } from 'vitest';
// @ts-expect-error: a plain ES module script, without declarations.
import { measure, trainingApp, unwantedInputs } from '../../scripts/size.mjs';

interface Measured {
  bytes: number;
  gzip: number;
  inputs: string[];
}

test("the Vite example's training app carries the kernels, and no React, recharts or TensorBoard writer", async () => {
  const app: Measured = await trainingApp();
  expect(unwantedInputs(app.inputs)).toEqual([]);
  expect(app.inputs.filter((f) => f.endsWith('.wgsl')).length).toBeGreaterThanOrEqual(10);
  expect(app.inputs).toContain('src/train/run.ts');
  expect(app.gzip).toBeLessThan(app.bytes);
});

test('the rule bites on an app that imports the TensorBoard writer or the page', async () => {
  const writer: Measured = await measure('writer', {
    contents: "import { SummaryWriter } from 'kiln/tensorboard'; console.log(SummaryWriter);",
  });
  expect(unwantedInputs(writer.inputs)).toEqual(['src/train/tensorboard.ts']);
  expect(
    unwantedInputs(['node_modules/react-dom/index.js', 'node_modules/recharts/es6/index.js']),
  ).toHaveLength(2);
});
