// /admin/projects/:project/settings — owners (and site admins): the project's title, summary,
// description, status, time zone, and the comment rules of server/projects/settings.ts.
// Registered behind requireProjectAction('edit-settings').
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkbox, hasErrors, text, wholeNumber, type FormBody, type FormErrors } from '../forms.js';
import type { Project, ProjectStatus } from '../db/schema.js';
import { RENDERER_VERSION, renderPostHtml } from '../markdown/render.js';
import { readSettings, type CommentPolicy, type ProjectSettings } from '../projects/settings.js';
import { accessOf } from '../auth/project-access.js';
import { updateProjectSettings } from './queries.js';
import { adminUrls } from '../urls.js';

const STATUSES: ProjectStatus[] = ['active', 'closed', 'archived'];
const POLICIES: { value: CommentPolicy; label: string }[] = [
  { value: 'hold-all', label: 'Hold every comment for a moderator' },
  { value: 'hold-first-time', label: 'Hold comments from first-time commenters' },
  { value: 'approve-all', label: 'Publish comments at once (rules below still hold some)' },
];
const MAX_DESCRIPTION = 20_000;

/** Whole-number settings: form field, bounds. */
const NUMBERS: { key: keyof ProjectSettings; label: string; min: number; max: number; hint?: string; keepWhenAbsent?: boolean }[] = [
  { key: 'maxLinks', label: 'Most links allowed in a comment before it is held', min: 0, max: 50 },
  { key: 'commentsPerTenMinutes', label: 'Comments one address may post in ten minutes', min: 0, max: 1000, hint: '0 turns the limit off.' },
  { key: 'minSecondsToComment', label: 'Fewest seconds between showing the form and posting a comment', min: 0, max: 600 },
  { key: 'autoCloseDays', label: 'Close comments this many days after publication', min: 0, max: 3650, hint: '0: never.' },
  { key: 'maxNameLength', label: 'Longest commenter name (characters)', min: 1, max: 200 },
  { key: 'maxEmailLength', label: 'Longest commenter email (characters)', min: 6, max: 254 },
  { key: 'maxCommentLength', label: 'Longest comment (characters)', min: 100, max: 50_000 },
  { key: 'responseTargetDays', label: 'Working days within which the team aims to decide on a comment', min: 0, max: 60 },
  { key: 'listeningKeepDays', label: 'Days to keep items fetched from watched feeds (Conversations)', min: 1, max: 3650, hint: 'Older items are deleted each night.', keepWhenAbsent: true },
];
const LISTS: { key: 'moderationKeywords' | 'blocklist' | 'moderationReasons'; label: string; hint: string }[] = [
  { key: 'moderationKeywords', label: 'Words that hold a comment for a moderator', hint: 'One per line; matched anywhere, ignoring case.' },
  { key: 'blocklist', label: 'Words that mark a comment as spam', hint: 'One per line; matched anywhere, ignoring case.' },
  { key: 'moderationReasons', label: 'Reasons moderators choose from when rejecting', hint: 'One per line.' },
];

