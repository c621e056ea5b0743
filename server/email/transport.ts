// Where an email goes: to the SMTP server of SMTP_URL through nodemailer (pooled connections, short
// timeouts so a hung server cannot hold a claimed delivery for long), or, without SMTP_URL, into the
// outbox table that site admins read at /admin/outbox: a new install can try every flow and nothing
// leaves the machine. Failures are sorted here: a 5xx for the recipient or the message is permanent (a
// hard bounce); anything else (4xx, connection refused, timeout, authentication) is temporary: the job
// throws and the queue retries it with backoff.
import nodemailer, { type Transporter } from 'nodemailer';
import type { Db } from '../db/create-db.js';
import type { Config } from '../config.js';

export interface OutgoingEmail {
  to: string;
  /** The display name of the sender (the project's name, or the site's). */
  fromName: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
}

const transports = new Map<string, Transporter>();

function transportFor(smtpUrl: string): Transporter {
  let transport = transports.get(smtpUrl);
  if (!transport) {
    const url = new URL(smtpUrl);
    transport = nodemailer.createTransport({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
      secure: url.protocol === 'smtps:',
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      pool: true,
      maxConnections: 4,
      maxMessages: 1_000,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      // STARTTLS when the server offers it; a closed network's catcher (mailpit) may offer none.
      ignoreTLS: url.searchParams.get('tls') === 'off',
    });
    transports.set(smtpUrl, transport);
  }
  return transport;
}

/** Closes the pooled SMTP connections (the app's onClose). */
export function closeTransports(): void {
  for (const transport of transports.values()) transport.close();
  transports.clear();
}

/** Sends (or keeps in the outbox); throws on failure (see isPermanentFailure). */
export async function deliver(db: Db, config: Config, email: OutgoingEmail): Promise<void> {
  const subject = email.subject.replace(/[\r\n\u0000-\u001f\u007f]+/g, ' ').trim();
  const fromName = email.fromName.replace(/[\r\n\u0000-\u001f\u007f"<>]+/g, ' ').trim();
  if (!config.smtpUrl) {
    await db
      .insertInto('email_outbox')
      .values({ to_address: email.to, subject, headers: JSON.stringify({ From: `"${fromName}" <${config.mailFrom}>`, ...email.headers }), text_body: email.text, html_body: email.html ?? null })
      .execute();
    return;
  }
  await transportFor(config.smtpUrl).sendMail({
    from: { name: fromName, address: config.mailFrom },
    to: email.to,
    subject,
    text: email.text,
    html: email.html,
    headers: email.headers,
  });
}

/** A 5xx answer about this recipient or message: do not try again (a hard bounce). */
export function isPermanentFailure(err: unknown): boolean {
  const e = err as { responseCode?: number; code?: string };
  return typeof e?.responseCode === 'number' && e.responseCode >= 500 && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE');
}

/** A short description for the record (no addresses beyond the server's own words). */
export function failureText(err: unknown): string {
  const e = err as { response?: string; message?: string; code?: string };
  return String(e?.response ?? e?.message ?? e?.code ?? err).slice(0, 300);
}
