// buildApp(): the whole web app as a Fastify instance that does not listen, so tests inject into it.
//
// Load order (fixed; each step may rely on those before it):
//   1. decorators: config, db (writes), readDb (public reads), readRouter (with a replica), clock,
//      siteIdentity (tag: ids, from the database), siteSettings (name, description, organisation),
//      jobs (the background-job worker, started by main.ts)
//   2. plugins: security headers, forms (body, cookies, CSRF), static files (with their compressed
//      copies), views, rate limits, auth (request.user from the session cookie), page cache (anonymous
//      GETs answered from memory in onRequest; after helmet and cookies so those headers and cookies are
//      in place), compression (after the page cache, so that what it stores is plain; before the routes,
//      which @fastify/compress hooks as they are added)
//   3. hooks: with a replica, where this request reads (after the page cache, so a hit costs nothing);
//      canonical URLs (301 for case and trailing-slash variants)
//   4. error and not-found pages
//   5. routes, one domain at a time; fixed paths before the `/:project/…` catch-alls they would shadow
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import type { Db } from './db/create-db.js';
import accountRoutes from './accounts/routes.js';
import adminRoutes from './admin/routes.js';
import authPlugin from './auth/plugin.js';
import editorRoutes from './editor/routes.js';
import emailRoutes from './email/routes.js';
import discoveryRoutes from './feeds/discovery.js';
import feedRoutes from './feeds/routes.js';
import healthRoutes from './health/routes.js';
import mediaRoutes from './media/routes.js';
import importRoutes from './import/routes.js';
import oldAddressRoutes, { answerOldSiteHosts } from './import/redirects.js';
import commentRoutes from './comments/routes.js';
import { registerRenderStamp } from './comments/render-stamp.js';
import moderationRoutes from './moderation/routes.js';
import listeningRoutes from './listening/routes.js';
import peopleRoutes from './people/routes.js';
import responseRoutes from './responses/routes.js';
import responseEditorRoutes from './editor/team-link-routes.js';
import websubRoutes from './websub/routes.js';
import { answerClientError, registerErrorPages, renderError } from './plugins/error-pages.js';
import { registerCompression, registerStaticFiles } from './plugins/compression.js';
import { BODY_LIMIT, registerForms } from './plugins/forms.js';
import { registerRateLimit } from './plugins/rate-limit.js';
import { warnOnceAboutProxy, withRedactedUrls } from './plugins/request-log.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import { registerViews } from './plugins/view.js';
import postRoutes from './post-page/routes.js';
import { renderPostPage } from './post-page/page.js';
import projectRoutes from './projects/routes.js';
import searchRoutes from './search/routes.js';
import siteRoutes from './site/routes.js';
import { loadSiteIdentity, type SiteIdentity } from './site/identity.js';
import { SiteSettingsHolder } from './site/settings.js';
import { loadSiteSecret } from './site/secrets.js';
import { canonicalRedirect } from './canonical.js';
import { STATIC_DIR } from './paths.js';
import pageCachePlugin, { hasPersonalCookie, type PageCacheOptions } from './cache/plugin.js';
import type { ReadRouter } from './db/read-router.js';
import { JobWorker } from './jobs/worker.js';
import { jobDefinitions } from './job-list.js';


