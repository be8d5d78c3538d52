/**
 * Opening a setup (the builder's model and the form's settings): from a shared link, from the one
 * kept in this browser, or from a run. Whatever cannot be read leaves the page as it was.
 */
import type { StateCreator } from 'zustand';
import type { KilnState } from './index';
import { decodeSetup, readDatasetChoice, readDatasetSettings, readSetup, type Setup } from './setup';

/** The setup actions. */
export interface SetupActions {
  /** The builder's model and the form's settings as they stand. */
  currentSetup: () => Setup;
  /** Puts a model in the builder and settings in the form. */
  applySetup: (setup: Setup) => void;
  /**
   * Opens the page's setup: a link's (its hash's `setup`, encoded) first, else the one kept in this
   * browser (`saved`, JSON). A bad link is named in a notice; a bad saved setup is dropped quietly.
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
    try {
      get().applySetup(readSetup(kept));
    } catch {
      // A setup kept by an older version, or edited by hand: the defaults stand.
    }
  },
});
