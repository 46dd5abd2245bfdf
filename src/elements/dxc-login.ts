import { html, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { query, state } from 'lit/decorators.js';
import { keyed } from 'lit/directives/keyed.js';
import type { DxcFieldLike, DxcUserInteractionLike, DxcUserLike } from './cloud-like.js';
import { ObservableController } from './controllers/observable-controller.js';
import { DxcElement } from './dxc-element.js';
import { loginStyles } from './dxc-login.styles.js';
import { DxcErrorEvent, DxcLoginEvent, DxcLogoutEvent } from './events.js';
import { isLoggedIn } from './sync-status.js';
import { themeStyles } from './theme.styles.js';

/** Labels used when neither the app's `strings` nor the client name a field. */
const FIELD_LABELS: Record<string, string> = { email: 'Email address', otp: 'One-time code' };

/** Prompt types whose answer ends the flow: no request follows that could bring another prompt, so no busy state. */
const ENDS_FLOW = new Set(['message-alert', 'logout-confirmation']);

/**
 * The login dialog: renders whatever `db.cloud.userInteraction` asks (an email address, a one-time
 * code, a message, a logout confirmation, or any other prompt generically from its `fields`,
 * `options` and `alerts`) in a native modal `<dialog>`, and answers it.
 *
 * Loading `dxc/elements` (or `dist/dxc.js`) mounts one `<dxc-login>` into `document.body` for the
 * default db unless its options say `customLoginGui: true`; with `customLoginGui: true` the app
 * places `<dxc-login>` itself, wherever and however styled it likes.
 *
 * @summary The login dialog, driven by `db.cloud.userInteraction`.
 * @tagname dxc-login
 *
 * @fires {DxcLoginEvent} dxc-login - The current user changed from anonymous to logged in. `detail.user`.
 * @fires {DxcLogoutEvent} dxc-logout - The current user changed from logged in to anonymous. `detail.user` is the previous user.
 * @fires {DxcErrorEvent} dxc-error - A prompt arrived with an error alert. `detail.code` is its `messageCode`.
 *
 * @slot header - Above the title, e.g. the app's logo.
 * @slot footer - Below the buttons, e.g. a privacy note.
 *
 * @csspart base - The native `<dialog>`.
 * @csspart title - The prompt's title (`<h2>`).
 * @csspart alert - Each alert (`role=alert`); also `alert-error`, `alert-warning` or `alert-info`.
 * @csspart options - The row of option buttons (e.g. OAuth providers).
 * @csspart option - Each option button.
 * @csspart form - The `<form>`.
 * @csspart field - Each field's `<label>` wrapper.
 * @csspart label - Each field's label text.
 * @csspart input - Each `<input>`.
 * @csspart actions - The row of buttons.
 * @csspart submit - The submit button.
 * @csspart cancel - The cancel button.
 * @csspart busy - The "please wait" status shown while a request runs.
 *
 * @cssprop --dxc-login-max-width - The dialog's width limit. Default `24rem`.
 * @cssprop --dxc-login-backdrop - The backdrop behind the modal. Default `rgb(0 0 0 / 0.45)`.
 */
export class DxcLogin extends DxcElement {
  static override styles = [themeStyles, loginStyles];

  /** True from a submission until the client answers with a new prompt, a login or nothing more to ask. */
  @state() private busy = false;
  /** The prompt on screen; kept while busy, because the client clears `userInteraction` on submit. */
  private shown?: DxcUserInteractionLike;
  /** The prompt that focus was last moved into. */
  private focusedFor?: DxcUserInteractionLike;
  @query('dialog') private dialog!: HTMLDialogElement;

  private readonly interaction = new ObservableController(
    this,
    () => this.boundDb?.cloud.userInteraction,
    (next) => {
      if (!next) return;
      this.busy = false;
      for (const alert of next.alerts) {
        if (alert.type === 'error') {
          this.dispatchEvent(
            new DxcErrorEvent({ message: this.alertText(alert), code: alert.messageCode }),
          );
        }
      }
    },
  );

  private readonly user = new ObservableController<DxcUserLike>(
    this,
    () => this.boundDb?.cloud.currentUser,
    (user, previous) => {
      // The first value after start-up is not a change: `previous` is the loading placeholder then.
      if (!previous || previous.isLoading || user.isLoading) return;
      if (!isLoggedIn(previous) && isLoggedIn(user)) {
        this.busy = false;
        this.dispatchEvent(new DxcLoginEvent({ user }));
      } else if (isLoggedIn(previous) && !isLoggedIn(user)) {
        this.dispatchEvent(new DxcLogoutEvent({ user: previous }));
      }
    },
  );

  protected override willUpdate(): void {
    const current = this.interaction.value;
    if (current) this.shown = current;
    else if (!this.busy) this.shown = undefined;
  }

  protected override render(): TemplateResult {
    const prompt = this.shown;
    return html`<dialog part="base" aria-labelledby="title" @cancel=${this.onCancelKey} @close=${this.onClose}>
      <slot name="header"></slot>
      ${prompt ? keyed(prompt, this.renderPrompt(prompt)) : nothing}
      <slot name="footer"></slot>
    </dialog>`;
  }

  private renderPrompt(prompt: DxcUserInteractionLike): TemplateResult {
    const { type } = prompt;
    const fields = Object.entries(prompt.fields ?? {});
    const cancel = prompt.cancelLabel;
    return html`<h2 id="title" part="title">${this.text(`${type}.title`, prompt.title)}</h2>
      ${prompt.alerts.map(
        (alert) => html`<p part="alert alert-${alert.type}" role="alert">${this.alertText(alert)}</p>`,
      )}
      ${prompt.options?.length
        ? html`<div part="options">
            ${prompt.options.map(
              (option) =>
                html`<button part="option" type="button" ?disabled=${this.busy}
                  @click=${() => this.submit(prompt, { [option.name]: option.value })}>
                  ${option.iconUrl ? html`<img src=${option.iconUrl} alt="" />` : nothing}
                  ${this.text(`option.${option.value}`, option.displayName)}
                </button>`,
            )}
          </div>`
        : nothing}
      <form part="form" aria-busy=${this.busy} @submit=${(event: SubmitEvent) => this.onSubmit(event, prompt)}>
        ${fields.map(([name, field], index) => this.renderField(name, field, index === 0))}
        <div part="actions">
          ${cancel
            ? html`<button part="cancel" type="button" @click=${() => this.cancel(prompt)}>
                ${this.text(`${type}.cancel`, cancel)}
              </button>`
            : nothing}
          <button part="submit" class="primary" ?disabled=${this.busy} ?autofocus=${!fields.length}>
            ${this.text(`${type}.submit`, prompt.submitLabel)}
          </button>
        </div>
      </form>
      <p part="busy" role="status">${this.busy ? this.text('busy', 'Please wait…') : nothing}</p>`;
  }

  private renderField(name: string, field: DxcFieldLike, first: boolean): TemplateResult {
    const otp = field.type === 'otp' || name === 'otp';
    const email = field.type === 'email' || name === 'email';
    return html`<label part="field">
      <span part="label">${this.text(`field.${name}`, field.label ?? FIELD_LABELS[name] ?? name)}</span>
      <input
        part="input"
        name=${name}
        type=${email ? 'email' : field.type === 'password' ? 'password' : 'text'}
        autocomplete=${otp ? 'one-time-code' : email ? 'email' : field.type === 'password' ? 'current-password' : 'off'}
        inputmode=${otp ? 'numeric' : nothing}
        placeholder=${this.text(`placeholder.${name}`, field.placeholder ?? '')}
        ?readonly=${this.busy}
        ?autofocus=${first}
        required
      />
    </label>`;
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    const dialog = this.dialog;
    if (this.shown && !dialog.open) {
      dialog.showModal();
    } else if (!this.shown && dialog.open) {
      dialog.close();
    } else if (this.shown && this.shown !== this.focusedFor) {
      // A new prompt in an already open dialog: showModal's autofocus does not run again.
      this.renderRoot.querySelector<HTMLElement>('[autofocus]')?.focus();
    }
    this.focusedFor = this.shown;
  }

  private alertText(alert: DxcUserInteractionLike['alerts'][number]): string {
    return this.text(`alert.${alert.messageCode}`, alert.message, alert.messageParams);
  }

  private onSubmit(event: SubmitEvent, prompt: DxcUserInteractionLike): void {
    event.preventDefault();
    const params: Record<string, string> = {};
    for (const [name, value] of new FormData(event.target as HTMLFormElement)) {
      params[name] = String(value).trim();
    }
    this.submit(prompt, params);
  }

  private submit(prompt: DxcUserInteractionLike, params: Record<string, string>): void {
    if (this.busy) return;
    // Keep the prompt on screen, disabled, until the client answers (see `busy`).
    this.busy = !ENDS_FLOW.has(prompt.type);
    prompt.onSubmit(params);
  }

  private cancel(prompt: DxcUserInteractionLike | undefined): void {
    this.busy = false;
    if (prompt && prompt === this.interaction.value) prompt.onCancel();
    else this.requestUpdate();
  }

  /** Escape: cancel the prompt ourselves, so that the dialog closes through the state like any other way. */
  private onCancelKey(event: Event): void {
    event.preventDefault();
    this.cancel(this.shown);
  }

  /** The dialog closed without us (e.g. Escape pressed twice): the prompt must not stay pending. */
  private onClose(): void {
    if (this.shown) this.cancel(this.shown);
  }
}

if (!customElements.get('dxc-login')) customElements.define('dxc-login', DxcLogin);

declare global {
  interface HTMLElementTagNameMap {
    'dxc-login': DxcLogin;
  }
}
