/** Persistence for users, one-time codes, sessions, replay caches, rate limits and API clients. (Skeleton.) */
export interface AuthStore {
  readonly kind: 'auth';
}
