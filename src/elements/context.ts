/**
 * How an element finds its database, in this order (the first one present wins):
 *
 * 1. its `.db` property, set by the app (`el.db = db`, or `.db=${db}` in a Lit template);
 * 2. a `@lit/context` provider of {@link dxcDbContext} above it in the DOM, e.g.
 *    `new ContextProvider(appShell, {context: dxcDbContext, initialValue: db})`, which binds every
 *    dxc element below the shell at once;
 * 3. the default database: the dxc client's most recently configured db (`getDefaultDb()` of
 *    `dxc/client`), which is what a plain `<script type=module>` page gets with no code at all.
 *
 * An element follows changes of each source (a new `.db`, a provider's new value, a newly
 * configured default) and rebinds its subscriptions.
 */
import { createContext } from '@lit/context';
import type { DxcDbLike } from './cloud-like.js';

/**
 * The context key for the database. Built on `Symbol.for`, so that a provider and a consumer from two
 * copies of the package (an app bundle plus `dist/dxc.js`) still match.
 */
export const dxcDbContext = createContext<DxcDbLike | undefined>(Symbol.for('dxc-db'));
