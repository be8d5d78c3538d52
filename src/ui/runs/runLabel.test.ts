import { describe, expect, it } from 'vitest';
import { encodeSafetensors, safetensorsMetadata } from '../../train/safetensors';
import { labelled, RUN_LABEL_KEY, readRunLabel } from './runLabel';
import { MAX_RUN_NAME } from './storedRun';

const file = encodeSafetensors(
  { b: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) } },
  { kept: 'yes' },
);
const withLabel = (json: string) => encodeSafetensors({}, { [RUN_LABEL_KEY]: json });

describe('run labels in downloaded files', () => {
  it('comes back as written, the rest of the metadata kept', () => {
    const bytes = labelled(file, { name: 'résumé run 😀', createdAt: 1234 });
    expect(readRunLabel(bytes)).toEqual({ name: 'résumé run 😀', createdAt: 1234 });
    expect(safetensorsMetadata(bytes).kept).toBe('yes');
    // Bytes that are not safetensors go out as they are.
    const damaged = Uint8Array.of(1, 2, 3);
    expect(labelled(damaged, { name: 'x', createdAt: 1 })).toBe(damaged);
  });

  it('reads none from a file without one, or with one that is damaged, edited or blank', () => {
    expect(readRunLabel(file)).toBeNull();
    expect(readRunLabel(Uint8Array.of(1, 2, 3))).toBeNull();
    for (const json of ['{', '{"name":"x"}', '{"name":"x","createdAt":-1}', '{"name":"  ","createdAt":1}'])
      expect(readRunLabel(withLabel(json))).toBeNull();
    expect(readRunLabel(withLabel('{"name":"x","createdAt":1,"more":2}'))).toBeNull();
  });

  it('cuts a long name to the longest a run record keeps', () => {
    const name = 'ab'.repeat(MAX_RUN_NAME / 2) + '😀'.repeat(MAX_RUN_NAME / 2);
    expect(readRunLabel(withLabel(JSON.stringify({ name, createdAt: 1 })))?.name).toBe(
      'ab'.repeat(MAX_RUN_NAME / 2),
    );
  });
});
