/**
 * Opening a setup (the builder's model and the form's settings): from a shared link, from the one
 * kept in this browser, or from a run. Whatever cannot be read leaves the page as it was.
 */
import type { StateCreator } from 'zustand';
import type { KilnState } from './index';
import { decodeSetup, readDatasetChoice, readDatasetSettings, readDraft, type Setup } from './setup';

/** The setup actions. */
export interface SetupActions {
  /** The builder's model and the form's settings as they stand. */
  currentSetup: () => Setup;
  /** Puts a model in the builder and settings in the form. */
  applySetup: (setup: Setup) => void;
  /**
   * Opens the page's setup: a link's (its hash's `setup`, encoded) first, else the one kept in this
   * browser (`saved`, JSON). A bad link is named in a notice. The saved setup is the page's own
   * draft: its model comes back as it was left, a layer that does not fit included (named in a
   * notice; the builder marks it), and its settings one by one; only what cannot be read at all
   * (an older version's, edited by hand) is dropped, quietly, for the defaults.
   * The dataset chosen is always this browser's (`saved`), to load when the worker starts.
   */
  restoreSetup: (linked: string | null, saved: string | null) => void;
}

/** Creates the setup actions. */
export const createSetupActions: StateCreator<KilnState, [], [], SetupActions> = (set, get) => ({
  currentSetup: () => ({
    model: get().spec,
    config: get().config,
    dataset: get().datasetChoice,
    datasetSettings: get().datasetSettings,
  }),
  applySetup: ({ model, config }) => {
    get().loadSpec(model);
    set({ config });
  },
  restoreSetup: (linked, saved) => {
    let kept: unknown = null;
    try {
      kept = saved === null ? null : JSON.parse(saved);
    } catch {
      // Not JSON: nothing kept to read.
    }
    const dataset = readDatasetChoice(kept);
    // The kept config's per-dataset values are the kept dataset's (MNIST's in a setup that names none).
    if (dataset) set({ datasetChoice: dataset });
    set({ datasetSettings: readDatasetSettings(kept) });
    if (linked !== null) {
      try {
        return get().applySetup(decodeSetup(linked));
      } catch (e) {
        get().setNotice({
          kind: 'warn',
          title: "This link's setup could not be opened",
          message: `${e instanceof Error ? e.message : String(e)}. The model and settings were left as they were.`,
        });
      }
    }
    if (kept === null) return;
    const draft = readDraft(kept);
    if (draft.model) get().loadSpec(draft.model);
    if (draft.config) set({ config: draft.config });
    if (draft.modelProblem)
      get().setNotice({
        kind: 'warn',
        title: 'Your model was kept as you left it, with a problem',
        message: `${draft.modelProblem}. Fix it in the builder (the layer is marked) to train it.`,
      });
  },
});
