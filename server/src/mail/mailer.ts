/**
 * Outgoing mail. With `config.smtpUrl` mail goes through nodemailer's SMTP transport. In dev mode
 * (the default) each mail is also printed to the terminal and kept in the in-memory dev mailbox
 * (`GET /_dev/mailbox`), so logging in needs no mail server. Production without SMTP cannot
 * deliver codes: it warns at start and every send fails (logged by the caller).
 */
import nodemailer from 'nodemailer';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { DevMailbox } from './dev-mailbox.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** The one-time code the mail carries, kept only by the dev mailbox. */
  otp?: string;
  /** When it was composed (ms since epoch, the server clock); defaults to now. */
  date?: number;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  /** Present in dev mode only. */
  readonly mailbox?: DevMailbox;
}

function printToTerminal(mail: OutgoingMail): void {
  const rule = '─'.repeat(64);
  process.stdout.write(`\n${rule}\n✉  To: ${mail.to}\n   Subject: ${mail.subject}\n\n${mail.text}\n${rule}\n\n`);
}

export function createMailer(config: ServerConfig, logger: Logger): Mailer {
  const transport = config.smtpUrl ? nodemailer.createTransport(config.smtpUrl) : undefined;
  if (config.production && !transport) {
    logger.warn('production mode without --smtp: login codes cannot be delivered');
  }
  const mailbox = config.production ? undefined : new DevMailbox();
  // 'silent' (tests) keeps the terminal quiet too; the dev mailbox still records every mail.
  const print = !config.production && config.logLevel !== 'silent';

  return {
    mailbox,
    async send(mail) {
      mailbox?.add(mail);
      if (print) printToTerminal(mail);
      if (transport) {
        await transport.sendMail({ from: config.mailFrom, to: mail.to, subject: mail.subject, text: mail.text });
      } else if (config.production) {
        throw new Error('no SMTP server configured (--smtp / DXC_SMTP_URL)');
      }
    },
  };
}
