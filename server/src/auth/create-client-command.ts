/** `dxc-server create-client`. (Skeleton: the auth issue fills this in.) */
export async function createClientCommand(_args: string[]): Promise<void> {
  throw new Error('create-client is not available yet');
}
