/** Persistence for synced rows and the change log. (Skeleton.) */
export interface DataStore {
  readonly kind: 'data';
}
