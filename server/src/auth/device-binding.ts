/**
 * What a new session is bound to: the key of a DPoP-shaped proof sent with the login (dxc client:
 * proofs and rotation from then on), or a PEM device key (official addon: the legacy refresh
 * signature). Checked before any code or provider call is spent.
 */
import type { GrantContext, RequestOrigin } from './grant-context.js';
import { parseDevicePublicKey } from './device-key.js';

export interface DeviceBinding {
  readonly publicKeyPem: string | null;
  readonly proofKeyThumbprint: string | null;
}

export async function deviceBinding(
  g: GrantContext,
  request: { proof?: string; public_key?: string },
  origin: RequestOrigin,
  required: boolean,
): Promise<DeviceBinding> {
  if (request.proof !== undefined) {
    const { thumbprint } = await g.proofs.verify(request.proof, { urls: origin.tokenUrls }, g.context.now());
    return { publicKeyPem: null, proofKeyThumbprint: thumbprint };
  }
  if (request.public_key !== undefined || required) {
    return { publicKeyPem: parseDevicePublicKey(request.public_key ?? ''), proofKeyThumbprint: null };
  }
  return { publicKeyPem: null, proofKeyThumbprint: null };
}
