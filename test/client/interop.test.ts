import { Dexie } from 'dexie';
import dexieCloud from 'dexie-cloud-addon';
import { assert } from '../helpers/assert.js';
import { cleanup, customAuth, databaseUrl, eventually, newUserDb, settled, unique, uniqueEmail } from '../helpers/client-helpers.js';

describe('interop with the official dexie-cloud-addon', () => {
  const official: Dexie[] = [];
  afterEach(async () => {
    for (const db of official.splice(0)) {
      db.close();
      await Dexie.delete(db.name).catch(() => {});
    }
    await cleanup();
  });

  it('sees the same user data as a dxc client, both ways, on the same server', async () => {
    const email = uniqueEmail('interop');
    const mine = await newUserDb(unique('dxc'), email);
    await mine.cloud.login();
    await settled(mine);

    const theirs = new Dexie(unique('official'), { addons: [dexieCloud] }) as Dexie & { friends: Dexie.Table };
    official.push(theirs);
    theirs.version(1).stores({ friends: '@id, name, age', notes: 'id', drafts: '@id' });
    theirs.cloud.configure({
      databaseUrl: await databaseUrl(),
      customLoginGui: true,
      requireAuth: false,
      fetchTokens: customAuth(email),
    });
    await theirs.open();
    await theirs.cloud.login();
    assert.equal(theirs.cloud.currentUserId, mine.cloud.currentUserId);

    const fromDxc = await mine.friends.add({ name: 'FromDxc', age: 1 });
    await settled(mine);
    await eventually(async () => {
      await theirs.cloud.sync({ purpose: 'pull', wait: true });
      return (await theirs.friends.get(fromDxc))?.name === 'FromDxc';
    });

    const fromAddon = await theirs.friends.add({ name: 'FromAddon', age: 2 });
    await theirs.cloud.sync({ purpose: 'push', wait: true });
    await eventually(async () => (await mine.friends.get(fromAddon))?.name === 'FromAddon', [mine]);
    assert.match(fromAddon, /^frn/);

    await theirs.friends.update(fromDxc, { age: 10 });
    await theirs.cloud.sync({ purpose: 'push', wait: true });
    await eventually(async () => (await mine.friends.get(fromDxc))?.age === 10, [mine]);

    await mine.friends.delete(fromAddon);
    await settled(mine);
    await eventually(async () => {
      await theirs.cloud.sync({ purpose: 'pull', wait: true });
      return (await theirs.friends.get(fromAddon)) === undefined;
    });
  });
});
