// The emails themselves: a plain-text and an HTML part for each, written here as pure functions (data
// in, text out) so tests can read them without sending. The HTML part is a small accessible document:
// a language, a title, real headings and link text, no images at all (each post image becomes its
// description: server/markdown emailHtml), no remote resources, no tracking of opens or clicks. Every
// link is absolute. Every text that came from a person is escaped, or is post HTML from the one
// sanitizing renderer.
import { emailHtml } from '../markdown/render.js';

export interface PostForEmail {
  title: string;
  summary: string;
  bodyHtml: string;
  bodyMd: string;
  /** Absolute URL of the post. */
  url: string;
  projectTitle: string;
  authors: string[];
  publishedAt: Date;
}

export interface Composed {
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

function document(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

/** RFC 8058: mail clients show their own unsubscribe button and POST to the https URL. */
export function unsubscribeHeaders(unsubscribeUrl: string): Record<string, string> {
  return { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

function footer(why: string, manageUrl: string, unsubscribeUrl: string) {
  return {
    text: `\n--\nYou get this email because you asked for ${why}.\nManage your email updates: ${manageUrl}\nUnsubscribe: ${unsubscribeUrl}\n`,
    html: `<hr>\n<p>You get this email because you asked for ${escapeHtml(why)}.<br>\n<a href="${escapeHtml(manageUrl)}">Manage your email updates</a> · <a href="${escapeHtml(unsubscribeUrl)}">Unsubscribe</a></p>`,
  };
}

/** One new post, summary or full text. */
export function postEmail(post: PostForEmail, options: { fullText: boolean; why: string; manageUrl: string; unsubscribeUrl: string; publicUrl: string }): Composed {
  return postEmailComposer(post, options)(options);
}

/**
 * The post's part of its email, rendered once (the full text goes through the sanitizing renderer:
 * the costly part), and a function that adds each subscriber's footer and headers: a batch of
 * deliveries of one post renders the post once, not once per address.
 */
export function postEmailComposer(post: PostForEmail, options: { fullText: boolean; publicUrl: string }): (footer: { why: string; manageUrl: string; unsubscribeUrl: string }) => Composed {
  const byline = `${post.authors.length ? `By ${post.authors.join(', ')}, ` : ''}${dateFormat.format(post.publishedAt)}`;
  const summary = post.summary.trim();
  const textBody = options.fullText ? post.bodyMd.trim() : summary;
  const text = `${post.title}\n${post.projectTitle} · ${byline}\n\n${textBody ? `${textBody}\n\n` : ''}Read it on the site: ${post.url}\n`;
  const bodyHtml = options.fullText ? emailHtml(post.bodyHtml, `${options.publicUrl}/`, post.url) : summary ? `<p>${escapeHtml(summary)}</p>` : '';
  const html = `<p>${escapeHtml(post.projectTitle)}</p>
<h1><a href="${escapeHtml(post.url)}">${escapeHtml(post.title)}</a></h1>
<p>${escapeHtml(byline)}</p>
${bodyHtml}
<p><a href="${escapeHtml(post.url)}">Read “${escapeHtml(post.title)}” on the site</a></p>
`;
  return ({ why, manageUrl, unsubscribeUrl }) => {
    const foot = footer(why, manageUrl, unsubscribeUrl);
    return { subject: post.title, text: text + foot.text, html: document(post.title, html + foot.html), headers: unsubscribeHeaders(unsubscribeUrl) };
  };
}

/** The double opt-in: one link that confirms; nothing else is sent until it is followed. */
export function confirmationEmail(options: { description: string; confirmUrl: string; siteName: string; hours: number }): Composed {
  const text = `Please confirm that you want email updates from ${options.siteName}: ${options.description}.\n\nConfirm: ${options.confirmUrl}\n\nThe link works for ${options.hours} hours. If you did not ask for this, ignore this email: nothing more will be sent to you.\n`;
  const html = document(
    'Confirm your email updates',
    `<h1>Confirm your email updates</h1>
<p>Please confirm that you want email updates from ${escapeHtml(options.siteName)}: ${escapeHtml(options.description)}.</p>
<p><a href="${escapeHtml(options.confirmUrl)}">Confirm your email updates</a></p>
<p>The link works for ${options.hours} hours. If you did not ask for this, ignore this email: nothing more will be sent to you.</p>`,
  );
  return { subject: `Confirm your email updates: ${options.description}`, text, html, headers: {} };
}

/** Someone asked again for a subscription this address already has: where to manage it. */
export function alreadySubscribedEmail(options: { description: string; manageUrl: string; siteName: string }): Composed {
  const text = `You already get email updates from ${options.siteName}: ${options.description}.\n\nManage your email updates: ${options.manageUrl}\n\nIf you did not ask for this, ignore this email.\n`;
  const html = document(
    'You are already subscribed',
    `<h1>You are already subscribed</h1>
<p>You already get email updates from ${escapeHtml(options.siteName)}: ${escapeHtml(options.description)}.</p>
<p><a href="${escapeHtml(options.manageUrl)}">Manage your email updates</a></p>
<p>If you did not ask for this, ignore this email.</p>`,
  );
  return { subject: `You already get these email updates`, text, html, headers: {} };
}

export interface DigestGroup {
  description: string;
  posts: Array<{ title: string; summary: string; url: string; projectTitle: string; publishedAt: Date }>;
}

/** A daily or weekly digest: the period's posts per subscription, each post once in the email. */
export function digestEmail(groups: DigestGroup[], options: { frequency: 'daily' | 'weekly'; siteName: string; manageUrl: string; unsubscribeUrl: string; since?: string }): Composed {
  const label = options.frequency === 'daily' ? 'Your daily digest' : 'Your weekly digest';
  const count = groups.reduce((n, g) => n + g.posts.length, 0);
  const foot = footer(`a ${options.frequency} digest`, options.manageUrl, options.unsubscribeUrl);
  const textGroups = groups
    .map((g) => `${capitalise(g.description)}\n\n${g.posts.map((p) => `* ${p.title} (${p.projectTitle}, ${dateFormat.format(p.publishedAt)})\n  ${p.summary ? `${p.summary}\n  ` : ''}${p.url}`).join('\n\n')}`)
    .join('\n\n');
  const htmlGroups = groups
    .map(
      (g) => `<h2>${escapeHtml(capitalise(g.description))}</h2>
<ul>
${g.posts.map((p) => `<li><a href="${escapeHtml(p.url)}">${escapeHtml(p.title)}</a> <span>(${escapeHtml(p.projectTitle)}, ${dateFormat.format(p.publishedAt)})</span>${p.summary ? `<br>${escapeHtml(p.summary)}` : ''}</li>`).join('\n')}
</ul>`,
    )
    .join('\n');
  // A longer period than usual (the last digest could not go out on time, or its time was moved).
  const since = options.since ? `This digest covers everything since ${options.since}.` : '';
  const text = `${label} from ${options.siteName}: ${count} new ${count === 1 ? 'post' : 'posts'}\n\n${since ? `${since}\n\n` : ''}${textGroups}\n${foot.text}`;
  const html = document(label, `<h1>${escapeHtml(label)} from ${escapeHtml(options.siteName)}</h1>\n${since ? `<p>${escapeHtml(since)}</p>\n` : ''}${htmlGroups}\n${foot.html}`);
  return { subject: `${label}: ${count} new ${count === 1 ? 'post' : 'posts'} from ${options.siteName}`, text, html, headers: unsubscribeHeaders(options.unsubscribeUrl) };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A set-password link emailed on a site admin's or project owner's request (new account, new link, or
 * a new member of a team), or, for someone who has an account already, the note that they were added.
 */
export function accountEmail(options: { siteName: string; name: string; invitedBy: string; project?: { title: string; role: string }; link?: { url: string; expiresAt: Date }; signInUrl: string }): Composed {
  const what = options.project ? `${options.invitedBy} added you to the team of ${options.project.title} on ${options.siteName}, as ${options.project.role}.` : `${options.invitedBy} made you a link to set your password on ${options.siteName}.`;
  const expires = options.link ? `${dateFormat.format(options.link.expiresAt)} at ${options.link.expiresAt.toISOString().slice(11, 16)} UTC` : '';
  const heading = options.link ? 'Choose your password' : `You are on the team of ${options.project?.title ?? options.siteName}`;
  const text = options.link
    ? `Hello ${options.name},\n\n${what}\n\nChoose your password: ${options.link.url}\n\nThe link works once and until ${expires}. If you did not expect this, ignore this email.\n`
    : `Hello ${options.name},\n\n${what}\n\nSign in: ${options.signInUrl}\n`;
  const html = document(
    heading,
    `<h1>${escapeHtml(heading)}</h1>
<p>Hello ${escapeHtml(options.name)},</p>
<p>${escapeHtml(what)}</p>
${options.link ? `<p><a href="${escapeHtml(options.link.url)}">Choose your password</a></p>\n<p>The link works once and until ${escapeHtml(expires)}. If you did not expect this, ignore this email.</p>` : `<p><a href="${escapeHtml(options.signInUrl)}">Sign in</a></p>`}`,
  );
  const subject = options.project ? `You are invited to the team of ${options.project.title}` : `Your link to set a password on ${options.siteName}`;
  return { subject, text, html, headers: {} };
}
