// Email updates over HTTP, by audience:
//   - the public: the subscribe form (on project, tag, person and search pages, and at /email/subscribe),
//     the confirmation link, the manage page and the one-click unsubscribe, both reached by a signed
//     token (no account);
//   - project owners: how many confirmed subscribers their project has (never the addresses);
//   - site admins: the outbox (when no SMTP server is set), finding and forgetting an address
//     everywhere, suspended addresses and deliveries of unknown outcome, account and confirmation emails
//     the mail server refused, a project's list as CSV, and the hour and time zone of digests.
// The subscribe form sits on pages that are the same for every reader (cached here and by a CDN), so it
// carries no per-visitor CSRF token; like the comment form, a submission whose browser says it came
// from another site is refused (Sec-Fetch-Site, else Origin, else Referer). A forged submission could in
// any case only ask for a confirmation email, which the per-address throttle limits. The one-click
// unsubscribe POST takes no cookie and no token but its signed URL, as RFC 8058 requires.
import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireSiteAdmin, requireUser } from '../auth/plugin.js';
import { requireProjectAction } from '../auth/project-access.js';
import type { EmailFrequency } from '../db/schema.js';
import { notFound } from '../errors.js';
import type { FormErrors } from '../forms.js';
import { enqueue } from '../jobs/queue.js';
import { urls } from '../urls.js';
import { accountRefusalText } from './account-emails.js';
import { checkAddress } from './address.js';
import { EMAIL_CONFIRM, HARD_BOUNCE_LIMIT } from './jobs.js';
import {
  changeFrequency,
  confirmSubscription,
  countProjectSubscribers,
  dismissAccountRefusal,
  dismissConfirmationRefusal,
  findAddressById,
  findAddressForAdmin,
  findOrCreateAddress,
  FREQUENCIES,
  forgetAddress,
  isFrequency,
  listAccountRefusals,
  listConfirmationRefusals,
  listProjectSubscribers,
  listSubscriptions,
  listSuspendedAddresses,
  listUnknownDeliveries,
  removeAllSubscriptions,
  removeSubscription,
  requestSubscription,
  throttleAllows,
  findOutboxEmail,
  listOutbox,
} from './queries.js';
import { findProjectBySlug } from '../projects/queries.js';
import { DEFAULT_EMAIL_SETTINGS, isTimeZone, readEmailSettings, saveEmailSettings } from './settings.js';
import { resolveTarget } from './targets.js';
import { readToken, signToken, siteSecretOf } from './tokens.js';
import { closeTransports } from './transport.js';
import { param, withParams } from '../route-params.js';

// The signed links' token: email/tokens.ts reads it and the page says when it is expired or wrong.
const TOKEN_PARAMS = withParams({ token: param.linkToken });

type Body = Record<string, unknown>;

/** Confirmation emails one address may be sent per day, whatever is asked (silently: same answer). */
export const CONFIRMATIONS_PER_ADDRESS_PER_DAY = 3;
/** Subscribe forms one client may send per hour (then a clear refusal). */
export const SUBSCRIBES_PER_CLIENT_PER_HOUR = 20;

const NO_STORE = 'private, no-store';

/** What views/pages/email/outbox.eta reads: the latest kept emails, and the one opened. */
export interface OutboxView {
  emails: Array<{ id: number; createdAt: Date; toAddress: string; subject: string }>;
  /** The opened email; its HTML is shown as source text, never rendered (so no `Trusted` here). */
  open: { subject: string; toAddress: string; headers: Record<string, string>; textBody: string; htmlSource: string | null } | undefined;
  /** SMTP_URL is set: emails leave this machine now. */
  smtpSet: boolean;
}

