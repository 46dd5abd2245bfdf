import { consume } from '@lit/context';
import { LitElement } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { DxcDbLike } from './cloud-like.js';
import { dxcDbContext } from './context.js';
import { defaultDb, onDefaultDbChange } from './default-db.js';
import type { DxcStrings } from './text.js';
import { format } from './text.js';

/**
 * The base of the dxc elements: finds the database (`.db`, then a context provider, then the
 * client's default db; see context.ts) and looks up replaceable strings. The shared design tokens
 * below apply to every element; each has a light and a dark default (`prefers-color-scheme`).
 *
 * @cssprop --dxc-font - The font family. Default `system-ui, sans-serif`.
 * @cssprop --dxc-radius - The corner radius of boxes and buttons. Default `0.5rem`.
 * @cssprop --dxc-color-accent - Primary buttons, the avatar, active states. Default `#1f5fcc` / dark `#79b0ff`.
 * @cssprop --dxc-color-on-accent - Text on the accent colour. Default `#fff` / dark `#0d1117`.
 * @cssprop --dxc-color-danger - Errors. Default `#b42318` / dark `#ff8b82`.
 * @cssprop --dxc-color-warning - Warnings and `needs-auth`. Default `#8a4b00` / dark `#e3b341`.
 * @cssprop --dxc-color-success - `in-sync`. Default `#1a7f37` / dark `#57d36b`.
 * @cssprop --dxc-color-surface - Backgrounds of dialogs, menus and the indicator. Default `#fff` / dark `#1c2128`.
 * @cssprop --dxc-color-text - Text. Default `#1f2328` / dark `#e6edf3`.
 * @cssprop --dxc-color-muted - Secondary text, neutral states. Default `#59636e` / dark `#9ea8b3`.
 * @cssprop --dxc-color-border - Borders. Default `#c9d1d9` / dark `#444c56`.
 * @cssprop --dxc-focus-ring - The focus outline. Default `2px solid` the accent colour.
 */
export class DxcElement extends LitElement {
  /**
   * The database to bind: a Dexie instance with the dxc client or dexie-cloud-addon. When unset, the
   * element uses a `dxcDbContext` provider above it, else the client's default db.
   */
  @property({ attribute: false }) db?: DxcDbLike;

  /**
   * Replacement texts, keyed as listed in docs/elements.md (e.g. `{'otp.title': 'Code eingeben'}`).
   * Keys not present keep the built-in English text (or the text sent by the client).
   */
  @property({ attribute: false }) strings: DxcStrings = {};

  @consume({ context: dxcDbContext, subscribe: true })
  @state()
  private contextDb?: DxcDbLike;

  @state() private fallbackDb?: DxcDbLike;
  private offDefaultDb?: () => void;

  /** The database in use, after applying the lookup order. */
  get boundDb(): DxcDbLike | undefined {
    return this.db ?? this.contextDb ?? this.fallbackDb;
  }

  override connectedCallback(): void {
    this.fallbackDb = defaultDb();
    this.offDefaultDb = onDefaultDbChange((db) => (this.fallbackDb = db));
    super.connectedCallback();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.offDefaultDb?.();
  }

  /** `strings[key]` if the app replaced it, else `fallback`; then fills `{param}` placeholders. */
  protected text(key: string, fallback: string, params?: Record<string, string | number>): string {
    return format(this.strings[key] ?? fallback, params);
  }
}
