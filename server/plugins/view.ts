// Server-rendered pages: Eta templates in views/, a layout per page, and reply.page() which adds what
// every page needs (site name, signed-in person, canonical URL, feeds, a lazy CSRF token).
import { VIEWS_DIR } from '../paths.js';
import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { absoluteUrl, urls } from '../urls.js';


export interface FeedLink {
  title: string;
  href: string;
  type?: 'atom' | 'rss';
}

/** What every page template may be given besides its own data. */
export interface PageModel {
  /** The <title>; the site name is appended. */
  title: string;
  description?: string;
  /** Site-relative canonical path; defaults to the request path without query. */
  canonicalPath?: string;
  feeds?: FeedLink[];
  /** OpenGraph type: 'article' on posts. */
  ogType?: 'website' | 'article';
  /** Social preview image (site-relative or absolute), with `twitter:card` summary_large_image. */
  ogImage?: string;
  ogImageAlt?: string;
  /** Project identity in the header, when the page belongs to one. */
  project?: { slug: string; title: string; status: string };
  /** Search box prefill. */
  searchQuery?: string;
  noindex?: boolean;
  [key: string]: unknown;
}

export async function registerViews(app: FastifyInstance) {
  const eta = new Eta({ views: VIEWS_DIR, cache: true, autoTrim: false });
  await app.register(view, {
    engine: { eta },
    root: VIEWS_DIR,
    viewExt: 'eta',
    production: process.env.NODE_ENV !== 'development',
  });

  app.decorateReply('page', async function page(this: FastifyReply, template: string, model: PageModel) {
    const html = await this.viewAsync(template, requestLocals(app, this.request, this, model));
    return this.type('text/html; charset=utf-8').send(html);
  });
}

/**
 * A page that is the same for everyone (no signed-in person, no form), rendered once and sent as bytes:
 * for answers that must cost less than serving a cached page, such as the 429 page for a flood.
 */
export async function renderAnonymousPage(app: FastifyInstance, template: string, model: PageModel): Promise<Buffer> {
  const html = await app.view(
    template,
    pageLocals(app, model, {
      canonicalPath: '/',
      user: null,
      csrf: () => {
        throw new Error(`${template} is rendered once for everyone and cannot hold a form token`);
      },
    }),
  );
  return Buffer.from(html);
}

function requestLocals(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, model: PageModel) {
  let token: string | undefined;
  return pageLocals(app, model, {
    canonicalPath: request.url.split('?')[0] ?? '/',
    user: request.user ?? null,
    // Generated only by templates that render a form, so pages without forms set no cookie.
    csrf: () => (token ??= reply.generateCsrf()),
  });
}

/** What every page template is given besides its model; `viewer` says who sees it and how forms get a token. */
function pageLocals(app: FastifyInstance, model: PageModel, viewer: { canonicalPath: string; user: FastifyRequest['user'] | null; csrf: () => string }) {
  const publicUrl = app.config.publicUrl;
  return {
    siteName: app.siteSettings.current.name,
    siteOrganisation: app.siteSettings.current.organisation,
    urls,
    description: app.siteSettings.current.description,
    feeds: [],
    ...model,
    canonical: absoluteUrl(publicUrl, model.canonicalPath ?? viewer.canonicalPath),
    abs: (p: string) => absoluteUrl(publicUrl, p),
    ogImage: model.ogImage ? (/^https?:\/\//i.test(model.ogImage) ? model.ogImage : absoluteUrl(publicUrl, model.ogImage)) : undefined,
    user: viewer.user,
    csrf: viewer.csrf,
    formatDate,
    isoDate: (d: Date) => d.toISOString(),
  };
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
export function formatDate(d: Date, timeZone?: string): string {
  if (!timeZone || timeZone === 'UTC') return dateFormat.format(d);
  try {
    return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone }).format(d);
  } catch {
    return dateFormat.format(d);
  }
}

declare module 'fastify' {
  interface FastifyReply {
    page(template: string, model: PageModel): Promise<FastifyReply>;
  }
}