export default async function emailRoutes(app: FastifyInstance) {
  const secret = await siteSecretOf(app.db);
  const keyed = (text: string) => createHmac('sha256', secret).update(`email-throttle:${text}`).digest('base64url').slice(0, 24);
  app.addHook('onClose', async () => closeTransports());

  // GET /email/subscribe?to=… — the subscribe form on a page of its own (from a link, or after an error)
  app.get<{ Querystring: Record<string, unknown> }>('/email/subscribe', async (request, reply) => {
    const target = await resolveTarget(app.db, request.query.to);
    if (!target) throw notFound('There is nothing to subscribe to at this address.');
    return subscribePage(reply, { to: String(request.query.to), description: target.description, pagePath: target.pagePath, email: '', frequency: 'each', errors: {} });
  });

  // POST /email/subscribe — ask for email updates: sends a confirmation email (double opt-in)
  app.post<{ Body: Body }>('/email/subscribe', { config: { csrf: false, dropsPages: false } }, async (request, reply) => {
    const body = request.body ?? {};
    const to = typeof body.to === 'string' ? body.to : '';
    const emailTyped = typeof body.email === 'string' ? body.email.slice(0, 400) : '';
    const frequency = isFrequency(body.frequency) ? body.frequency : undefined;
    const target = await resolveTarget(app.db, to);
    if (!target) throw notFound('There is nothing to subscribe to at this address.');
    const state = { to, description: target.description, pagePath: target.pagePath, email: emailTyped.replace(/[\r\n]+/g, ' '), frequency: frequency ?? 'each', errors: {} as FormErrors };
    if (!sameOrigin(app, request)) {
      state.errors.form = 'This form was sent from another site. If you filled it in here, please send it again.';
      return subscribePage(reply.code(403), state);
    }
    const checked = checkAddress(body.email);
    if (!checked.ok) state.errors.email = checked.message;
    if (!frequency) state.errors.frequency = 'Choose how often you want emails.';
    if (!checked.ok || !frequency) return subscribePage(reply.code(400), state);
    const now = app.clock.now();
    if (!(await throttleAllows(app.db, `client:${keyed(request.ip)}`, SUBSCRIBES_PER_CLIENT_PER_HOUR, 3_600_000, now))) {
      state.errors.form = 'You have asked for many subscriptions in a short time. Please wait an hour and try again.';
      return subscribePage(reply.code(429).header('retry-after', '3600'), state);
    }
    // Whatever happens next, the answer is the same: no one learns whether this address subscribes.
    await app.db.transaction().execute(async (tx) => {
      const address = await findOrCreateAddress(tx, checked.address, now);
      if (address.suspended) return;
      const subscription = await requestSubscription(tx, address.id, target, frequency, now);
      if (await throttleAllows(app.db, `address:${keyed(checked.address)}`, CONFIRMATIONS_PER_ADDRESS_PER_DAY, 86_400_000, now)) {
        await enqueue(tx, EMAIL_CONFIRM, { subscriptionId: subscription.id });
      }
    });
    return reply.redirect(`/email/check-inbox?to=${encodeURIComponent(to)}`, 303);
  });

  // GET /email/check-inbox — the one answer to every subscribe form that was filled in correctly
  app.get<{ Querystring: Record<string, unknown> }>('/email/check-inbox', async (request, reply) => {
    const target = await resolveTarget(app.db, request.query.to);
    return reply.header('cache-control', NO_STORE).page('pages/email/message', {
      title: 'Check your inbox',
      noindex: true,
      heading: 'Check your inbox',
      paragraphs: [
        'If this address can receive email updates, we have sent it an email with a link to confirm. Nothing else will be sent until the link is followed.',
        'The link works for 3 days. If no email arrives, look in your spam folder, or ask again later.',
      ],
      links: target ? [{ href: target.pagePath, text: 'Back to where you were' }] : [],
    });
  });

  // GET /email/confirm/:token — the confirmation link: a page with one button (link scanners only GET)
  app.get<{ Params: { token: string } }>('/email/confirm/:token', TOKEN_PARAMS, async (request, reply) => {
    const check = readToken(secret, 'confirm', request.params.token, app.clock.now());
    if (!check.ok) return invalidLink(reply, check.expired);
    const [sub] = await listSubscriptions(app.db, { ids: [check.id] });
    if (!sub) return invalidLink(reply, false);
    return reply.header('cache-control', NO_STORE).page('pages/email/message', {
      title: 'Confirm your email updates',
      noindex: true,
      heading: 'Confirm your email updates',
      paragraphs: [`You asked for ${FREQUENCIES[sub.frequency].toLowerCase()} about ${sub.description}.`],
      form: { action: urls.emailConfirm(request.params.token), button: 'Confirm' },
    });
  });

  // POST /email/confirm/:token — confirms (again is harmless); the token is the proof, no cookie needed
  app.post<{ Params: { token: string } }>('/email/confirm/:token', { ...TOKEN_PARAMS, config: { csrf: false, dropsPages: false } }, async (request, reply) => {
    const check = readToken(secret, 'confirm', request.params.token, app.clock.now());
    if (!check.ok) return invalidLink(reply, check.expired);
    const confirmed = await confirmSubscription(app.db, check.id, app.clock.now());
    if (!confirmed) return invalidLink(reply, false);
    return reply.redirect(urls.emailManage(signManage(secret, confirmed.address_id)) + '?confirmed=1', 303);
  });

  // GET /email/manage/:token — one address's subscriptions: change how often, remove one, remove all
  app.get<{ Params: { token: string }; Querystring: Record<string, unknown> }>('/email/manage/:token', TOKEN_PARAMS, async (request, reply) => {
    const addressId = readAddressToken(secret, request.params.token, app.clock.now());
    const address = addressId === undefined ? undefined : await findAddressById(app.db, addressId);
    if (!address) return invalidLink(reply, false);
    const subscriptions = (await listSubscriptions(app.db, { addressId: address.id })).filter((s) => s.confirmed);
    const notice = request.query.confirmed ? 'Your email updates are confirmed.' : request.query.done === 'removed' ? 'That subscription is removed.' : request.query.done === 'all' ? 'You are unsubscribed from everything. No more email updates will be sent to you.' : request.query.done === 'frequency' ? 'How often you get that email is changed.' : undefined;
    return reply.header('cache-control', NO_STORE).page('pages/email/manage', {
      title: 'Your email updates',
      noindex: true,
      address: address.address,
      suspended: address.suspended_at !== null,
      subscriptions,
      frequencies: FREQUENCIES,
      notice,
      action: urls.emailManage(request.params.token),
    });
  });

  // POST /email/manage/:token — change a frequency, remove one subscription, or remove all
  app.post<{ Params: { token: string }; Body: Body }>('/email/manage/:token', { ...TOKEN_PARAMS, config: { dropsPages: false } }, async (request, reply) => {
    const addressId = readAddressToken(secret, request.params.token, app.clock.now());
    const address = addressId === undefined ? undefined : await findAddressById(app.db, addressId);
    if (!address) return invalidLink(reply, false);
    const body = request.body ?? {};
    const subscriptionId = Number(body.subscription);
    let done = 'removed';
    if (body.action === 'remove-all') {
      await removeAllSubscriptions(app.db, address.id);
      done = 'all';
    } else if (body.action === 'remove' && Number.isSafeInteger(subscriptionId)) {
      await removeSubscription(app.db, address.id, subscriptionId);
    } else if (body.action === 'frequency' && Number.isSafeInteger(subscriptionId) && isFrequency(body.frequency)) {
      await changeFrequency(app.db, address.id, subscriptionId, body.frequency);
      done = 'frequency';
    } else {
      return reply.redirect(urls.emailManage(request.params.token), 303);
    }
    return reply.redirect(`${urls.emailManage(request.params.token)}?done=${done}`, 303);
  });

  // GET /email/unsubscribe/:token — the unsubscribe link: a page with one button
  app.get<{ Params: { token: string } }>('/email/unsubscribe/:token', TOKEN_PARAMS, async (request, reply) => {
    const what = await unsubscribeTarget(request.params.token);
    if (!what) return invalidLink(reply, false);
    return reply.header('cache-control', NO_STORE).page('pages/email/message', {
      title: 'Unsubscribe',
      noindex: true,
      heading: 'Unsubscribe',
      paragraphs: [`Stop ${what.description}?`],
      form: { action: urls.emailUnsubscribe(request.params.token), button: 'Unsubscribe' },
      links: [{ href: urls.emailManage(signManage(secret, what.addressId)), text: 'See all your email updates' }],
    });
  });

  // POST /email/unsubscribe/:token — RFC 8058 one-click unsubscribe (from a mail client: no cookie, no
  // CSRF token; the signed URL is the proof), and the button of the page above
  app.post<{ Params: { token: string } }>('/email/unsubscribe/:token', { ...TOKEN_PARAMS, config: { csrf: false, dropsPages: false } }, async (request, reply) => {
    const what = await unsubscribeTarget(request.params.token);
    if (!what) return invalidLink(reply, false);
    await what.remove();
    return reply.header('cache-control', NO_STORE).page('pages/email/message', {
      title: 'Unsubscribed',
      noindex: true,
      heading: 'You are unsubscribed',
      paragraphs: [`No more emails will be sent to you for ${what.description}.`],
      links: [{ href: urls.emailManage(signManage(secret, what.addressId)), text: 'See your other email updates' }],
    });
  });

  // What an unsubscribe token names: one subscription, or every daily/weekly one of an address.
  async function unsubscribeTarget(token: string): Promise<{ addressId: number; description: string; remove: () => Promise<unknown> } | undefined> {
    const now = app.clock.now();
    const one = readToken(secret, 'unsubscribe', token, now);
    if (one.ok) {
      const [sub] = await listSubscriptions(app.db, { ids: [one.id] });
      if (!sub) {
        // Already removed: unsubscribing again is harmless and says so.
        return undefined;
      }
      return { addressId: sub.addressId, description: `emails about ${sub.description}`, remove: () => removeSubscription(app.db, sub.addressId, sub.id) };
    }
    for (const frequency of ['daily', 'weekly'] as const) {
      const digest = readToken(secret, `unsubscribe-${frequency}`, token, now);
      if (digest.ok && (await findAddressById(app.db, digest.id))) {
        return { addressId: digest.id, description: `your ${frequency} digest`, remove: () => removeAllSubscriptions(app.db, digest.id, frequency) };
      }
    }
    return undefined;
  }

  // Project owners (and site admins): the number of confirmed subscribers, never the addresses
  await app.register(async (owners) => {
    owners.addHook('preHandler', requireUser);
    owners.addHook('preHandler', requireProjectAction('edit-settings'));
    // GET /admin/projects/:project/subscribers — how many people get this project's email updates
    owners.get<{ Params: { project: string } }>('/admin/projects/:project/subscribers', withParams({ project: param.project }), async (request, reply) => {
      const project = request.projectAccess!.project;
      return reply.page('pages/email/subscribers', {
        title: `Email subscribers of ${project.title}`,
        noindex: true,
        // Not `project`: the layout would name it in the header, which the team's pages do not.
        projectSlug: project.slug,
        projectTitle: project.title,
        count: await countProjectSubscribers(app.db, project.id),
        canExport: request.user?.isSiteAdmin === true,
      });
    });
  });

  // Site admins: the outbox, addresses, suspended addresses, unknown deliveries, export, digest time
  await app.register(async (admins) => {
    admins.addHook('preHandler', requireSiteAdmin);

    // GET /admin/outbox — the emails kept here because no SMTP server is configured (newest first)
    admins.get<{ Querystring: Record<string, unknown> }>('/admin/outbox', async (request, reply) => {
      const id = Number(request.query.id);
      const emails = await listOutbox(app.db, 100);
      const open = Number.isSafeInteger(id) ? await findOutboxEmail(app.db, id) : undefined;
      return reply.header('cache-control', NO_STORE).page('pages/email/outbox', {
        title: 'Outbox',
        noindex: true,
        ...({
          emails: emails.map((e) => ({ id: e.id, createdAt: e.created_at, toAddress: e.to_address, subject: e.subject })),
          open: open && { subject: open.subject, toAddress: open.to_address, headers: open.headers, textBody: open.text_body, htmlSource: open.html_body },
          smtpSet: app.config.smtpUrl !== undefined,
        } satisfies OutboxView),
      });
    });

    // GET /admin/email — find an address; suspended addresses; deliveries of unknown outcome; digest time
    admins.get<{ Querystring: Record<string, unknown> }>('/admin/email', async (request, reply) => {
      const q = typeof request.query.address === 'string' ? request.query.address.trim().toLowerCase().slice(0, 254) : '';
      return emailAdminPage(reply, q, typeof request.query.done === 'string' ? request.query.done : undefined, {});
    });

    // POST /admin/email/forget — remove an address everywhere (subscriptions, deliveries, outbox)
    admins.post<{ Body: Body }>('/admin/email/forget', async (request, reply) => {
      const address = typeof request.body?.address === 'string' ? request.body.address.trim().toLowerCase() : '';
      const removed = address ? await forgetAddress(app.db, address) : false;
      return reply.redirect(`/admin/email?done=${removed ? 'forgotten' : 'not-found'}`, 303);
    });

    // POST /admin/email/refusals/:id/dismiss — a refused account email, seen to by the admin
    admins.post<{ Params: { id: number } }>('/admin/email/refusals/:id/dismiss', withParams({ id: param.id }), async (request, reply) => {
      await dismissAccountRefusal(app.db, request.params.id);
      return reply.redirect('/admin/email?done=dismissed', 303);
    });

    // POST /admin/email/confirmation-refusals/:id/dismiss — a refused confirmation email, seen to by the admin
    admins.post<{ Params: { id: number } }>('/admin/email/confirmation-refusals/:id/dismiss', withParams({ id: param.id }), async (request, reply) => {
      await dismissConfirmationRefusal(app.db, request.params.id);
      return reply.redirect('/admin/email?done=dismissed', 303);
    });

    // POST /admin/email/settings — the hour, time zone and weekday of digests
    admins.post<{ Body: Body }>('/admin/email/settings', async (request, reply) => {
      const body = request.body ?? {};
      const hour = Number(body.digestHour);
      const day = Number(body.weeklyDay);
      const zone = typeof body.timeZone === 'string' ? body.timeZone.trim() : '';
      const errors: FormErrors = {};
      if (!Number.isInteger(hour) || hour < 0 || hour > 23) errors.digestHour = 'Choose an hour from 0 to 23.';
      if (!Number.isInteger(day) || day < 0 || day > 6) errors.weeklyDay = 'Choose a day of the week.';
      if (!zone || !isTimeZone(zone)) errors.timeZone = 'Enter a time zone such as Europe/London.';
      if (Object.keys(errors).length) return emailAdminPage(reply.code(400), '', undefined, errors, { digestHour: String(body.digestHour ?? ''), timeZone: zone, weeklyDay: String(body.weeklyDay ?? '') });
      await saveEmailSettings(app.db, { digestHour: hour, timeZone: zone, weeklyDay: day }, app.clock.now());
      return reply.redirect('/admin/email?done=settings', 303);
    });

    // GET /admin/projects/:project/subscribers.csv — a project's confirmed subscriptions, for a move
    admins.get<{ Params: { project: string } }>('/admin/projects/:project/subscribers.csv', withParams({ project: param.project }), async (request, reply) => {
      const project = await findProjectBySlug(app.db, request.params.project);
      if (!project) throw notFound('There is no project at this address.');
      const rows = await listProjectSubscribers(app.db, project.id);
      const csv = ['address,subscribed_to,frequency,confirmed_at', ...rows.map((r) => [r.address, r.kind === 'tag' ? `tag:${r.tag_slug}` : 'project', r.frequency, r.confirmed_at?.toISOString() ?? ''].map(csvField).join(','))].join('\r\n') + '\r\n';
      return reply
        .header('cache-control', NO_STORE)
        .header('content-disposition', `attachment; filename="${project.slug}-subscribers.csv"`)
        .type('text/csv; charset=utf-8')
        .send(csv);
    });
  });

  async function emailAdminPage(reply: FastifyReply, q: string, done: string | undefined, errors: FormErrors, typed?: Record<string, string>) {
    const found = q ? await findAddressForAdmin(app.db, q) : undefined;
    const foundSubscriptions = found ? await listSubscriptions(app.db, { addressId: found.id }) : [];
    const suspended = await listSuspendedAddresses(app.db);
    const unknown = await listUnknownDeliveries(app.db);
    const settings = await readEmailSettings(app.db);
    const refusals = (await listAccountRefusals(app.db)).map((r) => ({ id: r.id, ...accountRefusalText(r) }));
    const confirmationRefusals = (await listConfirmationRefusals(app.db)).map((r) => ({ id: r.id, ...confirmationRefusalText(r) }));
    return reply.header('cache-control', NO_STORE).page('pages/email/admin', {
      refusals,
      confirmationRefusals,
      title: 'Email updates',
      noindex: true,
      q,
      found,
      foundSubscriptions,
      suspended,
      unknown,
      bounceLimit: HARD_BOUNCE_LIMIT,
      settings: typed ?? { digestHour: String(settings.digestHour), timeZone: settings.timeZone, weeklyDay: String(settings.weeklyDay) },
      defaults: DEFAULT_EMAIL_SETTINGS,
      errors,
      notice: done === 'forgotten' ? 'The address is removed everywhere.' : done === 'not-found' ? 'No subscriber has that address.' : done === 'settings' ? 'The digest time is saved.' : done === 'dismissed' ? 'The refused email is no longer listed.' : undefined,
      smtpSet: app.config.smtpUrl !== undefined,
    });
  }
}

