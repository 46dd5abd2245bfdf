/**
 * Request bodies are read with the size limit applied to the *decoded* bytes, so a small gzip bomb
 * is refused as early as a large plain body (reliability.md (c)). Exceeding the limit is a 413.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import zlib from 'node:zlib';
import { DxcHttpError } from '../errors.js';

function decoderFor(encoding: string | null): NodeJS.ReadWriteStream | undefined {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      throw new DxcHttpError('invalid-request', `Unsupported Content-Encoding ${encoding}`, 415);
  }
}

/** Read a request body as UTF-8 text, at most `limitBytes` after decompression. */
export async function readBodyText(request: Request, limitBytes: number): Promise<string> {
  const tooLarge = () =>
    new DxcHttpError('payload-too-large', `Request body exceeds ${limitBytes} bytes`, 413);
  const encoding = request.headers.get('content-encoding');
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (!encoding && Number.isFinite(declared) && declared > limitBytes) throw tooLarge();
  if (!request.body) return '';
  const decoder = decoderFor(encoding);
  let source: NodeJS.ReadableStream = Readable.fromWeb(request.body as unknown as WebReadableStream);
  if (decoder) source = source.pipe(decoder);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limitBytes) {
        (source as Readable).destroy?.();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof DxcHttpError) throw error;
    throw new DxcHttpError('invalid-request', `Unreadable request body: ${(error as Error).message}`, 400);
  }
  return Buffer.concat(chunks).toString('utf8');
}
