import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import type { DxcPersistedSyncStateLike, DxcSyncStateLike, DxcUserLike } from './cloud-like.js';
import { ObservableController } from './controllers/observable-controller.js';
import { DxcElement } from './dxc-element.js';
import { syncIndicatorStyles } from './dxc-sync-indicator.styles.js';
import { DxcErrorEvent, DxcSyncStateChangeEvent } from './events.js';
import { indicatorStateOf, unsyncedChangesOf } from './sync-status.js';
import type { DxcSyncIndicatorState } from './sync-status.js';
import { themeStyles } from './theme.styles.js';

const LABELS: Record<DxcSyncIndicatorState, string> = {
  offline: 'Offline',
  connecting: 'Connecting…',
  pushing: 'Uploading changes…',
  pulling: 'Downloading changes…',
  'in-sync': 'Synced',
  error: 'Sync error',
  'needs-auth': 'Log in to sync',
};

/** Glyphs beside the colour, so that the state never depends on colour alone. */
const ICONS: Record<DxcSyncIndicatorState, string> = {
  offline: '×',
  connecting: '…',
  pushing: '↑',
  pulling: '↓',
  'in-sync': '✓',
  error: '!',
  'needs-auth': '?',
};

/**
 * Shows how the database stands with the server: the sync phase and status, the number of local
 * changes not yet synced, when the last sync succeeded, a progress bar during an initial or large
 * sync, and the error text on hover and focus. State changes are announced politely (`role=status`).
 *
 * @summary The sync status of a dxc database.
 * @tagname dxc-sync-indicator
 *
 * @fires {DxcSyncStateChangeEvent} dxc-sync-state-change - `state` changed. `detail.state`, `detail.previousState`.
 * @fires {DxcErrorEvent} dxc-error - The indicator entered the `error` state. `detail.message` is the error text.
 *
 * @csspart base - The wrapper; focusable, described by the details.
 * @csspart icon - The round state icon.
 * @csspart label - The state text (`role=status`); visually hidden in the compact variant.
 * @csspart count - The number of unsynced changes (absent when zero).
 * @csspart time - The time of the last successful sync (full variant).
 * @csspart progress - The `<progress>` bar during an initial or large sync.
 * @csspart details - The details shown on hover and focus (error text; in the compact variant also the state and time).
 *
 * @cssprop --dxc-sync-indicator-size - The icon's diameter. Default `1.25rem`.
 */
export class DxcSyncIndicator extends DxcElement {
  static override styles = [themeStyles, syncIndicatorStyles];

  /** `full` shows the text, count and time; `compact` only the icon and the count, with the rest on hover and focus. */
  @property({ reflect: true }) variant: 'full' | 'compact' = 'full';

  /**
   * The state shown, reflected as an attribute for styling (`dxc-sync-indicator[state=error]`).
   * Read-only: it is computed from the database.
   */
  @property({ reflect: true }) state: DxcSyncIndicatorState = 'connecting';

  /** Whether `state` came from the database yet; the first one is not a change. */
  private settled = false;

  private readonly sync = new ObservableController<DxcSyncStateLike>(this, () => this.boundDb?.cloud.syncState);
  private readonly user = new ObservableController<DxcUserLike>(this, () => this.boundDb?.cloud.currentUser);
  private readonly persisted = new ObservableController<DxcPersistedSyncStateLike | undefined>(
    this,
    () => this.boundDb?.cloud.persistedSyncState,
  );
  private readonly unsynced = new ObservableController<number>(this, () => {
    const db = this.boundDb;
    return db && unsyncedChangesOf(db);
  });

  protected override willUpdate(): void {
    const sync = this.sync.value;
    const requireAuth = !!this.boundDb?.cloud.options?.requireAuth;
    const next = indicatorStateOf(sync, this.user.value, requireAuth);
    const previous = this.state;
    this.state = next;
    if (!sync) return;
    if (this.settled && next !== previous) {
      this.dispatchEvent(new DxcSyncStateChangeEvent({ state: next, previousState: previous }));
      if (next === 'error') {
        this.dispatchEvent(new DxcErrorEvent({ message: this.errorText(), code: sync.error?.code, error: sync.error }));
      }
    }
    this.settled = true;
  }

  protected override render(): TemplateResult {
    const { state } = this;
    const compact = this.variant === 'compact';
    const count = this.unsynced.value ?? 0;
    const plural = new Intl.PluralRules(this.locale()).select(count);
    const countText = this.text(`unsynced.${plural}`, plural === 'one' ? '{count} unsynced change' : '{count} unsynced changes', {
      count,
    });
    const timestamp = this.persisted.value?.timestamp;
    const time = timestamp
      ? html`<time part="time" datetime=${timestamp.toISOString()}
          >${this.text('last-sync', 'Last synced {time}', { time: this.formatTime(timestamp) })}</time
        >`
      : nothing;
    const label = this.text(`state.${state}`, LABELS[state]);
    const error = state === 'error' || state === 'needs-auth' || state === 'offline' ? this.errorText() : '';
    const progress = this.progressValue();
    return html`<div part="base" tabindex="0" aria-describedby="details">
      <span part="icon" aria-hidden="true">${ICONS[state]}</span>
      <span part="label" role="status" class=${compact ? 'hidden-text' : ''}>${label}</span>
      ${count
        ? html`<span part="count"
            >${compact
              ? html`<span aria-hidden="true">${count}</span><span class="hidden-text">${countText}</span>`
              : countText}</span
          >`
        : nothing}
      ${compact ? nothing : time}
      ${progress === false
        ? nothing
        : html`<progress part="progress" max="100" value=${progress ?? nothing}
            aria-label=${this.text('progress', 'Sync progress')}></progress>`}
      <span part="details" id="details" role="tooltip" ?hidden=${!error && !compact}>
        ${compact ? html`<span>${label}</span>` : nothing}
        ${error ? html`<span>${error}</span>` : nothing}
        ${compact ? time : nothing}
      </span>
    </div>`;
  }

  /**
   * The bar's value: a number when the client reports progress, `undefined` (indeterminate) during
   * the first sync of this database, and `false` (no bar) otherwise.
   */
  private progressValue(): number | undefined | false {
    const state = this.state;
    if (state !== 'pushing' && state !== 'pulling' && state !== 'connecting') return false;
    const progress = this.sync.value?.progress;
    if (typeof progress === 'number') return progress;
    return this.persisted.value?.initiallySynced ? false : undefined;
  }

  private errorText(): string {
    return this.sync.value?.error?.message ?? this.persisted.value?.error ?? '';
  }

  /** The language of the page around the element, for numbers, plurals and times. */
  private locale(): string | undefined {
    return this.closest('[lang]')?.getAttribute('lang') || undefined;
  }

  private formatTime(date: Date): string {
    const sameDay = date.toDateString() === new Date().toDateString();
    return new Intl.DateTimeFormat(this.locale(), sameDay ? { timeStyle: 'short' } : { dateStyle: 'short', timeStyle: 'short' }).format(date);
  }
}

if (!customElements.get('dxc-sync-indicator')) customElements.define('dxc-sync-indicator', DxcSyncIndicator);

declare global {
  interface HTMLElementTagNameMap {
    'dxc-sync-indicator': DxcSyncIndicator;
  }
}
