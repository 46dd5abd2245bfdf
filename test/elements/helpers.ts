/**
 * Helpers for the element tests: mounting, waiting for a condition, reading the shadow DOM, and an
 * axe-core audit. No timed assertions: `until` polls a condition and leaves the deadline to mocha.
 */
import type { LitElement } from 'lit';

/** Appends `el` to the document, waits for its first render, and returns it. */
export async function mount<T extends LitElement>(el: T, parent: Element = document.body): Promise<T> {
  parent.append(el);
  await el.updateComplete;
  return el;
}

/** Removes every element a test mounted (call in `afterEach`). */
export function cleanup(): void {
  for (const el of [...document.body.children]) if (el.tagName !== 'SCRIPT') el.remove();
}

/** Resolves once `condition()` returns a truthy value (checked every animation frame). */
export async function until<T>(condition: () => T | undefined | null | false): Promise<T> {
  for (;;) {
    const value = condition();
    if (value) return value;
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}

/** Fails the test with `message` unless `condition` holds. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Fails unless `actual` is `expected`, or both are objects equal as JSON (arrays, plain objects). */
export function equal(actual: unknown, expected: unknown, what = 'value'): void {
  if (Object.is(actual, expected)) return;
  const a = show(actual);
  const e = show(expected);
  if (a !== e || typeof actual !== 'object' || typeof expected !== 'object') {
    throw new Error(`${what}: expected ${e}, got ${a}`);
  }
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return `${(value as object)?.constructor?.name ?? typeof value} ${(value as { name?: string }).name ?? ''}`;
  }
}

/** `el.shadowRoot.querySelector(selector)`, typed. */
export function $<E extends Element = HTMLElement>(el: Element, selector: string): E | null {
  return el.shadowRoot!.querySelector<E>(selector);
}

export function $$<E extends Element = HTMLElement>(el: Element, selector: string): E[] {
  return [...el.shadowRoot!.querySelectorAll<E>(selector)];
}

/** Collects the events of `type` that reach `document`. Call the returned function to stop. */
export function record<E extends Event>(type: string): { events: E[]; stop(): void } {
  const events: E[] = [];
  const listener = (event: Event) => events.push(event as E);
  document.addEventListener(type, listener);
  return { events, stop: () => document.removeEventListener(type, listener) };
}

interface AxeResult {
  violations: { id: string; impact: string; help: string; nodes: { target: unknown }[] }[];
}
declare global {
  interface Window {
    axe?: { run(context: unknown, options?: unknown): Promise<AxeResult> };
  }
}

/** Loads axe-core (once) and fails with the violations it finds in `el`, shadow DOM included. */
export async function expectAccessible(el: Element): Promise<void> {
  if (!window.axe) {
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = '/node_modules/axe-core/axe.min.js';
      script.onload = () => resolve();
      script.onerror = () => reject(new Error('axe-core did not load'));
      document.head.append(script);
    });
  }
  const result = await window.axe!.run(el, { resultTypes: ['violations'] });
  const found = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`,
  );
  if (found.length) throw new Error(`axe found ${found.length} violation(s):\n${found.join('\n')}`);
}
