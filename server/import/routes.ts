// "Import from WordPress" for a project's owners (manage-team): upload an export (multipart, CSRF-checked
// like every form), which is staged and queued as a background job (server/import/jobs.ts); a progress
// page that refreshes itself without JavaScript (meta refresh) until the job is done; the stored report
// readable later. Also the old WordPress addresses (server/import/redirects.ts).
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requireUser } from '../auth/plugin.js';
import { accessOf, refuseWritesIfArchived, requireProjectAction, type ProjectAccess } from '../auth/project-access.js';
import { BadRequestError, isDatabaseUnavailable, notFound } from '../errors.js';
import type { ImportReport } from './importer.js';
import { createImport, UploadTooLarge } from './jobs.js';
import { UploadRefused } from './upload-check.js';
import { reportLines } from './run.js';
import { param, withParams } from '../route-params.js';
import { findImportAhead, findImportRun, listImportRuns } from './queries.js';

const MAX_FILES = 5;
/** Uploads this server receives at once (each holds a pooled database connection while it arrives). */
export const MAX_UPLOADS_AT_ONCE = 2;
const enc = encodeURIComponent;
export const importUrl = (project: string) => `/admin/projects/${enc(project)}/import`;
export const importRunUrl = (project: string, id: number) => `/admin/projects/${enc(project)}/import/${id}`;

type Params = { project: string };

class TooManyFiles extends Error {}

