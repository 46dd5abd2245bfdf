import { from } from 'rxjs';
import { ValueSubject } from '../../src/client/observable.js';
import { assert } from '../helpers/assert.js';
import { cleanup, eventually, newDb, unique } from '../helpers/client-helpers.js';

describe('observables', () => {
  afterEach(cleanup);

  it('delivers the current value at once and later values until unsubscribed', () => {
    const subject = new ValueSubject(1);
    const seen: number[] = [];
    const sub = subject.subscribe((v) => seen.push(v));
    subject.next(2);
    sub.unsubscribe();
    subject.next(3);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(subject.getValue(), 3);
    assert.equal(subject.value, 3);
    assert.ok(sub.closed);
  });

  it('is accepted by rxjs from()', async () => {
    const db = await newDb(unique('rx'));
    const seen: string[] = [];
    const sub = from(db.cloud.syncState).subscribe((s) => seen.push(s.phase));
    sub.unsubscribe();
    assert.deepEqual(seen, ['initial']);
    const values: number[] = [];
    const subject = new ValueSubject(10);
    const rx = from(subject).subscribe((v) => values.push(v));
    subject.next(11);
    rx.unsubscribe();
    assert.deepEqual(values, [10, 11]);
  });

  it('drives dexie-react-hooks useObservable', async () => {
    const { React, createRoot, useObservable } = (await import('/__dxc/react.js' as string)) as {
      React: typeof import('react');
      createRoot: typeof import('react-dom/client').createRoot;
      useObservable: <T>(o: unknown) => T;
    };
    const db = await newDb(unique('react'));
    const user = new ValueSubject('first');
    function View() {
      const phase = useObservable<{ phase: string } | undefined>(db.cloud.syncState);
      const name = useObservable<string>(user);
      return React.createElement('p', null, `${phase?.phase}/${name}`);
    }
    const host = document.createElement('div');
    document.body.append(host);
    const root = createRoot(host);
    root.render(React.createElement(View));
    await eventually(() => host.textContent === 'initial/first');
    user.next('second');
    await eventually(() => host.textContent === 'initial/second');
    root.unmount();
    host.remove();
  });
});
