/** Outgoing mail. (Skeleton: the auth issue fills this in.) */
import type { ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** The one-time code the mail carries, kept only by the dev mailbox. */
  otp?: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

export function createMailer(_config: ServerConfig, _logger: Logger): Mailer {
  return { async send() {} };
}
