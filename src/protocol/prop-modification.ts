/**
 * Dexie 4 property modifications (`add`, `remove`, `replacePrefix`) as they travel inside update
 * change specs. Clients read their outbox back from IndexedDB, which structured-clones the class
 * away, so the server meets them both as TSON `PropModification` values and as plain
 * `{"@@propmod": spec}` objects; both mean the same and execute with Dexie's semantics.
 */

export interface PropModSpec {
  add?: number | bigint | unknown[];
  remove?: number | bigint | unknown[];
  replacePrefix?: [string, string];
}

export const PROPMOD_KEY = '@@propmod';

export class PropModification {
  readonly [PROPMOD_KEY]: PropModSpec;

  constructor(spec: PropModSpec) {
    this[PROPMOD_KEY] = spec;
  }

  /** The new value of a property whose current value is `value`, exactly as Dexie computes it. */
  execute(value: unknown): unknown {
    const spec = this[PROPMOD_KEY];
    if (spec.add !== undefined) return addTerm(value, spec.add);
    if (spec.remove !== undefined) return removeTerm(value, spec.remove);
    const [prefix, replacement] = spec.replacePrefix ?? [];
    if (prefix && typeof value === 'string' && value.startsWith(prefix)) {
      return replacement + value.slice(prefix.length);
    }
    return value;
  }
}

function addTerm(value: unknown, term: NonNullable<PropModSpec['add']>): unknown {
  if (Array.isArray(term)) return [...(Array.isArray(value) ? value : []), ...term].sort();
  if (typeof term === 'number') return (Number(value) || 0) + term;
  if (typeof term === 'bigint') return toBigInt(value) + term;
  throw new TypeError(`Invalid term ${String(term)}`);
}

function removeTerm(value: unknown, term: NonNullable<PropModSpec['remove']>): unknown {
  if (Array.isArray(term)) {
    return Array.isArray(value) ? value.filter((item) => !term.includes(item)).sort() : [];
  }
  if (typeof term === 'number') return Number(value) - term;
  if (typeof term === 'bigint') return toBigInt(value) - term;
  throw new TypeError(`Invalid subtrahend ${String(term)}`);
}

function toBigInt(value: unknown): bigint {
  try {
    return BigInt(value as string | number | bigint);
  } catch {
    return 0n;
  }
}

/** The modification a change-spec value stands for, whether a class instance or a plain clone. */
export function asPropModification(value: unknown): PropModification | undefined {
  if (value instanceof PropModification) return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const spec = (value as Record<string, unknown>)[PROPMOD_KEY];
  if (typeof spec !== 'object' || spec === null) return undefined;
  return new PropModification(spec as PropModSpec);
}

/** A dotted key path's value, or undefined where any step is missing. */
export function getByKeyPath(obj: unknown, keyPath: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const record = obj as Record<string, unknown>;
  if (Object.hasOwn(record, keyPath)) return record[keyPath];
  const dot = keyPath.indexOf('.');
  if (dot === -1) return undefined;
  return getByKeyPath(record[keyPath.slice(0, dot)], keyPath.slice(dot + 1));
}

/**
 * Set a dotted key path the way Dexie does: intermediate objects are created, and `undefined`
 * deletes the property.
 */
export function setByKeyPath(obj: Record<string, unknown>, keyPath: string, value: unknown): void {
  const dot = keyPath.indexOf('.');
  if (dot === -1) {
    if (value === undefined) delete obj[keyPath];
    else obj[keyPath] = value;
    return;
  }
  const head = keyPath.slice(0, dot);
  let inner = obj[head];
  if (typeof inner !== 'object' || inner === null || !Object.hasOwn(obj, head)) {
    inner = {};
    obj[head] = inner;
  }
  setByKeyPath(inner as Record<string, unknown>, keyPath.slice(dot + 1), value);
}

/**
 * Apply an update change spec (`{keyPath: value | PropModification}`) to a row in place, with
 * Dexie's semantics. Returns whether anything changed.
 */
export function applyChangeSpec(row: Record<string, unknown>, changeSpec: Record<string, unknown>): boolean {
  let changed = false;
  for (const [keyPath, next] of Object.entries(changeSpec)) {
    const current = getByKeyPath(row, keyPath);
    const propMod = asPropModification(next);
    if (propMod) {
      setByKeyPath(row, keyPath, propMod.execute(current));
      changed = true;
    } else if (current !== next) {
      setByKeyPath(row, keyPath, next);
      changed = true;
    }
  }
  return changed;
}
