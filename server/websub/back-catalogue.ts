// A transaction that writes a back catalogue of comments (the demo seed, a WordPress import) says so:
// the comments trigger of migration 0020 then queues no WebSub announcement of comment feeds for it
// (nobody can have subscribed to feeds of comments that did not exist here, and an import of 100,000
// comments would otherwise queue a job per comment). Only for the rest of this transaction.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export async function announceNoCommentFeeds(tx: Kysely<Database>): Promise<void> {
  await sql`SELECT set_config('pb.announce_comments', 'off', true)`.execute(tx);
}
