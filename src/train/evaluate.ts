/**
 * The guide's validation pass: eval mode, no gradients, mean loss per sample and accuracy; plus
 * per-class accuracy, a confusion matrix and the misclassified samples, for the UI. Losses and
 * predictions stay on the device until one read at the end.
 */
import { F, noGrad } from '../autograd';
import type { DataLoader } from '../data/dataloader';
import type { Module } from '../nn/module';
import * as ops from '../tensor/ops';
import { type Tensor, type Tidyable, tidy } from '../tensor/tensor';

/** What a validation or test pass measured. */
export interface EvalResult {
  /** Mean cross-entropy per sample (per position, for a model that predicts at every position). */
  loss: number;
  /** Fraction correct, 0..1. */
  accuracy: number;
  samples: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  /** Accuracy per true class (NaN-free: 0 for classes absent from the set). */
  perClassAccuracy: number[];
  /** Up to `keepMisclassified` wrong predictions, by position in the loader's order. */
  misclassified: { position: number; predicted: number; label: number }[];
}

/** Evaluates a classifier on every batch of a loader (which should not shuffle). */
export async function evaluate(
  model: Module,
  loader: DataLoader,
  numClasses: number,
  keepMisclassified = 64,
): Promise<EvalResult> {
  const wasTraining = model.training;
  model.eval();
  const kept: { pred: Tensor; label: Tensor }[] = [];
  let lossSum: Tensor | null = null;
  try {
    for (const [x, y] of loader) {
      noGrad(() =>
        tidy(() => {
          const logits = model.forward(x);
          const loss = F.crossEntropy(logits, y, { reduction: 'sum' });
          const next = lossSum ? ops.binary('add', lossSum, loss) : loss;
          lossSum?.dispose();
          lossSum = next.keep();
          // The class is the last dim: a sequence model's [B, T, V] scores every position.
          kept.push({ pred: F.argmax(logits, -1).keep(), label: ops.clone(y).keep() });
        }),
      );
      x.backend.flush();
      // After the first batch, the autotuner times the shapes it brought (a no-op once tuned).
      if (kept.length === 1) await x.backend.tune();
    }
    if (!lossSum) throw new Error('evaluate: the loader gave no batches');
    const total = await (lossSum as Tensor).item();
    const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
    const misclassified: EvalResult['misclassified'] = [];
    let position = 0;
    let correct = 0;
    // Every batch's predictions and labels are read back together: one wait, not one per batch.
    const read = await Promise.all(kept.map(({ pred, label }) => Promise.all([pred.data(), label.data()])));
    for (const [p, l] of read) {
      for (let i = 0; i < p.length; i++, position++) {
        confusion[l[i]][p[i]]++;
        if (p[i] === l[i]) correct++;
        else if (misclassified.length < keepMisclassified)
          misclassified.push({ position, predicted: p[i], label: l[i] });
      }
    }
    const perClassAccuracy = confusion.map((row, c) => {
      const n = row.reduce((a, b) => a + b, 0);
      return n ? row[c] / n : 0;
    });
    return {
      loss: total / position,
      accuracy: correct / position,
      samples: position,
      confusion,
      perClassAccuracy,
      misclassified,
    };
  } finally {
    (lossSum as Tensor | null)?.dispose();
    for (const k of kept) {
      k.pred.dispose();
      k.label.dispose();
    }
    model.train(wasTraining);
  }
}

/** Runs `f` with `model` in eval mode, without gradients, inside tidy; the model's mode is restored. */
export function evaluating<T extends Tidyable>(model: Module, f: () => T): T {
  const wasTraining = model.training;
  return noGrad(() =>
    tidy(() => {
      model.eval();
      try {
        return f();
      } finally {
        model.train(wasTraining);
      }
    }),
  );
}
