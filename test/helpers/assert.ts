/**
 * Small assertions for browser tests (mocha has none; this keeps the test bundle free of chai).
 * Deep equality compares structure, Dates by time, and ignores key order.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  } catch {
    return String(value);
  }
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => isDeepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export const assert = {
  ok(value: unknown, message = `expected ${show(value)} to be truthy`): asserts value {
    if (!value) throw new AssertionError(message);
  },
  equal<T>(actual: T, expected: T, message?: string): void {
    if (!Object.is(actual, expected)) throw new AssertionError(message ?? `expected ${show(actual)} to equal ${show(expected)}`);
  },
  notEqual<T>(actual: T, expected: T, message?: string): void {
    if (Object.is(actual, expected)) throw new AssertionError(message ?? `expected ${show(actual)} to differ`);
  },
  deepEqual(actual: unknown, expected: unknown, message?: string): void {
    if (!isDeepEqual(actual, expected)) {
      throw new AssertionError(message ?? `expected ${show(actual)} to deeply equal ${show(expected)}`);
    }
  },
  match(actual: string, pattern: RegExp, message?: string): void {
    if (!pattern.test(actual)) throw new AssertionError(message ?? `expected ${show(actual)} to match ${pattern}`);
  },
  /** Await `promise` and return its rejection, failing if it resolves. */
  async rejects(promise: Promise<unknown> | (() => unknown), message = 'expected a rejection'): Promise<Error & { code?: string }> {
    try {
      await (typeof promise === 'function' ? promise() : promise);
    } catch (error) {
      return error as Error & { code?: string };
    }
    throw new AssertionError(message);
  },
  throws(fn: () => unknown, message = 'expected an exception'): Error & { code?: string } {
    try {
      fn();
    } catch (error) {
      return error as Error & { code?: string };
    }
    throw new AssertionError(message);
  },
};
