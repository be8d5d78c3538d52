/**
 * `kiln/export`: a run as a plain PyTorch `train.py` (the same model, data handling, loss, optimizer,
 * scheduler and clipping) that loads Kiln's state dict with `strict=True`. Loads no tensor code.
 *
 * @module kiln/export
 */
export { exportPytorch } from '../train/export_pytorch';
