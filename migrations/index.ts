// The ordered list of migrations. A static list (not a folder scan) so that the same code runs under
// tsx, vitest and a bundler. Add new migrations at the end; never edit one that has shipped.
import type { Migration } from 'kysely/migration';
import * as m0001 from './0001-initial.js';
import * as m0004 from './0004-search.js';
import * as m0005 from './0005-cache-notify.js';
import * as m0006 from './0006-cache-notify-comments.js';
import * as m0007 from './0007-accept-comment.js';
import * as m0008 from './0008-post-counts.js';
import * as m0009 from './0009-comment-target-stamp.js';
import * as m0010 from './0010-feed-changes.js';
import * as m0011 from './0011-comment-policy-and-edits.js';
import * as m0012 from './0012-team-comments.js';
import * as m0013 from './0013-writing.js';
import * as m0014 from './0014-post-announcements.js';
import * as m0015 from './0015-team-links.js';
import * as m0016 from './0016-email.js';
import * as m0017 from './0017-social.js';
import * as m0019 from './0019-listening.js';
import * as m0018 from './0018-wordpress-import.js';
import * as m0020 from './0020-social-shared.js';
import * as m0022 from './0022-listening-push-email.js';
import * as m0023 from './0023-listen-term-matches.js';
import * as m0026 from './0026-durable-digests.js';
import * as m0027 from './0027-refusals-and-pushes.js';
import * as m0028 from './0028-bulk-post-writes.js';

export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0004-search': m0004,
  '0005-cache-notify': m0005,
  '0006-cache-notify-comments': m0006,
  '0007-accept-comment': m0007,
  '0008-post-counts': m0008,
  '0009-comment-target-stamp': m0009,
  '0010-feed-changes': m0010,
  '0011-comment-policy-and-edits': m0011,
  '0012-team-comments': m0012,
  '0013-writing': m0013,
  '0014-post-announcements': m0014,
  '0015-team-links': m0015,
  '0016-email': m0016,
  '0017-social': m0017,
  '0019-listening': m0019,
  '0018-wordpress-import': m0018,
  '0020-social-shared': m0020,
  '0022-listening-push-email': m0022,
  '0023-listen-term-matches': m0023,
  '0026-durable-digests': m0026,
  '0027-refusals-and-pushes': m0027,
  '0028-bulk-post-writes': m0028,
};
