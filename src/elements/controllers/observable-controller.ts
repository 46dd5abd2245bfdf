import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ObservableLike, UnsubscribableLike } from '../cloud-like.js';

/**
 * Binds a host element to one observable: subscribes while the host is connected, keeps the latest
 * value in `value`, re-renders the host on each emission and unsubscribes on disconnect.
 *
 * `source` is asked again before every render, so when the host binds another database (a new
 * `.db`, context value or default db) the controller drops the old subscription and follows the
 * new observable. `source` must return the same instance for the same database, or the controller
 * would resubscribe on every render.
 */
export class ObservableController<T> implements ReactiveController {
  /** The latest value, or `undefined` before the first emission or with no database bound. */
  value: T | undefined;
  private current: ObservableLike<T> | undefined;
  private subscription: UnsubscribableLike | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly source: () => ObservableLike<T> | undefined,
    /** Called with each new value (not a repeat of the current one) and the one before it, before the host re-renders. */
    private readonly onValue?: (value: T, previous: T | undefined) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.bind();
  }

  hostUpdate(): void {
    this.bind();
  }

  hostDisconnected(): void {
    this.subscription?.unsubscribe();
    this.subscription = this.current = undefined;
  }

  private bind(): void {
    const next = this.source();
    if (next === this.current) return;
    this.hostDisconnected();
    this.current = next;
    this.value = undefined;
    if (!next) return;
    this.value = next.getValue?.();
    this.subscription = next.subscribe({
      next: (value) => {
        const previous = this.value;
        // A BehaviorSubject replays the value `getValue()` already gave: not a change.
        if (value === previous) return;
        this.value = value;
        this.onValue?.(value, previous);
        this.host.requestUpdate();
      },
      // A failing observable (e.g. a liveQuery on a deleted db) leaves the last value on screen.
      error: () => {},
    });
  }
}
