import { describe, expect, it } from 'vitest';
import {
  array,
  boolean,
  count,
  didYouMean,
  type Infer,
  instance,
  json,
  lazy,
  map,
  nullable,
  number,
  object,
  oneOf,
  optional,
  read,
  record,
  type Schema,
  SchemaError,
  string,
  tagged,
  withDefault,
} from '.';

/** The one-line message a read refuses with. */
function refusal(schema: Schema<unknown>, value: unknown, root?: string): string {
  try {
    read(schema, value, root);
  } catch (e) {
    expect(e).toBeInstanceOf(SchemaError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('read accepted the value');
}

const layer = tagged(
  'type',
  {
    ReLU: {},
    LeakyReLU: { negativeSlope: withDefault(number(), 0.01) },
    Linear: { outFeatures: number({ min: 1, integer: true }), bias: withDefault(boolean(), true) },
  },
  'a layer',
);
const spec = object({ name: optional(string(100)), layers: array(layer, 1000) });

describe('objects', () => {
  it('reads into a null-prototype object with defaults filled and optional keys left out', () => {
    const s = read(
      spec,
      JSON.parse('{"layers": [{"type": "LeakyReLU"}, {"type": "Linear", "outFeatures": 3}]}'),
    );
    expect(Object.getPrototypeOf(s)).toBeNull();
    expect(Object.getPrototypeOf(s.layers[0])).toBeNull();
    expect('name' in s).toBe(false);
    expect(s).toEqual({
      layers: [
        { type: 'LeakyReLU', negativeSlope: 0.01 },
        { type: 'Linear', outFeatures: 3, bias: true },
      ],
    });
  });

  it('refuses unknown keys, with a suggestion when one is near', () => {
    expect(refusal(spec, { layers: [], nmae: 'x' }, 'spec')).toBe(
      'spec.nmae: unknown field; did you mean name?',
    );
    expect(refusal(spec, { layers: [], colour: 'x' })).toBe(
      'colour: unknown field (the fields are name, layers)',
    );
  });

  it('refuses the keys that reach a prototype, wherever they are', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const json = `{"layers": [{"type": "ReLU", "${key}": {"polluted": 1}}]}`;
      expect(refusal(spec, JSON.parse(json))).toBe(`layers[0].${key}: "${key}" is not allowed as a key`);
    }
    expect(refusal(record(count(), 10), JSON.parse('{"__proto__": 1}'), 'steps')).toBe(
      'steps.__proto__: "__proto__" is not allowed as a key',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('says which field is missing and what a wrong one is', () => {
    expect(refusal(spec, {}, 'spec')).toBe('spec.layers: missing');
    expect(refusal(spec, [], 'spec')).toBe('spec: must be an object, got a list');
    expect(refusal(spec, { layers: {} })).toBe('layers: must be a list, got an object');
  });

  it('reads an inherited property as absent, not as the value of Object.prototype', () => {
    expect(refusal(object({ toString: string(10) }), {})).toBe('toString: missing');
  });
});

describe('tagged unions', () => {
  it('names an unknown tag with the closest one, ignoring case', () => {
    const layers = { layers: [{ type: 'ReLU' }, { type: 'ReLU' }, { type: 'ReLU' }, { type: 'ReLu' }] };
    expect(refusal(spec, layers)).toBe('layers[3].type: "ReLu" is not a layer; did you mean ReLU?');
    expect(refusal(spec, { layers: [{ type: 'Conv9d' }] })).toBe('layers[0].type: "Conv9d" is not a layer');
    expect(refusal(spec, { layers: [{}] })).toBe('layers[0].type: undefined is not a layer');
    expect(refusal(spec, { layers: [{ type: 'constructor' }] })).toBe(
      'layers[0].type: "constructor" is not a layer',
    );
  });

  it("reads each variant's own fields", () => {
    expect(refusal(spec, { layers: [{ type: 'LeakyReLU', negativeSlope: 'abc' }] })).toBe(
      'layers[0].negativeSlope: must be a finite number, got "abc"',
    );
    expect(refusal(spec, { layers: [{ type: 'ReLU', outFeatures: 3 }] })).toBe(
      'layers[0].outFeatures: unknown field (the fields are type)',
    );
  });
});

describe('values', () => {
  it('words each number rule', () => {
    expect(refusal(number({ above: 0 }), 'abc', 'config.lr')).toBe(
      'config.lr: must be a positive number, got "abc"',
    );
    expect(refusal(number({ min: 0, max: 1 }), 1.5)).toBe('must be a number from 0 to 1, got 1.5');
    expect(refusal(count(), -1)).toBe('must be a non-negative integer, got -1');
    expect(refusal(count(), 2 ** 60)).toBe(`must be a non-negative integer, got ${2 ** 60}`);
    expect(refusal(number({ min: 1, integer: true }), 1.5)).toBe('must be a positive integer, got 1.5');
    expect(refusal(number({ min: 0, what: 'a momentum' }), -1)).toBe('must be a momentum, got -1');
    expect(refusal(number(), Number.NaN)).toBe('must be a finite number, got NaN');
    expect(read(number({ nonFinite: true }), Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('limits strings and lists, naming the limit', () => {
    expect(refusal(string(5), 'abcdefg', 'name')).toBe('name: must be at most 5 characters long, got 7');
    expect(refusal(string(5, { pattern: /^\d+$/, what: 'digits' }), 'x1', 'n')).toBe(
      'n: must be digits, got "x1"',
    );
    expect(refusal(array(number(), 3), [1, 2, 3, 4], 'history.loss')).toBe(
      'history.loss: must have at most 3 items, got 4',
    );
    expect(refusal(array(number(), 20), [...Array(12).fill(0), 'x'], 'history.loss')).toBe(
      'history.loss[12]: must be a finite number, got "x"',
    );
    expect(refusal(record(count(), 1), { a: 1, b: 2 })).toBe('must have at most 1 entries, got 2');
  });

  it('quotes long and multi-line values briefly, on one line', () => {
    const long = `${'x'.repeat(1000)}\n`;
    expect(refusal(boolean(), long)).toBe(`must be true or false, got "${'x'.repeat(40)}..."`);
    expect(refusal(object({}), { 'a b\n': 1 }, 'o')).toBe(
      'o["a b\\n"]: unknown field (no fields are allowed here)',
    );
  });

  it('reads enums, nullable values, instances and mapped values', () => {
    const optimizer = oneOf(['sgd', 'adam', 'rmsprop']);
    expect(refusal(optimizer, 'Adam', 'optimizer')).toBe(
      'optimizer: must be one of "sgd", "adam", "rmsprop", got "Adam"; did you mean adam?',
    );
    expect(read(nullable(number()), null)).toBeNull();
    expect(refusal(instance(Float32Array, 'a Float32Array'), [1])).toBe('must be a Float32Array, got a list');
    const even = map(number({ integer: true }), (n, refuse) => (n % 2 ? refuse('must be even') : n / 2));
    expect(read(even, 4)).toBe(2);
    expect(refusal(object({ n: even }), { n: 3 })).toBe('n: must be even');
  });
});

describe('json', () => {
  it('reads any JSON within limits into null-prototype objects', () => {
    const value = read(json(), JSON.parse('{"a": [1, "x", null, true, {"b": {}}]}')) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(value).toEqual({ a: [1, 'x', null, true, { b: {} }] });
    expect(refusal(json(3), { a: [1, 2, 3, 4] }, 'state')).toBe('state.a: must have at most 3 items, got 4');
    expect(refusal(json(), JSON.parse('{"a": {"__proto__": {}}}'))).toBe(
      'a.__proto__: "__proto__" is not allowed as a key',
    );
    expect(refusal(json(), { a: () => 0 })).toBe('a: must be an object, got a function');
  });
});

describe('recursion', () => {
  type Block = { type: 'Block'; children: Node[] } | { type: 'ReLU' };
  type Node = Block;
  const node: Schema<Node> = lazy(() =>
    tagged('type', { Block: { children: array(node, 100) }, ReLU: {} }, 'a module'),
  );

  it('reads a tree', () => {
    const tree = { type: 'Block', children: [{ type: 'ReLU' }, { type: 'Block', children: [] }] };
    expect(read(node, tree)).toEqual(tree);
    expect(
      refusal(node, { type: 'Block', children: [{ type: 'Block', children: [{ type: 'Relu' }] }] }),
    ).toBe('children[0].children[0].type: "Relu" is not a module; did you mean ReLU?');
  });

  it('refuses nesting past its depth instead of exhausting the stack', () => {
    let deep: unknown = { type: 'ReLU' };
    for (let i = 0; i < 100_000; i++) deep = { type: 'Block', children: [deep] };
    expect(refusal(node, deep)).toBe(
      'children[0].children[0].children[0]...children[0].children[0].children[0]: is nested too deeply (at most 64 levels)',
    );
  });
});

describe('didYouMean', () => {
  it('suggests near words only, ignoring case and counting a swap as one edit', () => {
    expect(didYouMean('relu', ['ReLU', 'Tanh'])).toBe('ReLU');
    expect(didYouMean('lrr', ['lr', 'epochs'])).toBe('lr');
    expect(didYouMean('sgd', ['sdg'])).toBe('sdg');
    expect(didYouMean('momentun', ['momentum', 'nesterov'])).toBe('momentum');
    expect(didYouMean('banana', ['lr', 'epochs'])).toBeUndefined();
    expect(didYouMean('x'.repeat(10_000), ['x'])).toBeUndefined();
  });
});

describe('inferred types', () => {
  it('types what a read returns', () => {
    const s: Infer<typeof spec> = read(spec, { layers: [{ type: 'Linear', outFeatures: 2 }] });
    const first = s.layers[0];
    // A compile-time check: narrowing by the tag exposes the variant's fields.
    const width: number = first.type === 'Linear' ? first.outFeatures : 0;
    const name: string | undefined = s.name;
    expect([width, name]).toEqual([2, undefined]);
  });
});
