/**
 * `dxc-server` command line: `start` (the default), `create-client`, `migrate`, `--help`.
 */
import { startServer } from './app.js';
import { CONFIG_SETTINGS, configFromArgs } from './config.js';
import { createClientCommand } from './auth/create-client-command.js';
import { migrateCommand } from './migrate-command.js';

// Columns of the options table, as wide as its longest flag and variable name.
const FLAG_COLUMN = Math.max(...CONFIG_SETTINGS.map((s) => s.flag.length));
const ENV_COLUMN = Math.max(...CONFIG_SETTINGS.map((s) => s.env.length));

const HELP = `dxc-server: a self-hostable sync server for Dexie Cloud clients and dxc

Usage:
  dxc-server [start] [options]      start the server (dev mode unless --prod)
  dxc-server create-client [--data DIR] [--db URL] [--name NAME] [--out FILE]
                                    create a client_id/secret for your backend
  dxc-server migrate --from DIR --to postgres://...
                                    copy a SQLite data directory into an empty PostgreSQL database
  dxc-server --help                 show this help

Options (each also read from the environment variable shown):
${CONFIG_SETTINGS.map((s) => `  ${s.flag.padEnd(FLAG_COLUMN)} ${s.env.padEnd(ENV_COLUMN)} ${s.description}`).join('\n')}
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv[0] && !argv[0].startsWith('-') ? argv : ['start', ...argv];
  if (argv.includes('--help') || argv.includes('-h') || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  switch (command) {
    case 'start': {
      const config = configFromArgs(rest);
      const server = await startServer(config);
      const where = config.production
        ? 'OTP mails are sent through SMTP'
        : `OTP mails are printed here and kept at ${server.url}/_dev/mailbox`;
      process.stdout.write(`\ndxc-server is running at ${server.url}\n${where}\n\n`);
      const stop = () => {
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'create-client':
      await createClientCommand(rest);
      return;
    case 'migrate':
      await migrateCommand(rest);
      return;
    default:
      throw new Error(`Unknown command ${command}. Run dxc-server --help.`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`dxc-server: ${(error as Error).message}\n`);
  process.exit(2);
});
