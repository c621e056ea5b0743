// Every background task in the product and its schedule, in one list (like app.ts for routes). Each
// domain owns its tasks (a JobHandler per task name, in its own jobs module); this file only wires them
// to the one job queue (server/jobs). Task names are `domain:what`.
import { IMPORT_RECLAIM, IMPORT_WXR, importWxrTask, reclaimImportsTask } from './import/jobs.js';
import type { JobDefinitions } from './jobs/worker.js';
import { digestTick, EMAIL_DIGEST_TICK, EMAIL_SEND_DIGESTS, sendDigests } from './email/digests.js';
import { EMAIL_ACCOUNT, sendAccountEmail } from './email/account-emails.js';
import { EMAIL_PRUNE_UNCONFIRMED, pruneUnconfirmedTask } from './email/prune.js';
import { EMAIL_CONFIRM, EMAIL_FAN_OUT, EMAIL_SEND, EMAIL_SWEEP_CLAIMS, emailOnPostChange, fanOut, sendBatch, sendConfirmation, sweepClaims } from './email/jobs.js';
import { HEAL_TASK, healTask, POLL_TASK, pollTask, PRUNE_TASK, pruneTask } from './listening/jobs.js';
import { MATCH_TERM_TASK, matchTermTask } from './listening/matches.js';
import { EMAIL_SEND_TASK, EMAIL_TICK_TASK, emailSendTask, emailTickTask } from './listening/daily-email.js';
import { pushTask, renewTask, subscribeTask, unsubscribeTask, WEBSUB_PUSH_TASK, WEBSUB_RENEW_TASK, WEBSUB_SUBSCRIBE_TASK, WEBSUB_UNSUBSCRIBE_TASK } from './listening/websub.js';
import { POST_CHANGED, postChangedTask, SWEEP_LIVE_POSTS, sweepLivePosts, type PostChangeListener } from './posts/events.js';
import { VERIFY_WEBMENTION, verifyWebmention } from './responses/receive.js';
import { SEND_ONE_WEBMENTION, SEND_WEBMENTIONS, sendOneWebmention, sendPostWebmentions, webmentionsOnPostChange } from './responses/send.js';
import { deliverContent, expireSubscriptions, pingExternalHub, publishChange, publishCommentFeed, verifyIntent, WEBSUB_COMMENT_FEED, WEBSUB_DELIVER, WEBSUB_EXPIRE, WEBSUB_PING, WEBSUB_PUBLISH, WEBSUB_VERIFY, websubOnPostChange } from './websub/hub.js';

/** What hears that a post became public, changed or was withdrawn (server/posts/events.ts). */
const postChangeListeners: PostChangeListener[] = [emailOnPostChange, websubOnPostChange, webmentionsOnPostChange];

export const jobDefinitions: JobDefinitions = {
  tasks: {
    [POST_CHANGED]: postChangedTask(postChangeListeners),
    [SWEEP_LIVE_POSTS]: sweepLivePosts,
    [EMAIL_CONFIRM]: sendConfirmation,
    [EMAIL_FAN_OUT]: fanOut,
    [EMAIL_SEND]: sendBatch,
    [EMAIL_DIGEST_TICK]: digestTick,
    [EMAIL_SEND_DIGESTS]: sendDigests,
    [EMAIL_SWEEP_CLAIMS]: sweepClaims,
    [EMAIL_PRUNE_UNCONFIRMED]: pruneUnconfirmedTask,
    [EMAIL_ACCOUNT]: sendAccountEmail,
    [VERIFY_WEBMENTION]: verifyWebmention,
    [SEND_WEBMENTIONS]: sendPostWebmentions,
    [SEND_ONE_WEBMENTION]: sendOneWebmention,
    [WEBSUB_VERIFY]: verifyIntent,
    [WEBSUB_PUBLISH]: publishChange,
    [WEBSUB_COMMENT_FEED]: publishCommentFeed,
    [WEBSUB_DELIVER]: deliverContent,
    [WEBSUB_PING]: pingExternalHub,
    [WEBSUB_EXPIRE]: expireSubscriptions,
    [POLL_TASK]: pollTask,
    [HEAL_TASK]: healTask,
    [PRUNE_TASK]: pruneTask,
    [MATCH_TERM_TASK]: matchTermTask,
    [WEBSUB_SUBSCRIBE_TASK]: subscribeTask,
    [WEBSUB_UNSUBSCRIBE_TASK]: unsubscribeTask,
    [WEBSUB_RENEW_TASK]: renewTask,
    [WEBSUB_PUSH_TASK]: pushTask,
    [EMAIL_TICK_TASK]: emailTickTask,
    [EMAIL_SEND_TASK]: emailSendTask,
    [IMPORT_WXR]: importWxrTask,
    [IMPORT_RECLAIM]: reclaimImportsTask,
  },
  // An import whose server was killed is taken up again as soon as a worker starts, not hours later.
  atStart: [IMPORT_RECLAIM],
  cron: [
    { task: SWEEP_LIVE_POSTS, match: '* * * * *' },
    { task: EMAIL_DIGEST_TICK, match: '*/10 * * * *' },
    { task: EMAIL_SWEEP_CLAIMS, match: '*/5 * * * *' },
    { task: EMAIL_PRUNE_UNCONFIRMED, match: '41 4 * * *' },
    { task: WEBSUB_EXPIRE, match: '17 * * * *' },
    { task: HEAL_TASK, match: '*/5 * * * *' },
    { task: PRUNE_TASK, match: '17 3 * * *' },
    { task: WEBSUB_RENEW_TASK, match: '41 * * * *' },
    { task: EMAIL_TICK_TASK, match: '0 * * * *' },
    { task: IMPORT_RECLAIM, match: '* * * * *' },
  ],
};
