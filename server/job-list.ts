// Every background task in the product and its schedule, in one list (like app.ts for routes). Each
// domain owns its tasks (a JobHandler per task name, in its own jobs module); this file only wires them
// to the one job queue (server/jobs). Task names are `domain:what`.
import { IMPORT_WXR, importWxrTask } from './import/jobs.js';
import type { JobDefinitions } from './jobs/worker.js';
import { POST_CHANGED, postChangedTask, SWEEP_LIVE_POSTS, sweepLivePosts, type PostChangeListener } from './posts/events.js';

/** What hears that a post became public, changed or was withdrawn (server/posts/events.ts). */
const postChangeListeners: PostChangeListener[] = [];

export const jobDefinitions: JobDefinitions = {
  tasks: {
    [POST_CHANGED]: postChangedTask(postChangeListeners),
    [SWEEP_LIVE_POSTS]: sweepLivePosts,
    [IMPORT_WXR]: importWxrTask,
  },
  cron: [{ task: SWEEP_LIVE_POSTS, match: '* * * * *' }],
};
