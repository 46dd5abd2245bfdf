/** Types of backend.mjs, for TypeScript callers (the example's end-to-end test). */
export interface DemoUser {
  id: string;
  password: string;
  email?: string;
  name?: string;
}

export interface CustomAuthBackendOptions {
  dxcUrl: string;
  clientId: string;
  clientSecret: string;
  users: Record<string, DemoUser>;
  port?: number;
  host?: string;
  secureCookies?: boolean;
  log?: (line: string) => void;
}

export function startCustomAuthBackend(options: CustomAuthBackendOptions): Promise<{ url: string; close(): Promise<void> }>;
