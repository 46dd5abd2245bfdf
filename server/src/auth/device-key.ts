/**
 * Device public keys: the PEM SPKI RSA key the addon generates with WebCrypto
 * (RSASSA-PKCS1-v1_5, 2048 bits) and binds to its refresh token. Anything else is refused with a
 * 400 before a code is spent, and the refresh signature is checked against the stored key.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { DxcHttpError } from '../errors.js';
import { MAX_RSA_MODULUS_BITS, MIN_RSA_MODULUS_BITS } from './auth-limits.js';

const SPKI_PEM = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\s*$/;

/** Parse and check a device key; returns it re-encoded as canonical PEM. */
export function parseDevicePublicKey(pem: string): string {
  const invalid = () =>
    new DxcHttpError(
      'invalid-request',
      `public_key must be a PEM SPKI RSA key of ${MIN_RSA_MODULUS_BITS} to ${MAX_RSA_MODULUS_BITS} bits`,
      400,
    );
  if (!SPKI_PEM.test(pem.trim() + '\n')) throw invalid();
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem', type: 'spki' });
  } catch {
    throw invalid();
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_MODULUS_BITS || bits > MAX_RSA_MODULUS_BITS) throw invalid();
  return key.export({ format: 'pem', type: 'spki' }) as string;
}

/**
 * True when `signatureB64` (standard base64) is a valid RSASSA-PKCS1-v1_5/SHA-256 signature by
 * `publicKeyPem` over the UTF-8 bytes of `message`.
 */
export function verifyDeviceSignature(publicKeyPem: string, message: string, signatureB64: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureB64)) return false;
  try {
    return verify('sha256', Buffer.from(message, 'utf8'), publicKeyPem, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}
