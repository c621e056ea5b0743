// The daily email of new matches (issue 20, "taking it with you"): a member who asks for it (per project,
// on the Conversations page) gets, once a day from the site's digest hour on (the email settings' hour
// and time zone), a list of the items fetched since their last email that match one of the project's key
// terms, with a link to the inbox. Nothing is sent when nothing is new.
//   listen:email-tick  hourly cron: from the digest hour on, one listen_email_sends row per member, project and
//                      local day (UNIQUE: a second tick, a second server or a retry adds nothing), and one
//                      listen:email-send job per row, in the same transaction.
//   listen:email-send  { id }: claims the row (queued → sending), sends through the email transport
//                      (SMTP, or the outbox without SMTP_URL), records the result. A temporary failure
//                      puts the row back and the queue retries; a row left `sending` is never resent.
// Each email carries List-Unsubscribe (an https URL) and List-Unsubscribe-Post (RFC 8058), built by the
// email domain's unsubscribeHeaders, and the same link in its body: a token signed with the email
// domain's machinery (server/email/tokens.ts: signPairToken) naming the person and the project, which
// turns that person's daily email of that project off (routes.ts: /listening/daily-email/off/<token>).
// The Conversations page turns it on again.
import type { Db } from '../db/create-db.js';
import type { JobHandler } from '../jobs/worker.js';
import { enqueue } from '../jobs/queue.js';
import { escapeHtml, unsubscribeHeaders } from '../email/messages.js';
import { signPairToken, siteSecretOf } from '../email/tokens.js';
import { localDate, readEmailSettings, zonedInstant } from '../email/settings.js';
import { deliver, failureText, isPermanentFailure } from '../email/transport.js';
import { absoluteUrl } from '../urls.js';
import { inboxPath } from './feed.js';
import { advanceSentThrough, claimSend, finishSend, insertDueSends, newMatches, sendContext, type MatchForEmail } from './daily-email-queries.js';

export const EMAIL_TICK_TASK = 'listen:email-tick';
export const EMAIL_SEND_TASK = 'listen:email-send';
/** Items listed in one email; the rest are counted ("and 12 more in the inbox"). */
export const EMAIL_MAX_ITEMS = 30;

/** The one-click "stop this email" address of a person's daily email of a project. */
export const dailyEmailOffPath = (token: string) => `/listening/daily-email/off/${encodeURIComponent(token)}`;

/** The signed token of that address (the person and the project, nothing else). */
export async function dailyEmailOffToken(db: Db, personId: number, projectId: number): Promise<string> {
  return signPairToken(await siteSecretOf(db), 'listening-daily-off', personId, projectId);
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDay(at: Date, timeZone: string): string {
  const d = localDate(at, timeZone);
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

export const emailTickTask: JobHandler = async (payload, context) => {
  const now = context.clock.now();
  const settings = await readEmailSettings(context.db);
  // From the digest hour on (a tick missed at that hour is made up by the next); the day's row is unique.
  const today = localDate(now, settings.timeZone);
  if (now < zonedInstant(today, settings.digestHour, settings.timeZone) && payload.force !== true) return;
  const day = localDay(now, settings.timeZone);
  await context.db.transaction().execute(async (tx) => {
    const ids = await insertDueSends(tx, day, now);
    for (const id of ids) await enqueue(tx, EMAIL_SEND_TASK, { id }, { jobKey: `listen:email:${id}`, maxAttempts: 5 });
  });
};

export const emailSendTask: JobHandler = async (payload, context, job) => {
  const id = Number(payload.id);
  if (!Number.isSafeInteger(id)) return;
  const { db, config } = context;
  const claimed = await claimSend(db, id);
  if (!claimed) return;
  const now = context.clock.now();
  const who = await sendContext(db, Number(claimed.person_id), Number(claimed.project_id));
  if (!who) return void (await finishSend(db, id, 'skipped', { lastError: 'the member no longer asks for it', now }));
  const { items, total } = await newMatches(db, Number(claimed.project_id), who.sent_through, claimed.period_end, EMAIL_MAX_ITEMS);
  if (total === 0) {
    await advanceSentThrough(db, Number(claimed.person_id), Number(claimed.project_id), claimed.period_end);
    return void (await finishSend(db, id, 'skipped', { lastError: 'nothing new', now }));
  }
  const inboxUrl = absoluteUrl(config.publicUrl, inboxPath(who.slug));
  const offUrl = absoluteUrl(config.publicUrl, dailyEmailOffPath(await dailyEmailOffToken(db, Number(claimed.person_id), Number(claimed.project_id))));
  const email = newMatchesEmail({ projectTitle: who.title, items, total, inboxUrl, offUrl });
  try {
    await deliver(db, config, { to: who.email, fromName: who.title, ...email });
  } catch (err) {
    if (isPermanentFailure(err) || job.lastAttempt) return void (await finishSend(db, id, 'failed', { lastError: failureText(err), now }));
    await finishSend(db, id, 'queued', { lastError: failureText(err), now });
    throw err;
  }
  await finishSend(db, id, 'sent', { items: total, now });
  await advanceSentThrough(db, Number(claimed.person_id), Number(claimed.project_id), claimed.period_end);
};

/** The email: a plain-text and an HTML part; every text from other sites is escaped in the HTML. */
export function newMatchesEmail(input: { projectTitle: string; items: MatchForEmail[]; total: number; inboxUrl: string; offUrl: string }): { subject: string; text: string; html: string; headers: Record<string, string> } {
  const { projectTitle, items, total, inboxUrl, offUrl } = input;
  const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
  const subject = `${total} new ${total === 1 ? 'match' : 'matches'} in ${projectTitle}’s conversations`;
  const more = total - items.length;
  const text = `${subject}\n\n${items
    .map((i) => `- ${oneLine(i.title) || '(untitled)'}\n  ${oneLine(i.sourceTitle)} · matches ${i.terms.map((t) => `“${t}”`).join(', ')}${i.url ? `\n  ${i.url}` : ''}`)
    .join('\n')}\n${more > 0 ? `\n…and ${more} more.\n` : ''}\nRead and answer them in the inbox: ${inboxUrl}\n\n--\nYou get this email because you asked for a daily email of new matches on the Conversations page of ${projectTitle}.\nStop this daily email: ${offUrl}\n`;
  const list = items
    .map((i) => {
      const title = escapeHtml(oneLine(i.title) || '(untitled)');
      return `<li>${i.url ? `<a href="${escapeHtml(i.url)}">${title}</a>` : title}<br>${escapeHtml(oneLine(i.sourceTitle))} · matches ${i.terms.map((t) => `“${escapeHtml(t)}”`).join(', ')}</li>`;
    })
    .join('\n');
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>
<body>
<h1>${escapeHtml(subject)}</h1>
<ul>
${list}
</ul>
${more > 0 ? `<p>…and ${more} more.</p>\n` : ''}<p><a href="${escapeHtml(inboxUrl)}">Read and answer them in the inbox</a></p>
<hr>
<p>You get this email because you asked for a daily email of new matches on the Conversations page of ${escapeHtml(projectTitle)}. <a href="${escapeHtml(offUrl)}">Stop this daily email</a></p>
</body>
</html>
`;
  return { subject, text, html, headers: unsubscribeHeaders(offUrl) };
}