export default async function importRoutes(app: FastifyInstance) {
  const maxBytes = app.config.importUploadMaxBytes;
  const maxMb = Math.round(maxBytes / 1024 / 1024);
  let uploadsInProgress = 0; // this server's, see MAX_UPLOADS_AT_ONCE
  await app.register(async (owners) => {
    // The upload is read as a stream in the handler (request.parts()), never attached to the body: each
    // file goes into import_chunks 1 MB at a time as it arrives. busboy discards whatever is over the limit.
    await owners.register(multipart, {
      throwFileSizeLimit: false,
      // busboy's own limit on files is looser than MAX_FILES, which the handler counts itself so that it can
      // read the fields after the files (the options, kept on the form) before refusing.
      limits: { fileSize: maxBytes + 1, files: MAX_FILES * 4, fields: 8, fieldSize: 2000, parts: MAX_FILES * 4 + 8 },
    });
    owners.addHook('preHandler', requireUser);
    owners.addHook('preHandler', requireProjectAction('manage-team', 'Only the owners of this project can import into it.'));

    // GET /admin/projects/:project/import — the upload form and the list of earlier imports
    owners.get<{ Params: Params }>('/admin/projects/:project/import', withParams({ project: param.project }), async (request, reply) => renderForm(app, reply, accessOf(request), {}));

    // POST /admin/projects/:project/import — stream the uploaded export(s) into the database and queue the import.
    // The CSRF token is checked here, from the form's first field, before any file is read (the body is a stream).
    owners.post<{ Params: Params }>('/admin/projects/:project/import', { ...withParams({ project: param.project }), preHandler: refuseWritesIfArchived, config: { csrf: false } }, async (request, reply) => {
      const access = accessOf(request);
      // Each upload being received holds a database connection (its staging transaction) for as long as
      // it takes: a few slow uploads at once would take the pool from every reader. Beyond
      // MAX_UPLOADS_AT_ONCE on this server, an upload is refused, none of it kept.
      if (uploadsInProgress >= MAX_UPLOADS_AT_ONCE) {
        // The body is read and dropped first (no connection held): a browser answered while still
        // sending often shows "connection reset" instead of the page.
        if (!request.raw.readableEnded) await new Promise<void>((resolve) => {
          request.raw.once('end', resolve).once('close', resolve).once('error', () => resolve());
          request.raw.resume();
        });
        reply.code(503).header('retry-after', '60');
        return renderForm(app, reply, access, { error: `This server is already receiving ${MAX_UPLOADS_AT_ONCE} uploads, the most it takes at once (each holds a database connection while it arrives). Nothing of this one was read or kept: choose the file and send it again in a minute or two.` });
      }
      uploadsInProgress++;
      try {
        if (!request.isMultipart()) throw new BadRequestError('The upload could not be read: it was not a proper form. Choose the file and send it again.');
        const fields: Record<string, string> = {};
        const parts = request.parts()[Symbol.asyncIterator]();
        let csrfChecked = false;
        let fileCount = 0;
        let refused = false;
        let tooLarge: string | undefined;
        let problem: string | undefined;
        let current: MultipartFile | undefined;
        const checkCsrf = () => {
          // @fastify/csrf-protection reads the token from the body: give it the field, synchronously.
          request.body = { _csrf: fields._csrf ?? '' };
          let passed = false;
          app.csrfProtection(request, reply, () => void (passed = true));
          request.body = undefined;
          return passed;
        };
        async function* files() {
          for (;;) {
            const next = await parts.next();
            if (next.done) return;
            const part = next.value;
            if (part.type === 'field') {
              if (typeof part.value === 'string') fields[part.fieldname] = part.value.replaceAll('\u0000', '');
              continue;
            }
            if (!csrfChecked) {
              csrfChecked = true;
              if (!checkCsrf()) {
                refused = true;
                throw new Error('csrf');
              }
            }
            const file = part as MultipartFile;
            if (!file.filename) {
              file.file.resume();
              continue;
            }
            current = file;
            if (++fileCount > MAX_FILES) throw new TooManyFiles();
            // The name is shown on pages (escaped) and stored: no control characters (PostgreSQL refuses a NUL),
            // nor the invisible direction marks that make "gpj.xml" look like "lmx.jpg".
            const name = file.filename.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').slice(0, 200) || 'export.xml';
            yield {
              name,
              chunks: (async function* () {
                for await (const chunk of file.file) yield chunk as Buffer;
                if (file.file.truncated) throw new UploadTooLarge(name);
              })(),
            };
          }
        }
        let importId: number | undefined;
        let empty = false;
        try {
          importId = await createImport(app.db, {
            projectId: access.project.id,
            createdBy: request.user!.id,
            maxBytes,
            options: () => ({ fetchMedia: fields.fetch_media === 'on', dryRun: fields.dry_run === 'on' }),
            files: (async function* () {
              let n = 0;
              for await (const f of files()) {
                n++;
                yield f;
              }
              if (n === 0) {
                empty = true;
                throw new Error('empty');
              }
            })(),
          });
        } catch (e) {
          if (refused) return reply; // the CSRF check answered 403
          const code = (e as { code?: unknown } | null)?.code;
          if (e instanceof UploadTooLarge) tooLarge = `The upload is larger than ${maxMb} MB (the limit this site sets for uploads; nothing of it was kept). Import larger exports with the command line (npm run admin -- import:wxr), or split the export.`;
          else if (e instanceof UploadRefused) problem = `${e.message} Nothing was imported.`;
          else if (e instanceof TooManyFiles || code === 'FST_FILES_LIMIT') problem = `Choose at most ${MAX_FILES} files at once (nothing was imported). Import a longer split export in several goes, or with the command line.`;
          else if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') problem = 'The form was sent with more fields than it has (nothing was imported). Choose the file and send it again.';
          else if (!empty) {
            if (isDatabaseUnavailable(e)) throw e;
            throw new BadRequestError('The upload could not be read: it was cut off or was not a proper form. Choose the file and send it again.');
          }
        }
        if (importId === undefined) {
          // Read what is left of the request (busboy discards file bytes over the limit), then answer.
          current?.file.resume();
          for (;;) {
            const next = await parts.next().catch(() => ({ done: true, value: undefined }) as const);
            if (next.done) break;
            if (next.value.type === 'field') {
              if (typeof next.value.value === 'string') fields[next.value.fieldname] = next.value.value;
            } else next.value.file.resume();
          }
          if (!csrfChecked && !checkCsrf()) return reply;
          reply.code(tooLarge ? 413 : 422);
          return renderForm(app, reply, access, { error: tooLarge ?? problem ?? 'Choose the WordPress export file (.xml) to import.', typed: { fetchMedia: fields.fetch_media === 'on', dryRun: fields.dry_run === 'on' } });
        }
        return reply.redirect(importRunUrl(access.project.slug, importId), 303);
      } finally {
        uploadsInProgress--;
      }
    });

    // GET /admin/projects/:project/import/:id — progress (refreshing itself) and, when done, the report
    owners.get<{ Params: Params & { id: number } }>('/admin/projects/:project/import/:id', withParams({ project: param.project, id: param.id }), async (request, reply) => {
      const access = accessOf(request);
      const id = request.params.id;
      const row = await findImportRun(app.db, access.project.id, id);
      if (!row) throw notFound('There is no such import.');
      const report = row.report as ImportReport | null;
      const running = row.status === 'queued' || row.status === 'running';
      // A page that reloads itself moves a screen reader back to the top each time (WCAG 2.2.1, 3.2.5):
      // ?refresh=off stops it, leaving a "Refresh now" link.
      const still = (request.query as { refresh?: unknown } | undefined)?.refresh === 'off';
      const ahead = row.status === 'queued' ? await findImportAhead(app.db, access.project.id, row.id) : undefined;
      return reply.page('pages/import/run', {
        // The state first: the title is what a screen reader announces on each reload.
        title: `${row.status === 'queued' ? 'Waiting' : row.status === 'running' ? `Importing ${row.items_done} of ${row.items_total}` : row.status === 'failed' ? 'Stopped' : 'Finished'}: import ${row.id}, ${access.project.title}`,
        noindex: true,
        refreshSeconds: running && !still ? 3 : 0,
        project: { slug: access.project.slug, title: access.project.title, status: access.project.status },
        backUrl: importUrl(access.project.slug),
        run: {
          id: row.id,
          status: row.status,
          dryRun: row.dry_run,
          files: row.file_names.join(', '),
          done: row.items_done,
          total: row.items_total,
          activity: row.activity,
          url: importRunUrl(access.project.slug, row.id),
          autoRefresh: !still,
          waitingFor: ahead ? { id: ahead.id, url: importRunUrl(access.project.slug, ahead.id) } : null,
          error: row.error,
          started: row.created_at.toISOString().slice(0, 16).replace('T', ' '),
        },
        counts: report ? Object.entries(report.counts).filter(([, c]) => c.created + c.updated + c.unchanged + c.skipped > 0).map(([kind, c]) => ({ kind, ...c })) : [],
        people: report?.people ?? [],
        notes: report?.notes ?? [],
        text: report ? reportLines(report, row.dry_run).join('\n') : '',
      });
    });
  });
}

async function renderForm(app: FastifyInstance, reply: FastifyReply, access: ProjectAccess, model: { error?: string; typed?: { fetchMedia: boolean; dryRun: boolean } }) {
  const runs = await listImportRuns(app.db, access.project.id, 20);
  return reply.page('pages/import/form', {
    title: `Import from WordPress: ${access.project.title}`,
    noindex: true,
    project: { slug: access.project.slug, title: access.project.title, status: access.project.status },
    action: importUrl(access.project.slug),
    maxMb: Math.round(app.config.importUploadMaxBytes / 1024 / 1024),
    // FormErrors (the file field's problem) and the boxes as ticked, for the form's partials.
    errors: model.error ? { file: model.error } : {},
    values: model.typed ?? { fetchMedia: false, dryRun: false },
    runs: runs.map((r) => ({ url: importRunUrl(access.project.slug, r.id), id: r.id, status: r.status, dryRun: r.dry_run, files: r.file_names.join(', '), at: r.created_at.toISOString().slice(0, 16).replace('T', ' '), done: r.items_done, total: r.items_total })),
  });
}
