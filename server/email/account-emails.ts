// Set-password links and team invitations, emailed when a site admin or project owner asks for it
// (server/admin: the "Email it to them" choice, offered when SMTP_URL is set; the printed link stays).
// `email:account` { personId, invitedBy, link?, expiresAt?, projectId?, role? } goes through the one job
// queue and the one transport (deliver). The link rides in the job's payload until it is sent
// (graphile-worker deletes a job when it succeeds); it is not kept anywhere else.
import type { Db, Tx } from '../db/create-db.js';
import { enqueue } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/worker.js';
import { readSiteSettings } from '../site/settings.js';
import { absoluteUrl } from '../urls.js';
import { accountEmail } from './messages.js';
import { deliver, failureText, isPermanentFailure } from './transport.js';

export const EMAIL_ACCOUNT = 'email:account';

export interface AccountEmailRequest {
  personId: number;
  /** The display name of who asked (the admin or owner). */
  invitedBy: string;
  link?: { url: string; expiresAt: Date };
  project?: { id: number; role: string };
}

/** Queues the email (in the caller's transaction when given one). */
export async function queueAccountEmail(db: Db | Tx, request: AccountEmailRequest): Promise<void> {
  await enqueue(db, EMAIL_ACCOUNT, {
    personId: request.personId,
    invitedBy: request.invitedBy,
    ...(request.link ? { link: request.link.url, expiresAt: request.link.expiresAt.toISOString() } : {}),
    ...(request.project ? { projectId: request.project.id, role: request.project.role } : {}),
  });
}

export const sendAccountEmail: JobHandler = async (payload, context) => {
  const personId = Number(payload.personId);
  if (!Number.isSafeInteger(personId)) return;
  const person = await context.db.selectFrom('people').select(['email', 'display_name', 'disabled_at']).where('id', '=', personId).executeTakeFirst();
  if (!person || person.disabled_at) return;
  const projectId = Number(payload.projectId);
  const project = Number.isSafeInteger(projectId) ? await context.db.selectFrom('projects').select('title').where('id', '=', projectId).executeTakeFirst() : undefined;
  const expiresAt = typeof payload.expiresAt === 'string' ? new Date(payload.expiresAt) : undefined;
  const link = typeof payload.link === 'string' && expiresAt && !Number.isNaN(expiresAt.getTime()) ? { url: payload.link, expiresAt } : undefined;
  // A link that expired while the email waited (SMTP down for days) is not worth sending.
  if (link && link.expiresAt <= context.clock.now()) return;
  const siteName = (await readSiteSettings(context.db)).name;
  const email = accountEmail({
    siteName,
    name: person.display_name,
    invitedBy: typeof payload.invitedBy === 'string' ? payload.invitedBy : 'An administrator',
    project: project ? { title: project.title, role: typeof payload.role === 'string' ? payload.role : 'member' } : undefined,
    link,
    signInUrl: absoluteUrl(context.config.publicUrl, '/login'),
  });
  try {
    await deliver(context.db, context.config, { to: person.email, fromName: project?.title ?? siteName, ...email });
  } catch (err) {
    if (isPermanentFailure(err)) {
      context.log.warn({ event: 'email_account_refused', personId, reason: failureText(err) }, 'the mail server refused an account email');
      return;
    }
    throw err;
  }
};
