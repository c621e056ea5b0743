// "Import from WordPress" for a project's owners (manage-team): upload an export (multipart, CSRF-checked
// like every form), which is staged and queued as a background job (server/import/jobs.ts); a progress
// page that refreshes itself without JavaScript (meta refresh) until the job is done; the stored report
// readable later. Also the old WordPress addresses (server/import/redirects.ts).
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { requireUser } from '../auth/plugin.js';
import { accessOf, parseId, refuseWritesIfArchived, requireProjectAction, type ProjectAccess } from '../auth/project-access.js';
import { BadRequestError, isDatabaseUnavailable, notFound } from '../errors.js';
import type { ImportReport } from './importer.js';
import { createImport } from './jobs.js';
import { reportLines } from './run.js';

export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
const MAX_FILES = 5;
const enc = encodeURIComponent;
export const importUrl = (project: string) => `/admin/projects/${enc(project)}/import`;
export const importRunUrl = (project: string, id: number) => `/admin/projects/${enc(project)}/import/${id}`;

type Params = { project: string };

function fieldValue(field: unknown): string | undefined {
  if (typeof field === 'string') return field;
  if (field && typeof field === 'object' && 'value' in field && typeof (field as { value: unknown }).value === 'string') return (field as { value: string }).value;
  return undefined;
}

export default async function importRoutes(app: FastifyInstance) {
  await app.register(async (owners) => {
    const reading = new WeakSet<object>();
    owners.addHook('preValidation', async (request) => void reading.add(request));
    await owners.register(multipart, {
      attachFieldsToBody: true,
      throwFileSizeLimit: false,
      limits: { fileSize: MAX_UPLOAD_BYTES, files: MAX_FILES, fields: 8, fieldSize: 2000, parts: MAX_FILES + 8 },
    });
    owners.addHook('preValidation', async (request) => void reading.delete(request));
    owners.setErrorHandler((error: FastifyError, request) => {
      if (reading.has(request) && !error.statusCode && !isDatabaseUnavailable(error)) {
        throw new BadRequestError('The upload could not be read: it was cut off or was not a proper form. Choose the file and send it again.');
      }
      throw error;
    });
    owners.addHook('preHandler', requireUser);
    owners.addHook('preHandler', requireProjectAction('manage-team', 'Only the owners of this project can import into it.'));

    // GET /admin/projects/:project/import — the upload form and the list of earlier imports
    owners.get<{ Params: Params }>('/admin/projects/:project/import', async (request, reply) => renderForm(app, reply, accessOf(request), {}));

    // POST /admin/projects/:project/import — stage the uploaded export(s) and queue the import
    owners.post<{ Params: Params }>('/admin/projects/:project/import', { preHandler: refuseWritesIfArchived }, async (request, reply) => {
      const access = accessOf(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const raw = body.file;
      const parts = (Array.isArray(raw) ? raw : raw ? [raw] : []) as MultipartFile[];
      const files: Array<{ name: string; bytes: Buffer }> = [];
      let error: string | undefined;
      for (const part of parts) {
        if (!part || typeof part !== 'object' || typeof part.toBuffer !== 'function') continue;
        const bytes = await part.toBuffer();
        if (part.file.truncated) error = `“${part.filename}” is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB. Import larger exports with the command line (npm run admin -- import:wxr), or split the export.`;
        else if (bytes.length > 0) files.push({ name: (part.filename || 'export.xml').slice(0, 200), bytes });
      }
      if (!error && files.length === 0) error = 'Choose the WordPress export file (.xml) to import.';
      const typed = { fetchMedia: fieldValue(body.fetch_media) === 'on', dryRun: fieldValue(body.dry_run) === 'on' };
      if (error) {
        reply.code(422);
        return renderForm(app, reply, access, { error, typed });
      }
      const importId = await createImport(app.db, {
        projectId: access.project.id,
        createdBy: request.user!.id,
        options: { fetchMedia: typed.fetchMedia, dryRun: typed.dryRun },
        files: files.map((f) => ({ name: f.name, chunks: (async function* () { yield f.bytes; })() })),
      });
      return reply.redirect(importRunUrl(access.project.slug, importId), 303);
    });

    // GET /admin/projects/:project/import/:id — progress (refreshing itself) and, when done, the report
    owners.get<{ Params: Params & { id: string } }>('/admin/projects/:project/import/:id', async (request, reply) => {
      const access = accessOf(request);
      const id = parseId(request.params.id);
      const row = await app.db.selectFrom('imports').selectAll().where('id', '=', id).where('project_id', '=', access.project.id).executeTakeFirst();
      if (!row) throw notFound('There is no such import.');
      const report = row.report as ImportReport | null;
      const running = row.status === 'queued' || row.status === 'running';
      return reply.page('pages/import/run', {
        title: `Import ${row.id}: ${access.project.title}`,
        noindex: true,
        refreshSeconds: running ? 3 : 0,
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
  const runs = await app.db.selectFrom('imports').select(['id', 'status', 'dry_run', 'file_names', 'created_at', 'items_done', 'items_total']).where('project_id', '=', access.project.id).orderBy('id', 'desc').limit(20).execute();
  return reply.page('pages/import/form', {
    title: `Import from WordPress: ${access.project.title}`,
    noindex: true,
    project: { slug: access.project.slug, title: access.project.title, status: access.project.status },
    action: importUrl(access.project.slug),
    maxMb: MAX_UPLOAD_BYTES / 1024 / 1024,
    error: model.error ?? null,
    typed: model.typed ?? { fetchMedia: false, dryRun: false },
    runs: runs.map((r) => ({ url: importRunUrl(access.project.slug, r.id), id: r.id, status: r.status, dryRun: r.dry_run, files: r.file_names.join(', '), at: r.created_at.toISOString().slice(0, 16).replace('T', ' '), done: r.items_done, total: r.items_total })),
  });
}
