/**
 * The server side of the service worker tests: what the dxc-server holds for a user, read and
 * written over the real `/sync` endpoint as another device of that user would (the login goes
 * through the real OTP flow, code from the dev mailbox).
 */
import { randomBytes } from 'node:crypto';
import type { DexieCloudSchema, SyncResponse } from 'dxc/protocol';
import type { RunningServer } from 'dxc-server';
import { loginUser, postSync } from '../../../server/test/helpers/sync-helpers.js';

/** The cloud schema of the test app (test/sw/app): one synced table `messages`. */
const SCHEMA: DexieCloudSchema = {
  messages: { markedForSync: true },
  members: { generatedGlobalId: true, idPrefix: 'mmb', markedForSync: true },
  roles: { markedForSync: true },
  realms: { generatedGlobalId: true, idPrefix: 'rlm', markedForSync: true },
};

export interface OtherDevice {
  /** The texts of every message the server holds for the user, sorted. */
  texts(): Promise<string[]>;
  /** Write a message as this device. */
  send(text: string): Promise<void>;
}

export async function otherDevice(server: RunningServer, email: string): Promise<OtherDevice> {
  const { token } = await loginUser(server, email);
  const sync = async (changes: unknown[]) => {
    const answer = await postSync(server, { v: 2, schema: SCHEMA, baseRevs: [], changes }, { token });
    if (answer.status !== 200) throw new Error(`sync answered ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body as SyncResponse;
  };
  return {
    async texts() {
      const { changes } = await sync([]);
      return changes
        .filter((set) => set.table === 'messages')
        .flatMap((set) => set.muts.flatMap((mut) => (mut.type === 'upsert' ? mut.values.map((v) => (v as { text: string }).text) : [])))
        .sort();
    },
    async send(text) {
      const id = `msg-${randomBytes(8).toString('hex')}`;
      const txid = randomBytes(16).toString('base64');
      await sync([{ table: 'messages', muts: [{ type: 'upsert', keys: [id], values: [{ id, text, at: Date.now() }], txid }] }]);
    },
  };
}

/** Re-run `probe` until it returns a truthy value (the test runner's timeout is the only limit). */
export async function eventually<T>(probe: () => Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
