/**
 * The email + one-time-code grant (`grant_type: 'otp'`).
 *
 * Step 1 mails a code and answers `{type:'otp-sent', otp_id}` identically for every valid address:
 * users are created only when a code is verified ("registrationless"), and the mail is sent off the
 * request path, so neither the body nor the timing tells whether an address is known.
 * Step 2 checks the code. Every failure (wrong, expired, used, superseded, over the attempt cap,
 * unknown id, other email) gets the same 401 text, which the addon shows before re-prompting.
 */
import type { OtpSentResponse, OtpTokenRequest, TokenFinalResponse } from 'dxc/protocol';
import { DxcHttpError } from '../errors.js';
import { composeOtpMail } from '../mail/otp-mail.js';
import { OTP_MAX_ATTEMPTS, OTP_SEND_PER_EMAIL, OTP_SEND_PER_IP, OTP_VERIFY_PER_IP } from './auth-limits.js';
import { deviceBinding } from './device-binding.js';
import { defaultName, normalizeEmail } from './email-address.js';
import type { GrantContext, RequestOrigin } from './grant-context.js';
import { codeMac, codeMatches, generateCode } from './one-time-code.js';
import { randomId } from './random-ids.js';
import { enforceRateLimit } from './rate-limit.js';

/** The one text every rejected code gets (a 401 body the addon shows as the prompt's alert). */
export const OTP_REJECTED_MESSAGE =
  'The code is wrong, expired or already used. Check the latest mail, or go back and request a new code.';

export type OtpVerification =
  | { readonly ok: true; readonly response: TokenFinalResponse }
  | { readonly ok: false; readonly message: string };

export async function sendOtp(g: GrantContext, request: OtpTokenRequest, origin: RequestOrigin): Promise<OtpSentResponse> {
  const { context, store, key } = g;
  const email = normalizeEmail(request.email);
  const now = context.now();
  await enforceRateLimit(store, OTP_SEND_PER_IP, origin.ip, now);
  await enforceRateLimit(store, OTP_SEND_PER_EMAIL, email, now);

  const otpId = randomId('otp-');
  const code = generateCode();
  await store.issueOtp({
    id: otpId,
    email,
    codeMac: codeMac(key.otpPepper, otpId, code),
    createdAt: now,
    expiresAt: now + context.config.otpTtlSeconds * 1000,
  });
  const mail = composeOtpMail({ to: email, code, ttlSeconds: context.config.otpTtlSeconds, appUrl: context.config.publicUrl, date: now });
  // Not awaited: SMTP latency must not delay (or reveal anything through) the answer.
  context.mailer.send(mail).catch((error: unknown) => {
    context.logger.error({ otpId, err: { message: (error as Error).message } }, 'could not send the login code mail');
  });
  context.logger.info({ otpId }, 'login code issued');
  return { type: 'otp-sent', otp_id: otpId };
}

export async function verifyOtp(
  g: GrantContext,
  request: OtpTokenRequest & { otp: string; otp_id: string },
  origin: RequestOrigin,
): Promise<OtpVerification> {
  const { context, store, key, sessions } = g;
  const email = normalizeEmail(request.email);
  // Checked before the code, so that a malformed key or proof never spends an attempt.
  const binding = await deviceBinding(g, request, origin, true);
  const now = context.now();
  await enforceRateLimit(store, OTP_VERIFY_PER_IP, origin.ip, now);

  const challenge = await store.countOtpAttempt(request.otp_id, now, OTP_MAX_ATTEMPTS);
  const matches =
    challenge !== undefined &&
    challenge.email === email &&
    codeMatches(key.otpPepper, challenge.id, request.otp, challenge.codeMac);
  if (!matches || !(await store.consumeOtp(challenge.id, now))) {
    context.logger.info(
      { otpId: request.otp_id.slice(0, 40), attempts: challenge?.attempts ?? null },
      'login code rejected',
    );
    return { ok: false, message: OTP_REJECTED_MESSAGE };
  }

  const user = await store.userForEmail(email, { id: randomId('usr-'), name: defaultName(email), createdAt: now });
  if (user.disabledAt !== null) throw new DxcHttpError('forbidden', 'This account is disabled', 403);
  const { session, response } = await sessions.open(user, { clientId: null, ...binding });
  context.logger.info({ userId: user.id, sessionId: session.id }, 'user logged in with a login code');
  return { ok: true, response };
}
