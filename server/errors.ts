// The error catalogue: every error the app throws on purpose, with a stable code and its HTTP status.
// The error handler (plugins/error-pages.ts) turns each into a page; the message is shown to the user.
import createError from '@fastify/error';

export const NotFoundError = createError<[string?]>('BLOG_ERR_NOT_FOUND', '%s', 404);
export const GoneError = createError<[string?]>('BLOG_ERR_GONE', '%s', 410);
export const ForbiddenError = createError<[string?]>('BLOG_ERR_FORBIDDEN', '%s', 403);
export const BadRequestError = createError<[string?]>('BLOG_ERR_BAD_REQUEST', '%s', 400);
export const ConflictError = createError<[string?]>('BLOG_ERR_CONFLICT', '%s', 409);
export const DatabaseUnavailableError = createError('BLOG_ERR_DATABASE_UNAVAILABLE', 'The database is not answering.', 503);

export const notFound = (what = 'We could not find that page.') => new NotFoundError(what);
export const gone = (what = 'This page has been removed.') => new GoneError(what);
export const forbidden = (what = 'You do not have permission to do that.') => new ForbiddenError(what);

/** Connection-level failures of PostgreSQL: the request gets a 503 with Retry-After, not a 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; syscall?: string } | null;
  if (!e) return false;
  // Any failure to connect, including to a Unix socket that is gone (ENOENT) while the server is down.
  if (e.syscall === 'connect') return true;
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', '53300'].includes(e.code)) {
    return true;
  }
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(
    e.message ?? '',
  );
}

/**
 * The database (or this server) has no room left to store anything: PostgreSQL's disk_full (53100),
 * or an ENOSPC from a file write. Reads still work; writes get a 503 that says so.
 */
export function isStorageFull(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code === '53100' || e.code === 'ENOSPC' || e.code === 'EDQUOT') return true;
  return /No space left on device|could not extend file|Disk quota exceeded/i.test(e.message ?? '');
}

export const STORAGE_FULL_MESSAGE =
  'The site cannot store anything right now: its storage is full. Reading works as usual; nothing you sent was saved. Please try again later.';