interface SubscribeState {
  to: string;
  description: string;
  pagePath: string;
  email: string;
  frequency: EmailFrequency;
  /** FormErrors: `form` is a problem with the whole form (shown in the summary), the rest are fields. */
  errors: FormErrors;
}

function subscribePage(reply: FastifyReply, state: SubscribeState) {
  return reply.header('cache-control', NO_STORE).page('pages/email/subscribe', {
    title: 'Email updates', // the layout adds "Error: " when the page shows an error summary
    noindex: true,
    ...state,
    frequencies: FREQUENCIES,
  });
}

function invalidLink(reply: FastifyReply, expired: boolean) {
  return reply
    .code(expired ? 410 : 404)
    .header('cache-control', NO_STORE)
    .page('pages/email/message', {
      title: expired ? 'This link has expired' : 'This link does not work',
      noindex: true,
      heading: expired ? 'This link has expired' : 'This link does not work',
      paragraphs: [
        expired
          ? 'Confirmation links work for 3 days. Please fill in the form again to get a new one.'
          : 'It may have been copied incompletely, or what it was for has been removed already (unsubscribing twice changes nothing).',
      ],
    });
}

function signManage(secret: string, addressId: number): string {
  return signToken(secret, 'manage', addressId);
}


function readAddressToken(secret: string, token: string, now: Date): number | undefined {
  const check = readToken(secret, 'manage', token, now);
  return check.ok ? check.id : undefined;
}

