/**
 * The server's Ed25519 signing key, generated on first start and kept in
 * `<dataDir>/signing-key.json` (mode 0600) so that access tokens and sessions survive restarts.
 * The OTP pepper and the DPoP nonce key are derived from it (HKDF), so the data directory holds
 * one secret.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { randomId } from './random-ids.js';

export const SIGNING_KEY_FILE_NAME = 'signing-key.json';

/** The one JWS algorithm dxc-server signs and accepts access tokens with. */
export const ACCESS_TOKEN_ALG = 'EdDSA';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** 32-byte HMAC key for one-time codes. */
  readonly otpPepper: Buffer;
  /** 32-byte HMAC key for DPoP nonces, shared by every node that shares the signing key. */
  readonly nonceKey: Buffer;
  /** 32-byte AES-256-GCM key sealing a rotated session's successor refresh token for the grace window. */
  readonly sealKey: Buffer;
}

interface SigningKeyFile {
  kid: string;
  alg: typeof ACCESS_TOKEN_ALG;
  createdAt: string;
  privateJwk: Record<string, unknown>;
}

function generateFile(): SigningKeyFile {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    kid: randomId('key-'),
    alg: ACCESS_TOKEN_ALG,
    createdAt: new Date().toISOString(),
    privateJwk: privateKey.export({ format: 'jwk' }) as Record<string, unknown>,
  };
}

/** Load the data directory's signing key, creating it on first use. */
export function loadSigningKey(dataDir: string): SigningKey {
  const file = path.join(dataDir, SIGNING_KEY_FILE_NAME);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx' fails when the file exists, so two processes starting together keep the first key.
    fs.writeFileSync(file, JSON.stringify(generateFile(), null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as SigningKeyFile;
  if (stored.alg !== ACCESS_TOKEN_ALG) throw new Error(`${file}: unsupported alg ${String(stored.alg)}`);
  const privateKey = createPrivateKey({ key: stored.privateJwk as never, format: 'jwk' });
  const rawPrivate = Buffer.from(String(stored.privateJwk.d), 'base64url');
  return {
    kid: stored.kid,
    privateKey,
    publicKey: createPublicKey(privateKey),
    otpPepper: Buffer.from(hkdfSync('sha256', rawPrivate, Buffer.alloc(0), 'dxc otp pepper v1', 32)),
    nonceKey: Buffer.from(hkdfSync('sha256', rawPrivate, Buffer.alloc(0), 'dxc dpop nonce v1', 32)),
    sealKey: Buffer.from(hkdfSync('sha256', rawPrivate, Buffer.alloc(0), 'dxc refresh seal v1', 32)),
  };
}
