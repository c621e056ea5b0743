// `email:prune-unconfirmed` (daily cron): subscriptions nobody confirmed are not kept. A confirmation
// link works CONFIRM_LINK_HOURS (72) after it is signed; a subscription still unconfirmed a day after
// that (the margin covers a confirmation email delayed by retries) is removed, with an address left
// with nothing (server/email/queries.ts: pruneUnconfirmed).
import type { JobHandler } from '../jobs/worker.js';
import { pruneUnconfirmed } from './queries.js';
import { CONFIRM_LINK_HOURS } from './tokens.js';

export const EMAIL_PRUNE_UNCONFIRMED = 'email:prune-unconfirmed';

/** Hours after the link's lifetime before an unconfirmed subscription is removed. */
export const PRUNE_MARGIN_HOURS = 24;

export const pruneUnconfirmedTask: JobHandler = async (_payload, context) => {
  const cutoff = new Date(context.clock.now().getTime() - (CONFIRM_LINK_HOURS + PRUNE_MARGIN_HOURS) * 3_600_000);
  const removed = await pruneUnconfirmed(context.db, cutoff);
  if (removed.subscriptions || removed.addresses) {
    context.log.info({ event: 'email_pruned_unconfirmed', ...removed }, `removed ${removed.subscriptions} unconfirmed subscriptions and ${removed.addresses} addresses left with nothing`);
  }
};