export function isTimeZone(value: string): boolean {
  if (!value || value.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function lines(value: string): string[] {
  return value.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
}

function formValues(project: Project): Record<string, string> {
  const s = readSettings(project.settings);
  const values: Record<string, string> = {
    title: project.title,
    summary: project.summary,
    description: project.description_md,
    status: project.status,
    timeZone: project.time_zone,
    commentPolicy: s.commentPolicy,
    showWithheldCount: s.showWithheldCount ? 'on' : '',
    emailFullText: s.emailFullText ? 'on' : '',
  };
  for (const n of NUMBERS) values[n.key] = String(s[n.key]);
  for (const l of LISTS) values[l.key] = s[l.key].join('\n');
  return values;
}

export default async function settingsRoutes(app: FastifyInstance) {
  const settingsUrl = adminUrls.settings;

  function render(request: FastifyRequest, reply: FastifyReply, status: number, values: Record<string, string>, errors: FormErrors, notice?: string) {
    const { project } = accessOf(request);
    return reply.code(status).header('cache-control', 'no-store').page('pages/admin/settings', {
      title: `Settings: ${project.title}`,
      noindex: true,
      projectTitle: project.title,
      subscribersUrl: adminUrls.subscribers(project.slug),
      values,
      errors,
      notice,
      statuses: STATUSES,
      policies: POLICIES,
      numbers: NUMBERS,
      lists: LISTS,
      action: settingsUrl(project.slug),
    });
  }

  // GET /admin/projects/:project/settings — the settings form
  app.get<{ Querystring: { saved?: string } }>('/admin/projects/:project/settings', async (request, reply) =>
    render(request, reply, 200, formValues(accessOf(request).project), {}, request.query.saved ? 'The settings have been saved.' : undefined),
  );

  // POST /admin/projects/:project/settings — validate and save them all
  app.post<{ Body: FormBody }>('/admin/projects/:project/settings', async (request, reply) => {
    const { project } = accessOf(request);
    const body = request.body;
    const values: Record<string, string> = {};
    for (const name of ['title', 'summary', 'description', 'status', 'timeZone', 'commentPolicy', ...NUMBERS.map((n) => n.key), ...LISTS.map((l) => l.key)]) {
      values[name] = text(body, name);
    }
    values.showWithheldCount = checkbox(body, 'showWithheldCount') ? 'on' : '';
    values.emailFullText = checkbox(body, 'emailFullText') ? 'on' : '';
    const errors: FormErrors = {};
    const title = values.title!.trim();
    if (!title) errors.title = 'Enter a title.';
    else if (title.length > 200) errors.title = 'Use at most 200 characters.';
    if (values.summary!.trim().length > 300) errors.summary = 'Use at most 300 characters.';
    if (values.description!.length > MAX_DESCRIPTION) errors.description = `Use at most ${MAX_DESCRIPTION.toLocaleString('en-GB')} characters.`;
    if (!STATUSES.includes(values.status as ProjectStatus)) errors.status = 'Choose a status.';
    if (!isTimeZone(values.timeZone!.trim())) errors.timeZone = 'Enter a time zone name like Europe/London or UTC.';
    if (!POLICIES.some((p) => p.value === values.commentPolicy)) errors.commentPolicy = 'Choose a comment policy.';
    const settings: Record<string, unknown> = { ...readSettings(project.settings) };
    settings.commentPolicy = values.commentPolicy;
    settings.showWithheldCount = values.showWithheldCount === 'on';
    settings.emailFullText = values.emailFullText === 'on';
    for (const n of NUMBERS) {
      // A setting added later: a form without its field (opened before it existed) keeps the stored value.
      if (n.keepWhenAbsent && values[n.key] === '' && !(body && typeof body === 'object' && n.key in body)) {
        values[n.key] = String(settings[n.key]);
        continue;
      }
      const parsed = wholeNumber(values[n.key]!, n.min, n.max);
      if (parsed.error) errors[n.key] = parsed.error;
      else settings[n.key] = parsed.value;
    }
    for (const l of LISTS) {
      const items = lines(values[l.key]!);
      if (items.length > 500 || items.some((i) => i.length > 200)) errors[l.key] = 'Use at most 500 lines of at most 200 characters each.';
      else if (l.key === 'moderationReasons' && items.length === 0) errors[l.key] = 'Give at least one reason.';
      else settings[l.key] = items;
    }
    if (hasErrors(errors)) return render(request, reply, 422, values, errors);
    await updateProjectSettings(app.db, project.id, {
      title,
      summary: values.summary!.trim(),
      descriptionMd: values.description!,
      descriptionHtml: renderPostHtml(values.description!),
      renderedVersion: RENDERER_VERSION,
      status: values.status as ProjectStatus,
      timeZone: values.timeZone!.trim(),
      settingsJson: JSON.stringify(settings),
    }, app.clock.now());
    return reply.redirect(`${settingsUrl(project.slug)}?saved=1`, 303);
  });
}
