// The signed-in side under /admin, grouped by audience; each group's access check is declared here,
// where it is registered, once for every route in it. A refused check is a 403 page (or, for a
// signed-out GET, a redirect to the sign-in page).
import type { FastifyInstance } from 'fastify';
import { requireSiteAdmin, requireUser } from '../auth/plugin.js';
import { requireProjectAction } from '../auth/project-access.js';
import dashboardRoutes from './dashboard.js';
import profileRoutes from './profile.js';
import sitePeopleRoutes from './people.js';
import removalRoutes from './removal.js';
import siteSettingsRoutes from './site.js';
import settingsRoutes from './settings.js';
import teamRoutes from './team.js';

export default async function adminRoutes(app: FastifyInstance) {
  // Anyone signed in: the dashboard, their own profile and password
  await app.register(async (signedIn) => {
    signedIn.addHook('preHandler', requireUser);
    await signedIn.register(dashboardRoutes);
    await signedIn.register(profileRoutes);
  });

  // Site admins: people, new projects, deleting a project, removing the demo, the site's name
  await app.register(async (siteAdmins) => {
    siteAdmins.addHook('preHandler', requireSiteAdmin);
    await siteAdmins.register(sitePeopleRoutes);
    await siteAdmins.register(removalRoutes);
    await siteAdmins.register(siteSettingsRoutes);
  });

  // Project owners (and site admins): the team
  await app.register(async (owners) => {
    owners.addHook('preHandler', requireUser);
    owners.addHook('preHandler', requireProjectAction('manage-team'));
    await owners.register(teamRoutes);
  });

  // Project owners (and site admins): settings
  await app.register(async (owners) => {
    owners.addHook('preHandler', requireUser);
    owners.addHook('preHandler', requireProjectAction('edit-settings'));
    await owners.register(settingsRoutes);
  });
}
