/**
 * One live `/changes` socket. The client says where it stands with `{type:'ready', rev}`; when its
 * realms have changes after `rev` (now, or when a later commit arrives on the change bus) the
 * session sends one `changes` message and then waits for the next `ready` before sending more, the
 * flow control the official addon expects (protocol.md §3). When the access token expires the
 * session says `token-expired` and sends no more rows until the client reconnects with a new one.
 */
import { decodeTson, isDxcError } from 'dxc/protocol';
import { WebSocket, type RawData } from 'ws';
import type { Principal, ServerContext } from '../context.js';
import type { CommittedChange } from './change-bus.js';
import { openRealmOf, readableRealms } from './realms.js';
import { REVISION_PATTERN } from './pull.js';
import { encodeChanges, encodeWithChanges } from './wire-changes.js';

/** Longest delay Node's timers accept (ms); longer expiries are re-armed when the timer fires. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Where the client stands, from its latest `ready`. */
interface Cursor {
  readonly revision: number;
  /** The revision exactly as the client sent it, echoed back as `baseRev`. */
  readonly text: string;
  readonly realmSetHash: string;
}

export class ChangeSession {
  private readonly realms: readonly string[];
  private readonly realmSet: ReadonlySet<string>;
  private cursor: Cursor | undefined;
  private awaitingReady = false;
  private delivering = false;
  private deliverAgain = false;
  private expired = false;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly principal: Principal,
    private readonly context: ServerContext,
    tokenExpired: boolean,
  ) {
    this.realms = tokenExpired ? [] : readableRealms(principal, openRealmOf(context.config));
    this.realmSet = new Set(this.realms);
    if (tokenExpired) this.expire();
    else this.armExpiryTimer();
  }

  /** Handle one frame from the client. */
  async receive(data: RawData, isBinary: boolean): Promise<void> {
    // Binary frames are Y.js messages, which dxc-server does not implement.
    if (isBinary) return;
    let message: unknown;
    try {
      message = decodeTson(data.toString());
    } catch (error) {
      this.send({ type: 'error', error: isDxcError(error) ? error.code : 'invalid-request', message: 'Unreadable message' });
      return;
    }
    if (this.checkExpiry()) return;
    const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
    switch (type) {
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'ready':
        await this.onReady(message as { rev?: unknown; realmSetHash?: unknown });
        return;
      default:
        // Never String() a client's value: an object with a non-callable toString throws.
        this.send({
          type: 'error',
          error: 'unsupported-operation',
          message: `Unknown message type ${typeof type === 'string' ? JSON.stringify(type.slice(0, 64)) : typeof type}`,
        });
    }
  }

  /** A commit landed: deliver it if it touched one of this socket's realms. */
  notify(change: CommittedChange): void {
    if (change.realms.some((realm) => this.realmSet.has(realm))) void this.deliver();
  }

  dispose(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  private async onReady(message: { rev?: unknown; realmSetHash?: unknown }): Promise<void> {
    const text = message.rev;
    const current = await this.context.storage.data.currentRevision();
    if (typeof text !== 'string' || !REVISION_PATTERN.test(text) || Number(text) > current) {
      // A revision this server never issued: make the client pull over HTTP, which re-bases it.
      this.send({ type: 'realms-changed', realmsHash: '' });
      return;
    }
    const realmSetHash = typeof message.realmSetHash === 'string' ? message.realmSetHash : '';
    this.cursor = { revision: Number(text), text, realmSetHash };
    this.awaitingReady = false;
    await this.deliver();
  }

  /** Send the changes after the cursor, once per `ready`; concurrent calls coalesce into a re-check. */
  private async deliver(): Promise<void> {
    if (this.delivering) {
      this.deliverAgain = true;
      return;
    }
    this.delivering = true;
    try {
      do {
        this.deliverAgain = false;
        const cursor = this.cursor;
        if (!cursor || this.awaitingReady || this.expired || this.ws.readyState !== WebSocket.OPEN) return;
        const { revision, rows } = await this.context.storage.data.changesSince(cursor.revision, this.realms);
        // A newer `ready` arrived during the read: the loop reads again from the new cursor.
        if (rows.length === 0 || this.cursor !== cursor || this.awaitingReady || this.expired) continue;
        this.awaitingReady = true;
        this.sendText(
          encodeWithChanges(
            { type: 'changes', baseRev: cursor.text, newRev: String(revision), realmSetHash: cursor.realmSetHash },
            encodeChanges(rows, this.realmSet),
          ),
        );
      } while (this.deliverAgain);
    } catch (error) {
      this.context.logger.error({ err: error }, 'changes socket: delivery failed');
      this.send({ type: 'error', error: 'internal' });
    } finally {
      this.delivering = false;
    }
  }

  /** True (after telling the client) when the access token has expired. */
  private checkExpiry(): boolean {
    if (!this.expired && this.principal.kind === 'user' && this.context.now() >= this.principal.expiresAt) {
      this.expire();
    } else if (this.expired) {
      this.send({ type: 'token-expired' });
    }
    return this.expired;
  }

  private expire(): void {
    this.expired = true;
    this.dispose();
    this.send({ type: 'token-expired' });
  }

  private armExpiryTimer(): void {
    if (this.principal.kind !== 'user') return;
    const delay = this.principal.expiresAt - this.context.now();
    if (delay <= 0) {
      this.expire();
      return;
    }
    this.expiryTimer = setTimeout(() => {
      if (this.principal.kind === 'user' && this.context.now() < this.principal.expiresAt) this.armExpiryTimer();
      else this.expire();
    }, Math.min(delay, MAX_TIMER_DELAY_MS));
    this.expiryTimer.unref();
  }

  private send(message: Record<string, unknown>): void {
    this.sendText(JSON.stringify(message));
  }

  private sendText(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }
}
