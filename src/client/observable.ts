/**
 * A minimal observable without rxjs. `ValueSubject` behaves like rxjs' BehaviorSubject for the parts
 * apps use: `subscribe` (a function or an observer) returns `{unsubscribe}`, `getValue()`/`value`
 * hold the current value, and `Symbol.observable`/`'@@observable'` make rxjs `from()` and
 * dexie-react-hooks' `useObservable` accept it.
 */

export interface Observer<T> {
  next?(value: T): void;
  error?(error: unknown): void;
  complete?(): void;
}

export interface Subscription {
  unsubscribe(): void;
  readonly closed: boolean;
}

/** The interop symbol: the real one where a polyfill defined it, rxjs' fallback string otherwise. */
const OBSERVABLE_KEY: symbol | '@@observable' =
  (typeof Symbol === 'function' && (Symbol as { observable?: symbol }).observable) || '@@observable';

/** Events without a current value (e.g. `events.syncComplete`). */
export class Subject<T> {
  protected readonly observers = new Set<Observer<T>>();

  subscribe(observerOrNext?: Observer<T> | ((value: T) => void) | null): Subscription {
    const observer: Observer<T> =
      typeof observerOrNext === 'function' ? { next: observerOrNext } : (observerOrNext ?? {});
    this.observers.add(observer);
    this.onSubscribe(observer);
    const observers = this.observers;
    return {
      unsubscribe: () => void observers.delete(observer),
      get closed() {
        return !observers.has(observer);
      },
    };
  }

  protected onSubscribe(_observer: Observer<T>): void {}

  next(value: T): void {
    // Copy first: an observer may unsubscribe (or subscribe another) while being notified.
    for (const observer of [...this.observers]) {
      try {
        observer.next?.(value);
      } catch (error) {
        // One faulty subscriber must not starve the others; report it asynchronously like rxjs.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

}

export interface Subject<T> {
  [Symbol.observable](): Subject<T>;
  '@@observable'(): Subject<T>;
}
for (const key of new Set([OBSERVABLE_KEY, '@@observable'])) {
  Object.defineProperty(Subject.prototype, key, {
    value(this: unknown) {
      return this;
    },
  });
}

/** An observable with a current value, delivered synchronously to every new subscriber. */
export class ValueSubject<T> extends Subject<T> {
  #value: T;

  constructor(value: T) {
    super();
    this.#value = value;
  }

  get value(): T {
    return this.#value;
  }

  getValue(): T {
    return this.#value;
  }

  /** rxjs' `BehaviorSubject` exposes this; dexie-react-hooks reads it. */
  get hasValue(): boolean {
    return true;
  }

  protected override onSubscribe(observer: Observer<T>): void {
    observer.next?.(this.#value);
  }

  override next(value: T): void {
    this.#value = value;
    super.next(value);
  }
}

declare global {
  interface SymbolConstructor {
    readonly observable: symbol;
  }
}
