// Set-password links and team invitations, emailed when a site admin or project owner asks for it
// (server/admin: the "Email it to them" choice, offered when SMTP_URL is set; the printed link stays).
// `email:account` { personId, invitedBy, link?, expiresAt?, projectId?, role? } goes through the one job
// queue and the one transport (deliver). The link rides in the job's payload until it is sent
// (graphile-worker deletes a job when it succeeds); it is not kept anywhere else.
// An email the mail server refuses (5xx), or that no try could deliver, is recorded
// (email_account_refusals: whom, what, the server's words) and shown to site admins in plain words on
// /admin/people and /admin/email, until one reaches that person or an admin dismisses it.
import type { Db, Tx } from '../db/create-db.js';
import { enqueue } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/worker.js';
import { readSiteSettings } from '../site/settings.js';
import { absoluteUrl } from '../urls.js';
import { accountEmail } from './messages.js';
import { clearAccountRefusals, recordAccountRefusal, type AccountEmailKind } from './queries.js';
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

export const sendAccountEmail: JobHandler = async (payload, context, job) => {
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
  const what: AccountEmailKind = link ? (project ? 'invitation' : 'password-link') : 'team-note';
  try {
    await deliver(context.db, context.config, { to: person.email, fromName: project?.title ?? siteName, ...email });
  } catch (err) {
    const permanent = isPermanentFailure(err);
    if (permanent || job.lastAttempt) {
      const reason = permanent ? failureText(err) : `gave up after ${job.attempts} tries: ${failureText(err)}`;
      context.log.warn({ event: 'email_account_refused', personId, what, reason }, 'an account email did not reach its person; listed for site admins');
      await recordAccountRefusal(context.db, { personId, toAddress: person.email, what, reason, at: context.clock.now() });
      return;
    }
    throw err;
  }
  await clearAccountRefusals(context.db, personId);
};

/** "The invitation to Nia New (nia@example.org)…": a refusal in plain words, for site admins. */
export function accountRefusalText(r: { what: AccountEmailKind; display_name: string; to_address: string; reason: string; refused_at: Date }): { summary: string; answer: string; advice: string } {
  const whom = `${r.display_name} (${r.to_address})`;
  const thing = r.what === 'invitation' ? `The team invitation to ${whom}` : r.what === 'team-note' ? `The email telling ${whom} they were added to a team` : `The set-password link emailed to ${whom}`;
  const when = `${r.refused_at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const gaveUp = r.reason.startsWith('gave up after ');
  return {
    summary: gaveUp ? `${thing} could not be delivered (${when}).` : `${thing} was refused by the mail server (${when}).`,
    answer: gaveUp ? `The mail server could not be reached or kept asking to try later: “${r.reason}”.` : `It answered: “${r.reason}”. The address may be wrong or no longer exist.`,
    advice: r.what === 'team-note' ? 'Check their address, and tell them another way.' : 'Check their address. The link you were shown still works: hand it over another way, or make a new one.',
  };
}
