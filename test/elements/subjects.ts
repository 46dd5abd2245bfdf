/**
 * A database-shaped object whose `cloud` observables are rxjs BehaviorSubjects (the observable type
 * dexie-cloud-addon uses), for the tests that drive the elements' rendering directly. The flows
 * against the real client and server live in *-flow.test.ts.
 */
import { BehaviorSubject } from 'rxjs';
import type {
  DxcDbLike,
  DxcPersistedSyncStateLike,
  DxcSyncStateLike,
  DxcUserInteractionLike,
  DxcUserLike,
} from '../../src/elements/index.js';

export const ANONYMOUS: DxcUserLike = { userId: 'unauthorized', name: 'Unauthorized', isLoggedIn: false };
export const ALICE: DxcUserLike = { userId: 'alice@example.com', email: 'alice@example.com', name: 'Alice', isLoggedIn: true };

export function subjectsDb(user: DxcUserLike = ANONYMOUS) {
  const cloud = {
    userInteraction: new BehaviorSubject<DxcUserInteractionLike | undefined>(undefined),
    currentUser: new BehaviorSubject<DxcUserLike>(user),
    syncState: new BehaviorSubject<DxcSyncStateLike>({ phase: 'initial', status: 'not-started' }),
    persistedSyncState: new BehaviorSubject<DxcPersistedSyncStateLike | undefined>(undefined),
    unsyncedChanges: new BehaviorSubject<number>(0),
    options: {} as { customLoginGui?: boolean; requireAuth?: boolean },
    calls: [] as string[],
    async login() {
      cloud.calls.push('login');
    },
    async logout() {
      cloud.calls.push('logout');
    },
  };
  return { name: 'subjects', cloud } satisfies DxcDbLike;
}

export type SubjectsDb = ReturnType<typeof subjectsDb>;
type Prompt = Omit<DxcUserInteractionLike, 'onSubmit' | 'onCancel'>;

/**
 * Shows `prompt` through `db.cloud.userInteraction` the way the client does: each callback clears
 * the observable and settles the returned promise (cancel rejects).
 */
export function ask(db: SubjectsDb, prompt: Prompt): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const subject = db.cloud.userInteraction;
    const interaction: DxcUserInteractionLike = {
      ...prompt,
      onSubmit(params) {
        subject.next(undefined);
        resolve(params);
      },
      onCancel() {
        subject.next(undefined);
        reject(Object.assign(new Error('User cancelled'), { code: 'user-cancelled' }));
      },
    };
    subject.next(interaction);
  });
}

export const EMAIL_PROMPT: Prompt = {
  type: 'email',
  title: 'Sign in',
  alerts: [],
  fields: { email: { type: 'email', placeholder: 'you@somedomain.com' } },
  submitLabel: 'Send code',
  cancelLabel: 'Cancel',
};

export const OTP_PROMPT: Prompt = {
  type: 'otp',
  title: 'Enter the code',
  alerts: [
    { type: 'info', messageCode: 'OTP_SENT', message: 'A code has been sent to {email}', messageParams: { email: 'alice@example.com' } },
  ],
  fields: { otp: { type: 'otp', label: 'OTP', placeholder: 'Paste OTP here' } },
  submitLabel: 'Sign in',
  cancelLabel: 'Cancel',
};

export const MESSAGE_PROMPT: Prompt = {
  type: 'message-alert',
  title: 'Something went wrong',
  alerts: [{ type: 'error', messageCode: 'GENERIC_ERROR', message: 'The server said no', messageParams: {} }],
  fields: {},
  submitLabel: 'OK',
  cancelLabel: null,
};

export const LOGOUT_PROMPT: Prompt = {
  type: 'logout-confirmation',
  title: 'Sign out',
  alerts: [
    {
      type: 'warning',
      messageCode: 'LOGOUT_CONFIRMATION',
      message: '{numUnsyncedChanges} changes will be lost',
      messageParams: { numUnsyncedChanges: '3', currentUserId: 'alice@example.com' },
    },
  ],
  fields: {},
  submitLabel: 'Sign out',
  cancelLabel: 'Cancel',
};

export const GENERIC_PROMPT: Prompt = {
  type: 'generic',
  title: 'Choose how to sign in',
  alerts: [{ type: 'warning', messageCode: 'GENERIC_WARNING', message: 'Pick one', messageParams: {} }],
  fields: { user: { type: 'text', label: 'User name' }, password: { type: 'password', label: 'Password' } },
  options: [
    { name: 'provider', value: 'github', displayName: 'GitHub' },
    { name: 'otp', value: 'email', displayName: 'Email code' },
  ],
  submitLabel: 'Continue',
  cancelLabel: 'Cancel',
};