export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface AppOptions {
  config: Config;
  db: Db;
  /** Public read path; a replica when DATABASE_READ_URL is set. Defaults to db. */
  readDb?: Db;
  /** With a replica: chooses, per request, the replica or the primary (its `db` becomes readDb). */
  readRouter?: ReadRouter;
  clock?: Clock;
  logger?: FastifyServerOptions['logger'];
  /** The shared page cache; without listenUrl only ETag/304/Cache-Control apply (tests by default). */
  pageCache?: PageCacheOptions;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const app = Fastify({
    // Secrets in URLs (set-password links, private feeds) never reach the log: plugins/request-log.ts.
    logger: withRedactedUrls(options.logger ?? false),
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy,
    // Slow clients are cut off rather than holding a connection forever: headers within headersTimeout,
    // the whole request within requestTimeout, checked every second (Node checks every 30 s by default,
    // so a 30 s timeout cut a slowloris client after up to 60 s), and no socket idle longer.
    connectionTimeout: config.requestTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    http: { headersTimeout: config.headersTimeoutMs, requestTimeout: config.requestTimeoutMs, connectionsCheckingInterval: 1_000 },
    keepAliveTimeout: 10_000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // A malformed URL (bad percent-escape, an over-long segment) names no page we have: a 404 page.
    frameworkErrors: (_error, _request, reply) => void renderError(reply, 404, 'We could not find that page.'),
    // What Node's HTTP parser refuses (raw bytes in the path, a 100 KB header) gets our plain page, not JSON.
    clientErrorHandler: answerClientError(config.publicUrl),
  });

  // Connections past the cap are closed as they arrive: a flood of idle sockets cannot use up the
  // process's file descriptors.
  app.server.maxConnections = config.maxConnections;

  // 1. decorators
  app.decorate('config', config);
  app.decorate('db', options.db);
  app.decorate('readDb', options.readRouter?.db ?? options.readDb ?? options.db);
  app.decorate('readRouter', options.readRouter);
  app.decorate('clock', options.clock ?? systemClock);
  app.decorate('siteIdentity', await loadSiteIdentity(options.db, config.publicUrl, app.clock.now()));
  app.decorate('siteSettings', await SiteSettingsHolder.load(options.db));
  app.decorateRequest('user', undefined);
  // Background jobs (server/jobs): main.ts starts the worker once listening; closing the app stops it.
  app.decorate(
    'jobs',
    new JobWorker({
      context: {
        db: options.db,
        config,
        clock: app.clock,
        log: app.log,
        readOwnPage: async (path) => {
          const response = await app.inject({ method: 'GET', url: path });
          return { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), body: response.rawPayload };
        },
      },
      definitions: jobDefinitions,
      concurrency: config.jobConcurrency,
    }),
  );
  app.addHook('onClose', async () => app.jobs.stop());

  // 2. ecosystem plugins
  warnOnceAboutProxy(app, config.trustProxy);
  await registerSecurityHeaders(app, config.publicUrl);
  await registerForms(app, {
    cookieSecret: await loadSiteSecret(options.db),
    secureCookies: config.publicUrl.startsWith('https://'),
  });
  await registerStaticFiles(app, STATIC_DIR);
  await registerViews(app);
  await registerRateLimit(app, config);
  await app.register(authPlugin);
  registerRenderStamp(app); // the comment form's signed render time, with or without the page cache
  await app.register(pageCachePlugin, options.pageCache ?? {});
  await registerCompression(app);
  // Site settings changed (here or on another server): read them again, then drop every page rendered
  // meanwhile with the old ones (the NOTIFY already dropped those from before).
  app.pageCache.onSiteChange(() => {
    app.siteSettings
      .refresh()
      .then((changed) => changed && app.pageCache.store.invalidate('all'))
      .catch((err: unknown) => app.log.warn({ err }, 'reading the site settings failed'));
  });

  // 3. hooks
  const router = options.readRouter;
  if (router) {
    // Signed-in people, commenters with a notice, and writes read from the primary (read-your-writes);
    // other readers from the replica when it has replayed every change this server has heard of.
    app.addHook('onRequest', (request, _reply, done) =>
      router.bind((request.method !== 'GET' && request.method !== 'HEAD') || hasPersonalCookie(request.cookies), done),
    );
  }
  answerOldSiteHosts(app); // WP_OLD_SITES: an old WordPress host pointed here answers 301s, before canonical URLs
  app.addHook('onRequest', canonicalRedirect);

  // 4. error pages
  registerErrorPages(app);

  // 5. routes
  await app.register(healthRoutes);
  await app.register(siteRoutes);
  // Feeds, search and discovery: fixed paths (/feed.atom, /search, /sitemap.xml) and /:project/… feed
  // paths, registered before the project routes.
  await app.register(feedRoutes);
  await app.register(discoveryRoutes);
  await app.register(searchRoutes);
  await app.register(emailRoutes); // /email/…, /admin/outbox, /admin/email, /admin/projects/:project/subscribers
  await app.register(accountRoutes); // /login, /logout, /set-password/:token
  await app.register(adminRoutes); // /admin/…: access checked per group in admin/routes.ts
  await app.register(peopleRoutes);
  await app.register(editorRoutes);
  await app.register(mediaRoutes);
  await app.register(importRoutes); // /admin/projects/:project/import…: owners
  await app.register(oldAddressRoutes); // /:project/wp/…: old WordPress addresses → 301
  await app.register(moderationRoutes);
  await app.register(responseRoutes); // /webmention (public API), its status pages
  await app.register(websubRoutes); // /websub: the built-in WebSub hub
  await app.register(responseEditorRoutes); // /admin/projects/:project/posts/:id/links…: team-added links
  await app.register(listeningRoutes); // /admin/projects/:project/listening/… (owners, editors), /listening/feed/:token
  await app.register(projectRoutes);
  await app.register(postRoutes);
  await app.register(commentRoutes, { renderPostPage });

  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Db;
    readDb: Db;
    readRouter: ReadRouter | undefined;
    clock: Clock;
    /** The authority and date of every tag: id this site mints (feeds, entries): not PUBLIC_URL. */
    siteIdentity: SiteIdentity;
    /** The site's name, description and organisation, in memory (site/settings.ts). */
    siteSettings: SiteSettingsHolder;
    /** This server's background-job worker (server/jobs/worker.ts). */
    jobs: JobWorker;
  }
}
