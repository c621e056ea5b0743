// `email:prune-unconfirmed` (daily cron): what is not kept.
//   - Subscriptions nobody confirmed. A confirmation link works CONFIRM_LINK_HOURS (72) after it is
//     signed; a subscription still unconfirmed a day after that (the margin covers a confirmation email
//     delayed by retries) is removed, with an address left with nothing (queries.ts: pruneUnconfirmed).
//   - Digest runs older than DIGEST_RUNS_KEEP_DAYS, but never the latest run of each frequency: the
//     digest tick starts the next run where that one ended (digests.ts; queries.ts: pruneDigestRuns).
import type { JobHandler } from '../jobs/worker.js';
import { pruneDigestRuns, pruneUnconfirmed } from './queries.js';
import { CONFIRM_LINK_HOURS } from './tokens.js';

export const EMAIL_PRUNE_UNCONFIRMED = 'email:prune-unconfirmed';

/** Hours after the link's lifetime before an unconfirmed subscription is removed. */
export const PRUNE_MARGIN_HOURS = 24;
/** Digest runs (periods, no addresses) are kept this long after their period ended. */
export const DIGEST_RUNS_KEEP_DAYS = 366;

export const pruneUnconfirmedTask: JobHandler = async (_payload, context) => {
  const now = context.clock.now().getTime();
  const cutoff = new Date(now - (CONFIRM_LINK_HOURS + PRUNE_MARGIN_HOURS) * 3_600_000);
  const removed = await pruneUnconfirmed(context.db, cutoff);
  if (removed.subscriptions || removed.addresses) {
    context.log.info({ event: 'email_pruned_unconfirmed', ...removed }, `removed ${removed.subscriptions} unconfirmed subscriptions and ${removed.addresses} addresses left with nothing`);
  }
  const runs = await pruneDigestRuns(context.db, new Date(now - DIGEST_RUNS_KEEP_DAYS * 86_400_000));
  if (runs > 0) context.log.info({ event: 'email_pruned_digest_runs', runs }, `removed ${runs} digest runs older than a year`);
};
