/**
 * User interactions: the prompts the client asks the app (or `<dxc-login>`) to render through
 * `db.cloud.userInteraction`. Each is a plain object with `onSubmit`/`onCancel`; either callback
 * clears the observable again. The shapes equal dexie-cloud-addon's DXCUserInteraction.
 */
import { dxcError } from './errors.js';
import type { ValueSubject } from './observable.js';
import type { DXCAlert, DXCUserInteraction } from './types.js';

type Prompt = Omit<DXCUserInteraction, 'onSubmit' | 'onCancel'>;

/** Show `prompt` and wait for the user. Cancel rejects with DxcError `user-cancelled`. */
export function interact(
  subject: ValueSubject<DXCUserInteraction | undefined>,
  prompt: Prompt,
): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      if (subject.value === interaction) subject.next(undefined);
      return true;
    };
    const interaction = {
      ...prompt,
      onSubmit(params: Record<string, string>) {
        if (finish()) resolve(params ?? {});
      },
      onCancel() {
        if (finish()) reject(dxcError('user-cancelled', 'User cancelled'));
      },
    } as DXCUserInteraction;
    subject.next(interaction);
  });
}

export function makeAlert(type: DXCAlert['type'], messageCode: string, message: string, messageParams: Record<string, string> = {}): DXCAlert {
  return { type, messageCode, message, messageParams };
}

export function emailPrompt(alerts: DXCAlert[]): Prompt {
  return {
    type: 'email',
    title: 'Sign in',
    alerts,
    fields: { email: { type: 'email', placeholder: 'you@somedomain.com' } },
    submitLabel: 'Send code',
    cancelLabel: 'Cancel',
  };
}

export function otpPrompt(email: string, alerts: DXCAlert[]): Prompt {
  return {
    type: 'otp',
    title: 'Enter the code',
    alerts: [makeAlert('info', 'OTP_SENT', 'A One-Time password has been sent to {email}', { email }), ...alerts],
    fields: { otp: { type: 'otp', label: 'OTP', placeholder: 'Paste OTP here' } },
    submitLabel: 'Sign in',
    cancelLabel: 'Cancel',
  };
}

export function messageAlert(title: string, alerts: DXCAlert[]): Prompt {
  return { type: 'message-alert', title, alerts, fields: {}, submitLabel: 'OK', cancelLabel: null };
}

export function logoutConfirmation(currentUserId: string, numUnsyncedChanges: number): Prompt {
  return {
    type: 'logout-confirmation',
    title: 'Sign out',
    alerts: [
      makeAlert(
        'warning',
        'LOGOUT_CONFIRMATION',
        '{numUnsyncedChanges} changes of {currentUserId} have not been synced yet and will be lost if you sign out now.',
        { currentUserId, numUnsyncedChanges: String(numUnsyncedChanges) },
      ),
    ],
    fields: {},
    submitLabel: 'Sign out',
    cancelLabel: 'Cancel',
  };
}

/** An alert's message with its `{param}` placeholders filled in. */
export function resolveText({ message, messageParams }: Pick<DXCAlert, 'message' | 'messageParams'>): string {
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => messageParams?.[name] ?? whole);
}
