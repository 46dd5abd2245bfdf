/** The login-code mail: plain text, the code grouped for reading, and when it expires. */
import { formatCode } from '../auth/one-time-code.js';
import type { OutgoingMail } from './mailer.js';

export function composeOtpMail(input: {
  to: string;
  code: string;
  ttlSeconds: number;
  appUrl: string;
  date: number;
}): OutgoingMail {
  const minutes = Math.max(1, Math.round(input.ttlSeconds / 60));
  const text = [
    `Your login code is ${formatCode(input.code)}`,
    '',
    `Enter it where you asked to log in. It works once, for ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    'If you did not ask for it, you can ignore this mail: nobody can log in without the code.',
    '',
    `Sent by ${input.appUrl}`,
  ].join('\n');
  return { to: input.to, subject: 'Your login code', text, otp: input.code, date: input.date };
}
