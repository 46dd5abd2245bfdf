/**
 * Several dxc-server nodes on one PostgreSQL database, as behind a load balancer: same database,
 * same signing key (one data directory holds it) and the same public URL (the token issuer), each
 * node on its own port with its own pool and LISTEN connection. Nodes run in this process
 * (`startNodes`) or as child processes of `bin/dxc-server.mjs` (`spawnNode`) when a test must
 * SIGKILL one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { RunningServer } from '../../src/app.js';
import { createClock, freshDataDir, startAuthServer, type TestClock, type TestServer } from './auth-helpers.js';
import { createTestDatabase } from './backend.js';

/** What every node of one cluster shares. */
export interface Cluster {
  readonly database: string;
  readonly dataDir: string;
  readonly publicUrl: string;
  readonly clock: TestClock;
}

export async function createCluster(): Promise<Cluster> {
  return { database: await createTestDatabase(), dataDir: freshDataDir(), publicUrl: 'http://dxc.test', clock: createClock() };
}

/** Start `count` in-process nodes of `cluster`. */
export async function startNodes(cluster: Cluster, count: number): Promise<TestServer[]> {
  const nodes: TestServer[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push(
      await startAuthServer(
        { database: cluster.database, dataDir: cluster.dataDir, publicUrl: cluster.publicUrl },
        { clock: cluster.clock },
      ),
    );
  }
  return nodes;
}

export interface SpawnedNode {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves with the exit signal or code. */
  readonly exited: Promise<string>;
  /** A RunningServer-shaped handle for the HTTP helpers, which only read `url`. */
  readonly server: RunningServer;
  kill(signal?: NodeJS.Signals): Promise<string>;
}

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/dxc-server.mjs');

/** Run `dxc-server start` as a child process on a free port; resolves once it listens. */
export async function spawnNode(
  cluster: { dataDir: string; publicUrl: string; database?: string | undefined },
  extraArgs: string[] = [],
): Promise<SpawnedNode> {
  const child = spawn(
    process.execPath,
    [
      bin, 'start', '--port', '0', '--host', '127.0.0.1', '--log-level', 'silent',
      '--data', cluster.dataDir, '--public-url', cluster.publicUrl,
      // Without --db the node runs on SQLite in the data directory (one node only).
      ...(cluster.database ? ['--db', cluster.database] : []),
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match) {
        child.stdout!.off('data', onData);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((how) => reject(new Error(`node exited (${how}) before listening:\n${output}`)));
  });
  return {
    url,
    child,
    exited,
    server: { url } as RunningServer,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A plain connection to the cluster's database, for locks and checks the test makes itself. */
export async function connectDatabase(cluster: Pick<Cluster, 'database'>): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: cluster.database });
  await client.connect();
  return client;
}

/** Poll (no time limit of its own: node:test's timeout is the safety net) until `probe` is truthy. */
export async function until<T>(probe: () => Promise<T | undefined | false | null>, intervalMs = 20): Promise<T> {
  for (;;) {
    const result = await probe();
    if (result) return result;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