/** "The confirmation email to x@example.org (email updates about …) was refused…": for site admins. */
function confirmationRefusalText(r: { address: string; description: string; reason: string; refused_at: Date }): { summary: string; answer: string } {
  const when = `${r.refused_at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const gaveUp = r.reason.startsWith('gave up after ');
  const what = `The confirmation email to ${r.address} (${r.description})`;
  return {
    summary: gaveUp ? `${what} could not be delivered (${when}).` : `${what} was refused by the mail server (${when}).`,
    answer: gaveUp ? `The mail server could not be reached or kept asking to try later: “${r.reason}”.` : `It answered: “${r.reason}”. The address may be mistyped or no longer exist; nothing more is sent to it unless it is asked for again.`,
  };
}

function csvField(value: string): string {
  // Quote every field; a leading =, +, - or @ is prefixed so a spreadsheet does not run it as a formula.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

// The browser says the form came from this site (or says nothing: not a browser, or an old one).
function sameOrigin(app: FastifyInstance, request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  const from = typeof request.headers.origin === 'string' ? request.headers.origin : typeof request.headers.referer === 'string' ? request.headers.referer : undefined;
  if (from === undefined) return true;
  try {
    const host = new URL(from).host;
    return host !== '' && [request.headers.host, new URL(app.config.publicUrl).host].includes(host);
  } catch {
    return false;
  }
}
