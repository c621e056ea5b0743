// /admin/site — site admins: the site's name, one-line description and organisation (site/settings.ts).
// Registered behind requireSiteAdmin.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { hasErrors, text, type FormBody, type FormErrors } from '../forms.js';
import { saveSiteSettings, siteSettingsProblems, SITE_SETTINGS_LIMITS, type SiteSettings } from '../site/settings.js';

export default async function siteSettingsRoutes(app: FastifyInstance) {
  const render = (reply: FastifyReply, status: number, values: SiteSettings, errors: FormErrors, saved = false) =>
    reply.code(status).header('cache-control', 'no-store').page('pages/admin/site', { title: 'Site name and description', noindex: true, values, errors, saved, limits: SITE_SETTINGS_LIMITS });

  // GET /admin/site — the form
  app.get<{ Querystring: { saved?: string } }>('/admin/site', async (request, reply) => {
    await app.siteSettings.refresh();
    return render(reply, 200, app.siteSettings.current, {}, request.query.saved === '1');
  });

  // POST /admin/site — save; this server reads them again at once, the others on NOTIFY
  app.post<{ Body: FormBody }>('/admin/site', async (request, reply) => {
    const values: SiteSettings = {
      name: text(request.body, 'name').trim(),
      description: text(request.body, 'description').trim(),
      organisation: text(request.body, 'organisation').trim(),
    };
    const errors = siteSettingsProblems(values);
    if (hasErrors(errors)) return render(reply, 422, values, errors);
    await saveSiteSettings(app.db, values, app.clock.now());
    if (await app.siteSettings.refresh()) app.pageCache.store.invalidate('all');
    return reply.redirect('/admin/site?saved=1', 303);
  });
}
