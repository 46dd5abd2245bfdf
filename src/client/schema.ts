/**
 * Store specs: what dxc adds to the app's `db.version(n).stores({...})`, and the cloud schema
 * (`db.cloud.schema`) it derives from them. The rules are the addon's, so a dxc database and an
 * official-addon database declare the same tables and id prefixes to the server:
 * - a spec starting with `@` gets server-style ids (`generatedGlobalId`, a 3-letter `idPrefix`);
 * - every table whose name does not start with `$` is synced and gets an outbox `$<table>_mutations`;
 * - the built-in realms/members/roles tables and the internal `$` tables are always present.
 */
import type { DexieCloudSchema } from 'dxc/protocol';

/** Tables every dxc database has; an app may redeclare them only with the same primary key. */
export const BUILT_IN_STORES: Readonly<Record<string, string>> = {
  members: '@id,[userId+realmId],[email+realmId],realmId',
  roles: '[realmId+name]',
  realms: '@realmId',
  $jobs: '',
  $syncState: '',
  $baseRevs: '[tableName+clientRev]',
  $logins: 'claims.sub,lastLogin',
};

/** The outbox store of a synced table. */
export function outboxTable(table: string): string {
  return `$${table}_mutations`;
}

const CONSONANT_OR_UPPER = /[bcdfghjklmnpqrstvxyzA-Z]/;

/**
 * The table's 3-letter id prefix: its first letter, then the next consonants or capitals, lower
 * case (`items` → `itm`). A collision with an earlier table tries the upper/lower-case variants,
 * then bumps the last letter; the server's schema wins anyway (see db.cloud.schema).
 */
export function generateTablePrefix(table: string, taken: ReadonlySet<string>): string {
  let prefix = table[0]!.toLowerCase();
  for (let i = 1; i < table.length && prefix.length < 3; i++) {
    const ch = table[i]!;
    if (CONSONANT_OR_UPPER.test(ch)) prefix += ch.toLowerCase();
  }
  const first = prefix;
  for (let n = 1; taken.has(prefix); n++) {
    const base = n < 8 ? first : first.slice(0, -1) + String.fromCharCode(first.charCodeAt(first.length - 1) + (n >> 3));
    prefix = [...base].map((ch, i) => ((n >> i) & 1 ? ch.toUpperCase() : ch)).join('');
  }
  return prefix;
}

/**
 * Add the built-in and outbox stores to an app's cumulative store spec, strip the `@` markers
 * Dexie does not know, and record each table's cloud flags into `schema` (mutated in place so that
 * `db.cloud.schema` stays the same object).
 */
export function augmentStores(
  stores: Record<string, string | null>,
  schema: DexieCloudSchema,
): Record<string, string | null> {
  for (const [table, builtIn] of Object.entries(BUILT_IN_STORES)) {
    const declared = stores[table];
    if (declared === null) throw new Error(`Cannot delete table ${table}: dxc needs it`);
    if (declared !== undefined && declared.split(',')[0]!.trim() !== builtIn.split(',')[0]) {
      throw new Error(`Cannot change the primary key of ${table}; declare it as ${JSON.stringify(builtIn)}`);
    }
  }
  const all: Record<string, string | null> = { ...BUILT_IN_STORES, ...stores };
  const out: Record<string, string | null> = {};
  const prefixes = new Set<string>();
  for (const [table, raw] of Object.entries(all)) {
    const entry = (schema[table] ??= {});
    if (raw === null) {
      out[table] = null;
      entry.deleted = true;
      entry.markedForSync = false;
      if (!table.startsWith('$')) out[outboxTable(table)] = null;
      continue;
    }
    let spec = raw.trim();
    // An app redeclaring a built-in table keeps the built-in indexes it did not mention.
    const builtIn = BUILT_IN_STORES[table];
    if (builtIn && stores[table] !== undefined) {
      const have = new Set(spec.split(',').map((s) => s.trim().replace(/^[&*@]|\+\+/g, '')));
      for (const index of builtIn.split(',').slice(1)) if (!have.has(index)) spec += `,${index}`;
    }
    if (spec.startsWith('@')) {
      spec = spec.slice(1);
      entry.generatedGlobalId = true;
      entry.idPrefix = generateTablePrefix(table, prefixes);
      prefixes.add(entry.idPrefix);
    }
    delete entry.deleted;
    out[table] = spec;
    if (!table.startsWith('$')) {
      entry.markedForSync = true;
      out[outboxTable(table)] = '++rev';
    }
  }
  return out;
}

/** True when writes to `table` are recorded and pushed. */
export function isSynced(schema: DexieCloudSchema | null, table: string): boolean {
  return !table.startsWith('$') && schema?.[table]?.markedForSync === true;
}

/** The tables whose rows travel to the server, in declaration order. */
export function syncedTables(schema: DexieCloudSchema | null): string[] {
  return Object.keys(schema ?? {}).filter((table) => isSynced(schema, table));
}

/** Apply `unsyncedTables` after any schema update (the server's echo included). */
export function applyUnsyncedTables(schema: DexieCloudSchema, unsynced: readonly string[] | undefined): void {
  for (const table of unsynced ?? []) if (schema[table]) schema[table]!.markedForSync = false;
}
