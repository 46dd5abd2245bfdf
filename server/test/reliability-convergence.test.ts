/**
 * Model-based convergence (fault row 15, invariants I1 I2 I3 I6): clients of two users write
 * random transactions on a few shared keys, go offline and online at random, lose answers after
 * the server committed, and finally the network heals. Then every replica equals the server's
 * state of its user's scope, and the server equals the reference model of the merge rules.
 *
 * The seed is printed; replay a failure with DXC_FUZZ_SEED=<seed> (fast-check shrinks it first).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { DBOperation } from 'dxc/protocol';
import { OutboxClient, ReferenceModel, sorted, type ModelTransaction } from './helpers/reliability-helpers.js';
import { loginUser, startSyncServer, type TestServer, type TestUser } from './helpers/sync-helpers.js';
import { FUZZ_SEED } from './helpers/fuzz-seed.js';

const SEED = FUZZ_SEED;
/** Runs and commands per run, sized to keep this file near 15 s on the shared test machine. */
const NUM_RUNS = Number(process.env.DXC_FUZZ_RUNS ?? 100);
const MAX_COMMANDS = 40;
const KEYS = 4;

let server: TestServer;
let users: TestUser[];
let run = 0;

before(async () => {
  server = await startSyncServer();
  users = [await loginUser(server, 'alice@example.com'), await loginUser(server, 'bob@example.com')];
});
after(() => server.close());

/** Four devices: two per user. */
const CLIENTS = 4;

interface World {
  readonly prefix: string;
  readonly clients: OutboxClient[];
  readonly model: ReferenceModel;
  txSeq: number;
}

const keyIndex = fc.integer({ min: 0, max: KEYS - 1 });
const value = fc.record({ n: fc.integer({ min: -50, max: 50 }), tag: fc.constantFrom('a', 'b', 'c') });
type OpShape =
  | { type: 'upsert'; keys: number[]; values: { n: number; tag: string }[] }
  | { type: 'update'; key: number; spec: Record<string, unknown> }
  | { type: 'delete'; key: number };
const opShape: fc.Arbitrary<OpShape> = fc.oneof(
  fc
    .uniqueArray(keyIndex, { minLength: 1, maxLength: 2 })
    .chain((keys) => fc.array(value, { minLength: keys.length, maxLength: keys.length }).map((values) => ({ type: 'upsert' as const, keys, values }))),
  fc.record({
    type: fc.constant('update' as const),
    key: keyIndex,
    spec: fc.oneof(
      fc.record({ n: fc.integer({ min: -50, max: 50 }) }),
      fc.record({ tag: fc.constantFrom('x', 'y') }),
      fc.integer({ min: 1, max: 5 }).map((add) => ({ n: { '@@propmod': { add } } })),
    ),
  }),
  fc.record({ type: fc.constant('delete' as const), key: keyIndex }),
);

function toOperation(shape: OpShape, prefix: string): DBOperation {
  const key = (i: number) => `${prefix}k${i}`;
  switch (shape.type) {
    case 'upsert':
      return { type: 'upsert', keys: shape.keys.map(key), values: shape.values.map((v, i) => ({ id: key(shape.keys[i]!), ...v })) };
    case 'update':
      return { type: 'update', keys: [key(shape.key)], changeSpecs: [shape.spec] };
    case 'delete':
      return { type: 'delete', keys: [key(shape.key)] };
  }
}

type Command = fc.AsyncCommand<object, World>;

class Write implements Command {
  constructor(
    readonly client: number,
    readonly ops: OpShape[],
  ) {}
  check = () => true;
  async run(_: object, world: World): Promise<void> {
    const txid = `${world.prefix}tx${world.txSeq++}`;
    world.clients[this.client]!.write({ txid, ops: this.ops.map((shape) => toOperation(shape, world.prefix)) });
  }
  toString = () => `Write(${this.client}, ${JSON.stringify(this.ops)})`;
}

/** Push the outbox and pull; the server's refusals must be exactly the model's. */
class Sync implements Command {
  constructor(readonly client: number) {}
  check = () => true;
  async run(_: object, world: World): Promise<void> {
    const client = world.clients[this.client]!;
    if (!client.online) return;
    const sent: ModelTransaction[] = [...client.outbox];
    const response = await client.sync();
    const refused = world.model.push(client.user.userId, sent);
    assert.deepEqual(response.rejections.map((r) => r.txid).sort(), refused.sort(), 'the refused transactions');
  }
  toString = () => `Sync(${this.client})`;
}

/** The server commits the push, and the answer is lost: the client keeps its outbox and cursor. */
class LoseAnswer implements Command {
  constructor(readonly client: number) {}
  check = () => true;
  async run(_: object, world: World): Promise<void> {
    const client = world.clients[this.client]!;
    if (!client.online) return;
    const sent = [...client.outbox];
    await client.syncLosingAnswer();
    world.model.push(client.user.userId, sent);
  }
  toString = () => `LoseAnswer(${this.client})`;
}

class Toggle implements Command {
  constructor(readonly client: number) {}
  check = () => true;
  async run(_: object, world: World): Promise<void> {
    const client = world.clients[this.client]!;
    client.online = !client.online;
  }
  toString = () => `Toggle(${this.client})`;
}

const clientIndex = fc.integer({ min: 0, max: CLIENTS - 1 });
const commands = fc.commands(
  [
    fc.tuple(clientIndex, fc.array(opShape, { minLength: 1, maxLength: 3 })).map(([c, ops]) => new Write(c, ops)),
    fc.tuple(clientIndex, fc.array(opShape, { minLength: 1, maxLength: 3 })).map(([c, ops]) => new Write(c, ops)),
    clientIndex.map((c) => new Sync(c)),
    clientIndex.map((c) => new LoseAnswer(c)),
    clientIndex.map((c) => new Toggle(c)),
  ],
  { maxCommands: MAX_COMMANDS },
);

test('replicas and the server converge on the reference model after random writes, partitions and lost answers', async (t) => {
  t.diagnostic(`fast-check seed ${SEED} (replay with DXC_FUZZ_SEED=${SEED})`);
  console.log(`reliability-convergence: fast-check seed ${SEED}`);
  await fc.assert(
    fc.asyncProperty(commands, async (cmds) => {
      const prefix = `r${run++}-`;
      const world: World = {
        prefix,
        clients: Array.from({ length: CLIENTS }, (_, i) => new OutboxClient(server, users[i % 2]!)),
        model: new ReferenceModel(),
        txSeq: 0,
      };
      await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);

      // The network heals: everyone pushes, then everyone pulls what the others pushed.
      for (const client of world.clients) client.online = true;
      for (const round of [0, 1]) {
        for (const client of world.clients) {
          const sent = [...client.outbox];
          await client.sync();
          if (round === 0) world.model.push(client.user.userId, sent);
        }
      }

      for (const user of users) {
        const expected = sorted(world.model.scope(user.userId));
        const fresh = new OutboxClient(server, user);
        await fresh.sync();
        assert.deepEqual(sorted(fresh.rowsWith(prefix)), expected, `server state of ${user.userId} equals the model`);
        for (const client of world.clients.filter((c) => c.user === user)) {
          assert.equal(client.outbox.length, 0, 'the outbox drained');
          assert.deepEqual(sorted(client.rowsWith(prefix)), expected, 'the replica equals the server state of its scope');
        }
      }
    }),
    { seed: SEED, numRuns: NUM_RUNS, endOnFailure: false },
  );
});
