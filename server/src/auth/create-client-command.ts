/**
 * `dxc-server create-client [--data DIR] [--db URL] [--name NAME] [--out FILE]`: registers an API
 * client for an application's backend in the server's storage (the data directory's SQLite file, or
 * PostgreSQL with `--db`/`DXC_DATABASE_URL`), prints its client_id and
 * client_secret once, and optionally writes both to a key file readable only by its owner.
 * Safe while the server runs on the same directory (SQLite WAL allows a second connection).
 */
import fs from 'node:fs';
import { defaultConfig, splitFlag } from '../config.js';
import { openStorage } from '../storage/open.js';
import { createApiClient } from './api-clients.js';

export interface CreateClientOptions {
  /** Where the command prints; the process's stdout by default. */
  readonly output?: NodeJS.WritableStream;
  readonly env?: NodeJS.ProcessEnv;
}

interface ParsedArgs {
  dataDir: string;
  database?: string;
  name: string;
  out?: string;
}

function parseArgs(args: string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const parsed: ParsedArgs = {
    dataDir: env.DXC_DATA_DIR ?? defaultConfig().dataDir,
    ...(env.DXC_DATABASE_URL ? { database: env.DXC_DATABASE_URL } : {}),
    name: 'default',
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = splitFlag(args[i]!);
    const value = inline ?? args[++i];
    if (value === undefined || value === '') throw new Error(`${flag} needs a value`);
    if (flag === '--data') parsed.dataDir = value;
    else if (flag === '--db') parsed.database = value;
    else if (flag === '--name') parsed.name = value;
    else if (flag === '--out') parsed.out = value;
    else throw new Error(`Unknown option ${flag}. Usage: dxc-server create-client [--data DIR] [--db URL] [--name NAME] [--out FILE]`);
  }
  if (parsed.name.length > 200) throw new Error('--name is longer than 200 characters');
  return parsed;
}

export async function createClientCommand(args: string[], options: CreateClientOptions = {}): Promise<void> {
  const output = options.output ?? process.stdout;
  const { dataDir, database, name, out } = parseArgs(args, options.env ?? process.env);
  // Opened first with 'wx' (never overwrite a key file; 0600: owner only), so a bad path fails
  // before a client exists whose secret nobody saw.
  const fd = out ? fs.openSync(out, 'wx', 0o600) : undefined;
  const storage = await openStorage(defaultConfig({ dataDir, ...(database ? { database } : {}) }));
  try {
    const client = await createApiClient(storage.auth, name, Date.now());
    if (fd !== undefined) {
      const body = { client_id: client.clientId, client_secret: client.clientSecret, name };
      fs.writeFileSync(fd, JSON.stringify(body, null, 2) + '\n');
    }
    const lines = [
      `Created API client "${name}" in ${database ? 'the PostgreSQL database' : dataDir}`,
      `client_id:     ${client.clientId}`,
      `client_secret: ${client.clientSecret}`,
      ...(out ? [`Written to ${out} (mode 0600).`] : []),
      "The secret is shown only once: keep it in your backend's secret store.",
    ];
    output.write(lines.join('\n') + '\n');
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    await storage.close();
  }
}
