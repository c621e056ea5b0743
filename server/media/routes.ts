// Images: the upload form of the editor (multipart, only in this scope, 5 MB) and the public
// /media/{sha256}.{ext} URLs, served from the database with immutable caching.
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireUser } from '../auth/plugin.js';
import { accessOf, parseId, refuseWritesIfArchived, requireProjectAction, type ProjectAccess } from '../auth/project-access.js';
import { BadRequestError, isDatabaseUnavailable, notFound } from '../errors.js';
import { findEditablePost } from '../posts/queries.js';
import { findImage, saveImage } from './queries.js';
import { checkAltText, checkUpload, IMAGE_TYPES, imageMarkdown, MAX_IMAGE_BYTES, mediaUrl, sha256Hex } from './service.js';
import { adminUrls } from '../urls.js';
import type { FormErrors } from '../forms.js';

const uploadUrl = adminUrls.uploadImage;
const editUrl = adminUrls.editPost;

type Params = { project: string };

export default async function mediaRoutes(app: FastifyInstance) {
  // GET /media/:sha256.:ext — an uploaded image; its URL names its content, so it never changes
  app.get<{ Params: { file: string } }>('/media/:file', async (request, reply) => {
    const m = /^([0-9a-f]{64})\.(png|jpg|gif|webp)$/.exec(request.params.file);
    if (!m) throw notFound('There is no such image.');
    const [, sha, ext] = m as unknown as [string, string, string];
    const image = await findImage(app.readDb, sha);
    const type = IMAGE_TYPES.find((t) => t.ext === ext);
    if (!image || !type || type.contentType !== image.content_type) throw notFound('There is no such image.');
    return reply
      .header('content-type', image.content_type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .header('content-length', String(image.bytes.length))
      .send(image.bytes);
  });

  await app.register(async (uploads) => {
    // Multipart only here. Oversized files are cut at the limit and reported on the form (not thrown),
    // so the person gets the upload form back with a clear message.
    // A body that cannot be read (cut off, no boundary, malformed parts) is the sender's fault: busboy
    // throws plain errors with no status while multipart's preValidation hook reads it, so an error with
    // no status in that window becomes a 400 page (the hooks either side of it mark the window).
    const readingBody = new WeakSet<FastifyRequest>();
    uploads.addHook('preValidation', async (request) => void readingBody.add(request));
    await uploads.register(multipart, {
      attachFieldsToBody: true,
      throwFileSizeLimit: false,
      limits: { fileSize: MAX_IMAGE_BYTES, files: 1, fields: 6, fieldSize: 2000, parts: 8 },
    });
    uploads.addHook('preValidation', async (request) => void readingBody.delete(request));
    uploads.setErrorHandler((error: FastifyError, request) => {
      if (readingBody.has(request) && !error.statusCode && !isDatabaseUnavailable(error)) {
        request.log.info({ err: error }, 'unreadable upload');
        throw new BadRequestError('The upload could not be read: it was cut off or was not a proper form. Choose the file and send it again.');
      }
      throw error; // the app's error handler renders everything else
    });
    uploads.addHook('preHandler', requireUser);
    uploads.addHook('preHandler', requireProjectAction('write-post', 'Only the writers of this project can upload images.'));
    uploads.addHook('preHandler', refuseWritesIfArchived);

    // GET /admin/projects/:project/images/new — the upload form on its own page
    uploads.get<{ Params: Params; Querystring: { post?: string } }>('/admin/projects/:project/images/new', async (request, reply) => {
      const access = accessOf(request);
      const postId = typeof request.query.post === 'string' && /^[1-9][0-9]{0,14}$/.test(request.query.post) ? Number(request.query.post) : undefined;
      return renderUpload(reply, access, { postId });
    });

    // POST /admin/projects/:project/images — upload one image (multipart); back to the post with its Markdown
    uploads.post<{ Params: Params }>('/admin/projects/:project/images', async (request, reply) => {
      const access = accessOf(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const postField = fieldValue(body.post);
      const post = postField && /^[1-9][0-9]{0,14}$/.test(postField) ? await findEditablePost(app.db, access.project.id, parseId(postField)) : undefined;
      const file = body.file as MultipartFile | undefined;
      let bytes: Buffer | undefined;
      let truncated = false;
      if (file && typeof file === 'object' && 'file' in file && typeof file.toBuffer === 'function') {
        bytes = await file.toBuffer();
        truncated = file.file.truncated;
      }
      const typed = { alt: fieldValue(body.alt) ?? '', decorative: fieldValue(body.decorative) === 'on' };
      const check = truncated ? checkUpload(undefined, true) : checkUpload(bytes);
      if (!check.ok) {
        reply.code(check.status);
        return renderUpload(reply, access, { postId: post?.id, errors: { file: check.message }, typed });
      }
      const alt = checkAltText(typed.alt, typed.decorative);
      if (!alt.ok) {
        reply.code(422);
        return renderUpload(reply, access, { postId: post?.id, errors: { alt: alt.message }, typed });
      }
      const sha = sha256Hex(bytes!);
      await saveImage(app.db, { sha256: sha, contentType: check.type.contentType, bytes: bytes!, projectId: access.project.id, uploadedBy: request.user!.id, altText: alt.alt });
      if (post) return reply.redirect(`${editUrl(access.project.slug, post.id)}?image=${sha}.${check.type.ext}`, 303);
      return renderUpload(reply, access, { image: imageMarkdown(mediaUrl(sha, check.type.ext), alt.alt) });
    });
  });
}

function fieldValue(field: unknown): string | undefined {
  if (typeof field === 'string') return field;
  if (field && typeof field === 'object' && 'value' in field && typeof (field as { value: unknown }).value === 'string') return (field as { value: string }).value;
  return undefined;
}

function renderUpload(
  reply: FastifyReply,
  access: ProjectAccess,
  model: { postId?: number; errors?: FormErrors; image?: string; typed?: { alt: string; decorative: boolean } },
) {
  const slug = access.project.slug;
  return reply.page('pages/editor/upload', {
    title: `Upload an image: ${access.project.title}`,
    noindex: true,
    project: { slug, title: access.project.title, status: access.project.status },
    action: uploadUrl(slug),
    postId: model.postId ?? null,
    backUrl: model.postId ? editUrl(slug, model.postId) : adminUrls.posts(slug),
    // The fields as typed, and their problems (keyed file, alt), for the form's partials.
    values: model.typed ?? { alt: '', decorative: false },
    errors: model.errors ?? {},
    imageMarkdown: model.image ?? null,
  });
}
