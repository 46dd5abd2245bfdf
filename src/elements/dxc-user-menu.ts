import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import type { DxcUserLike } from './cloud-like.js';
import { ObservableController } from './controllers/observable-controller.js';
import { DxcElement } from './dxc-element.js';
import { userMenuStyles } from './dxc-user-menu.styles.js';
import { DxcErrorEvent } from './events.js';
import { isLoggedIn } from './sync-status.js';
import { themeStyles } from './theme.styles.js';

/**
 * The current user: a "Log in" button when anonymous; when logged in, a button with the user's
 * avatar and name that opens a small menu with their address and "Log out". Logging out goes
 * through `db.cloud.logout()`, so the client asks for a confirmation (rendered by `<dxc-login>`)
 * when unsynced changes would be lost.
 *
 * @summary The current user, with login and logout.
 * @tagname dxc-user-menu
 *
 * @fires {DxcErrorEvent} dxc-error - A login or logout started here failed (not when the user cancelled it).
 *
 * @csspart base - The wrapper.
 * @csspart login-button - The "Log in" button shown when anonymous.
 * @csspart trigger - The button that opens the menu.
 * @csspart avatar - The round initial inside the trigger.
 * @csspart name - The user's name inside the trigger.
 * @csspart menu - The menu panel.
 * @csspart user - "Signed in as …" in the menu.
 * @csspart logout-button - The "Log out" button in the menu.
 *
 * @cssprop --dxc-user-menu-avatar-size - The avatar's diameter. Default `1.75rem`.
 */
export class DxcUserMenu extends DxcElement {
  static override styles = [themeStyles, userMenuStyles];

  @state() private open = false;
  /** Set when logging out from the menu: focus goes to the login button once it appears. */
  private refocus = false;

  private readonly user = new ObservableController<DxcUserLike>(this, () => this.boundDb?.cloud.currentUser);

  protected override render(): TemplateResult {
    const user = this.user.value;
    if (!user || user.isLoading) return html`<div part="base"></div>`;
    if (!isLoggedIn(user)) {
      return html`<div part="base">
        <button part="login-button" class="primary" @click=${this.login}>${this.text('login', 'Log in')}</button>
      </div>`;
    }
    const name = user.name || user.email || user.userId || '';
    return html`<div part="base" @keydown=${this.onKeyDown} @focusout=${this.onFocusOut}>
      <button part="trigger" aria-expanded=${this.open} aria-controls="menu" @click=${this.toggle}>
        <span part="avatar" aria-hidden="true">${name.charAt(0).toUpperCase()}</span>
        <span part="name">${name}</span>
      </button>
      <div part="menu" id="menu" ?hidden=${!this.open}>
        <p part="user">${this.text('signed-in-as', 'Signed in as {user}', { user: user.email || name })}</p>
        <button part="logout-button" @click=${this.logout}>${this.text('logout', 'Log out')}</button>
      </div>
    </div>`;
  }

  protected override updated(): void {
    const login = this.renderRoot.querySelector<HTMLElement>('[part=login-button]');
    if (this.refocus && login) {
      this.refocus = false;
      login.focus();
    }
  }

  private toggle(): void {
    this.open = !this.open;
  }

  private onKeyDown(event: KeyboardEvent): void {
    if (event.key !== 'Escape' || !this.open) return;
    this.open = false;
    this.renderRoot.querySelector<HTMLElement>('[part=trigger]')?.focus();
  }

  /** Close the menu when focus leaves the element, as a disclosure menu does. */
  private onFocusOut(event: FocusEvent): void {
    if (!this.contains(event.relatedTarget as Node) && !this.renderRoot.contains(event.relatedTarget as Node)) {
      this.open = false;
    }
  }

  private login(): void {
    void this.run(() => this.boundDb?.cloud.login());
  }

  private logout(): void {
    this.open = false;
    this.refocus = true;
    void this.run(() => this.boundDb?.cloud.logout());
  }

  private async run(action: () => Promise<unknown> | undefined): Promise<void> {
    try {
      await action();
    } catch (error) {
      const { name, code, message } = error as { name?: string; code?: string; message?: string };
      // Cancelling the dialog rejects the call; that is the user's choice, not a failure.
      if (name === 'AbortError' || code === 'user-cancelled') return;
      this.dispatchEvent(new DxcErrorEvent({ message: message ?? String(error), code: code ?? name, error }));
    }
  }
}

if (!customElements.get('dxc-user-menu')) customElements.define('dxc-user-menu', DxcUserMenu);

declare global {
  interface HTMLElementTagNameMap {
    'dxc-user-menu': DxcUserMenu;
  }
}
