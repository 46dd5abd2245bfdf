/**
 * TSON: the JSON dialect of Dexie Cloud's `/sync` and WebSocket messages. Values JSON cannot hold
 * become `{"$t": type, ...}` objects, and user keys that start with `$` are escaped by doubling the
 * `$` (so `$t` stays reserved). dxc writes and reads the same text as `dexie-cloud-common`'s
 * TypesonSimplified with the addon's type set; test/protocol/tson.test.ts holds the two against
 * each other.
 *
 * Decoding is strict: nesting deeper than MAX_DEPTH, prototype-polluting keys and unknown `$t`
 * types are refused with a typed DxcError rather than passed through.
 */
import { b64lexToBytes, base64ToBytes, bytesToB64lex, bytesToBase64 } from './b64lex.js';
import { DxcError } from './errors.js';
import { FORBIDDEN_KEYS, MAX_DEPTH } from './limits.js';
import { PROPMOD_KEY, PropModification, type PropModSpec } from './prop-modification.js';

/** A Blob's bytes, decoded synchronously; pages turn it into a real `Blob` where they need one. */
export class TsonBlob {
  constructor(
    readonly bytes: Uint8Array,
    readonly type: string,
  ) {}
}

/** A File's bytes and metadata (see TsonBlob). */
export class TsonFile extends TsonBlob {
  constructor(
    bytes: Uint8Array,
    type: string,
    readonly name: string,
    readonly lastModified: number,
  ) {
    super(bytes, type);
  }
}

const TYPED_ARRAYS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Serialize a value to TSON text. */
export function encodeTson(value: unknown): string {
  return JSON.stringify(toWire(value, 0));
}

/** Parse TSON text. Throws DxcError `invalid-tson`, `too-deep` or `forbidden-key`. */
export function decodeTson(text: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DxcError('invalid-tson', `Malformed TSON: ${(error as Error).message}`, { cause: error });
  }
  return fromWire(json, 0);
}

function toWire(value: unknown, depth: number): Json | undefined {
  if (depth > MAX_DEPTH) throw new DxcError('too-deep', `Value nests deeper than ${MAX_DEPTH} levels`);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : { $t: 'number', v: String(value) };
    case 'bigint':
      return { $t: 'bigint', v: value.toString() };
    case 'undefined':
      return { $t: 'undefined' };
    case 'function':
    case 'symbol':
      return undefined; // omitted, as JSON.stringify does
  }
  if (value === null) return null;
  const object = value as object;
  if (Array.isArray(object)) return object.map((item) => toWire(item, depth + 1) ?? null);
  if (object instanceof Date) {
    return { $t: 'Date', v: Number.isNaN(object.getTime()) ? 'NaN' : object.toISOString() };
  }
  if (object instanceof Set) return { $t: 'Set', v: [...object].map((item) => toWire(item, depth + 1) ?? null) };
  if (object instanceof Map) {
    return {
      $t: 'Map',
      v: [...object].map(([k, v]) => [toWire(k, depth + 2) ?? null, toWire(v, depth + 2) ?? null]),
    };
  }
  if (object instanceof ArrayBuffer) return { $t: 'ArrayBuffer', v: bytesToB64lex(new Uint8Array(object)) };
  if (ArrayBuffer.isView(object)) {
    const bytes = new Uint8Array(object.buffer, object.byteOffset, object.byteLength);
    return { $t: object.constructor.name, v: bytesToB64lex(bytes) };
  }
  if (object instanceof TsonFile) {
    return {
      $t: 'File',
      v: bytesToBase64(object.bytes),
      type: object.type,
      name: object.name,
      // The addon writes lastModified as ISO text, and reads it back with `new Date(...)`.
      lastModified: new Date(object.lastModified).toISOString(),
    };
  }
  if (object instanceof TsonBlob) return { $t: 'Blob', v: bytesToBase64(object.bytes), type: object.type };
  const proto = Object.getPrototypeOf(object) as unknown;
  if (proto !== Object.prototype && proto !== null && PROPMOD_KEY in object) {
    // Dexie's PropModification class (a plain {"@@propmod"} clone is sent as a plain object).
    const spec = (object as { [PROPMOD_KEY]: PropModSpec })[PROPMOD_KEY];
    return { ...(toWire(spec, depth + 1) as Record<string, Json>), $t: 'PropModification' };
  }
  const out: Record<string, Json> = {};
  for (const [key, item] of Object.entries(object)) {
    const wire = toWire(item, depth + 1);
    if (wire !== undefined) out[key.startsWith('$') ? `$${key}` : key] = wire;
  }
  return out;
}

function fromWire(json: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new DxcError('too-deep', `Document nests deeper than ${MAX_DEPTH} levels`);
  if (typeof json !== 'object' || json === null) return json;
  if (Array.isArray(json)) return json.map((item) => fromWire(item, depth + 1));
  const record = json as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (FORBIDDEN_KEYS.has(key)) throw new DxcError('forbidden-key', `Forbidden key ${JSON.stringify(key)}`);
  }
  const type = record.$t;
  if (type !== undefined) return reviveTyped(type, record, depth);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) {
    const name = key.startsWith('$') ? key.slice(1) : key;
    if (FORBIDDEN_KEYS.has(name)) throw new DxcError('forbidden-key', `Forbidden key ${JSON.stringify(name)}`);
    out[name] = fromWire(item, depth + 1);
  }
  return out;
}

function reviveTyped(type: unknown, record: Record<string, unknown>, depth: number): unknown {
  const v = record.v;
  const text = (): string => {
    if (typeof v !== 'string') throw new DxcError('invalid-tson', `TSON ${String(type)} needs a string "v"`);
    return v;
  };
  const list = (): unknown[] => {
    if (!Array.isArray(v)) throw new DxcError('invalid-tson', `TSON ${String(type)} needs an array "v"`);
    return v.map((item) => fromWire(item, depth + 2));
  };
  try {
    switch (type) {
      case 'undefined':
        return undefined;
      case 'number':
        return Number(text());
      case 'bigint':
        return BigInt(text());
      case 'Date':
        return new Date(text() === 'NaN' ? NaN : Date.parse(text()));
      case 'Set':
        return new Set(list());
      case 'Map':
        return new Map(
          list().map((entry) => {
            if (!Array.isArray(entry) || entry.length !== 2) {
              throw new DxcError('invalid-tson', 'TSON Map entries must be [key, value] pairs');
            }
            return entry as [unknown, unknown];
          }),
        );
      case 'ArrayBuffer':
        return copyBuffer(b64lexToBytes(text()));
      case 'DataView':
        return new DataView(copyBuffer(b64lexToBytes(text())));
      case 'Blob':
        return new TsonBlob(base64ToBytes(text()), String(record.type ?? ''));
      case 'File':
        return new TsonFile(
          base64ToBytes(text()),
          String(record.type ?? ''),
          String(record.name ?? ''),
          new Date((record.lastModified as string | number | undefined) ?? 0).getTime(),
        );
      case 'PropModification': {
        const { $t: _tag, ...spec } = record;
        return new PropModification(fromWire(spec, depth + 1) as PropModSpec);
      }
    }
    if (typeof type === 'string' && Object.hasOwn(TYPED_ARRAYS, type)) {
      const Ctor = TYPED_ARRAYS[type as TypedArrayName];
      return new Ctor(copyBuffer(b64lexToBytes(text())));
    }
  } catch (error) {
    if (error instanceof DxcError) throw error;
    throw new DxcError('invalid-tson', `Invalid TSON ${String(type)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  throw new DxcError('invalid-tson', `Unknown TSON type ${JSON.stringify(type)}`);
}

function copyBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
