// The operators' CLI: `npm run admin -- <command> [options]`. Opens the database the way `npm start`
// does (DATABASE_URL, or the embedded server in DATA_DIR: the running site's when there is one, else
// its own, which it stops again when done), applies
// pending migrations, runs one command. Exit codes: 0 done, 1 refused (bad values, not found, a
// failure), 2 bad usage (unknown command or option). Links and results go to stdout, the rest to stderr.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { hashPassword } from './auth/passwords.js';
import { emailProblem, hasErrors, type FormErrors } from './forms.js';
import { passwordProblem } from './accounts/password-rules.js';
import { createPersonWithLink, insertPerson, suggestHandle, validateNewPerson } from './accounts/people.js';
import { findPersonByEmail } from './accounts/queries.js';
import { issuePasswordToken, setPasswordUrl } from './accounts/tokens.js';
import { createProject, validateNewProject } from './admin/projects.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createDb, type Db } from './db/create-db.js';
import { migrateToLatest } from './db/migrate.js';
import { openDatabase, type DatabaseLocation } from './db/open-database.js';
import { absoluteUrl, adminUrls, urls } from './urls.js';
import fs from 'node:fs';
import { createImport, IMPORT_WXR, importWxrTask } from './import/jobs.js';
import { checkedExport, UploadRefused } from './import/upload-check.js';
import type { ImportReport } from './import/importer.js';
import { ImportRefused, reportLines, runImport } from './import/run.js';
import { JobWorker } from './jobs/worker.js';
import { loadSiteIdentity } from './site/identity.js';
import { pino } from 'pino';

const HELP = `Project blogs: administration

Usage: npm run admin -- <command> [options]

Commands:
  user:add --email E --name N [--handle H] [--site-admin] [--password-stdin]
      Add a person. Prints a one-time set-password link (valid 72 hours) to hand over,
      or, with --password-stdin, sets the password read from standard input instead.
  project:add --slug S --title T [--summary TEXT] [--owner EMAIL]
      Create a project at /S/, optionally with an existing person as its owner.
  user:link --email E
      Print a new one-time set-password link for a person (also for a forgotten password).
      Older unused links of that person stop working.
  import:wxr --project SLUG --file export.xml [--file part2.xml] [--media-dir DIR] [--fetch-media] [--dry-run]
      Import a WordPress export (WXR) into a project: posts, pages, comments, authors, tags, and
      (with --media-dir, the old wp-content/uploads folder, or --fetch-media) their images.
      Safe to run again: nothing is imported twice. --dry-run writes nothing and prints the report.
  migrate
      Apply pending database migrations.

The database is DATABASE_URL, or the embedded PostgreSQL in DATA_DIR when that is unset
(the running site's server when the site is running, otherwise started for the command).
Links are built from PUBLIC_URL.
Exit codes: 0 done, 1 refused or failed, 2 bad usage.
`;

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMANDS: Record<string, Options> = {
  'user:add': {
    email: { type: 'string' },
    name: { type: 'string' },
    handle: { type: 'string' },
    'site-admin': { type: 'boolean' },
    'password-stdin': { type: 'boolean' },
  },
  'project:add': { slug: { type: 'string' }, title: { type: 'string' }, summary: { type: 'string' }, owner: { type: 'string' } },
  'user:link': { email: { type: 'string' } },
  'import:wxr': { project: { type: 'string' }, file: { type: 'string', multiple: true }, 'media-dir': { type: 'string' }, 'fetch-media': { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  migrate: {},
};

class UsageError extends Error {}
class Refused extends Error {}

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required.`);
  return v;
}

function refuseWith(errors: FormErrors, optionOf: Record<string, string>): never {
  throw new Refused(Object.entries(errors).map(([field, message]) => `--${optionOf[field] ?? field}: ${message}`).join('\n'));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function run(command: string, values: Record<string, unknown>, db: Db, config: Config): Promise<void> {
  const now = new Date();
  switch (command) {
    case 'user:add': {
      const email = required(values, 'email');
      const name = required(values, 'name');
      const input = { email, displayName: name, handle: typeof values.handle === 'string' ? values.handle : '', siteAdmin: values['site-admin'] === true };
      const errors = await validateNewPerson(db, input);
      let password: string | undefined;
      if (values['password-stdin']) {
        password = await readStdin();
        const problem = passwordProblem(password);
        if (problem) errors.password = problem;
      }
      if (hasErrors(errors)) refuseWith(errors, { email: 'email', displayName: 'name', handle: 'handle', password: 'password-stdin' });
      if (password !== undefined) {
        const handle = input.handle.trim() || (await suggestHandle(db, name));
        const person = await insertPerson(db, input, handle, now, await hashPassword(password));
        out(`Added ${name.trim()} (${email.trim().toLowerCase()}), handle ${person.handle}, with the password given.`);
        out(`They sign in at ${absoluteUrl(config.publicUrl, urls.login())}`);
      } else {
        const created = await createPersonWithLink(db, input, null, now);
        out(`Added ${name.trim()} (${email.trim().toLowerCase()}), handle ${created.handle}${input.siteAdmin ? ', site admin' : ''}.`);
        out(`One-time link to set their password (valid 72 hours, works once):`);
        out(setPasswordUrl(config.publicUrl, created.token));
      }
      return;
    }
    case 'project:add': {
      const input = {
        slug: required(values, 'slug'),
        title: required(values, 'title'),
        summary: typeof values.summary === 'string' ? values.summary : '',
        ownerEmail: typeof values.owner === 'string' ? values.owner : '',
      };
      const { errors, ownerId } = await validateNewProject(db, input);
      if (hasErrors(errors)) refuseWith(errors, { slug: 'slug', title: 'title', summary: 'summary', ownerEmail: 'owner' });
      await createProject(db, input, ownerId, now);
      out(`Created project “${input.title.trim()}” at ${absoluteUrl(config.publicUrl, urls.project(input.slug.trim()))}${ownerId ? ` with owner ${input.ownerEmail.trim().toLowerCase()}` : ''}.`);
      return;
    }
    case 'user:link': {
      const email = required(values, 'email').trim().toLowerCase();
      const problem = emailProblem(email);
      if (problem) throw new Refused(`--email: ${problem}`);
      const person = await findPersonByEmail(db, email);
      if (!person) throw new Refused(`--email: nobody with the email address ${email} is registered.`);
      if (person.disabled_at) throw new Refused(`--email: the account of ${email} is disabled. A site admin can enable it at /admin/people.`);
      const { token } = await issuePasswordToken(db, person.id, null, now);
      out(`One-time link for ${person.display_name} (${email}) to set their password (valid 72 hours, works once):`);
      out(setPasswordUrl(config.publicUrl, token));
      return;
    }
    case 'import:wxr':
      return importWxr(values, db, config);
    case 'migrate':
      return; // applied before every command
  }
}

async function importWxr(values: Record<string, unknown>, db: Db, config: Config): Promise<void> {
  const slug = required(values, 'project').trim();
  const project = await db.selectFrom('projects').select(['id', 'slug', 'title']).where('slug', '=', slug).executeTakeFirst();
  if (!project) throw new Refused(`--project: there is no project “${slug}”.`);
  const files = (values.file as string[] | undefined) ?? [];
  for (const file of files) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Refused(`--file: ${file} is not a readable file.`);
  }
  const mediaDir = typeof values['media-dir'] === 'string' ? values['media-dir'] : undefined;
  if (mediaDir && !(fs.existsSync(mediaDir) && fs.statSync(mediaDir).isDirectory())) throw new Refused(`--media-dir: ${mediaDir} is not a folder.`);
  const options = { mediaDir, fetchMedia: values['fetch-media'] === true, dryRun: values['dry-run'] === true };
  const progress = (done: number, total: number, activity: string) => err(`Imported ${done} of ${total} items: ${activity}`);
  if (options.dryRun) {
    const identity = await loadSiteIdentity(db, config.publicUrl, new Date());
    let last = 0;
    try {
      const report = await runImport(db, {
        projectId: project.id,
        sources: files.map((f) => ({ name: f, chunks: () => checkedExport(f, fs.createReadStream(f, { highWaterMark: 256 * 1024 })) })),
        options,
        tagAuthority: identity.authority,
        now: new Date(),
        allowPrivateFetch: config.allowPrivateFetch,
        wpOldSites: config.wpOldSites,
        onProgress: (p) => {
          if (Date.now() - last > 1000 || p.done === p.total) {
            last = Date.now();
            progress(p.done, p.total, p.activity);
          }
        },
      });
      for (const line of reportLines(report, true)) out(line);
    } catch (e) {
      if (e instanceof ImportRefused || e instanceof UploadRefused) throw new Refused(e.message);
      throw e;
    }
    return;
  }
  const importId = await createImport(db, {
    projectId: project.id,
    createdBy: null,
    options,
    files: files.map((f) => ({ name: f, chunks: fs.createReadStream(f, { highWaterMark: 256 * 1024 }) })),
  }).catch((e: unknown) => {
    // Not an export (an image, a feed, a zip, not UTF-8): refused before anything was staged or imported.
    if (e instanceof UploadRefused) throw new Refused(`${e.message} Nothing was imported.`);
    throw e;
  });
  err(`Import ${importId} queued for ${project.slug}; running it here.`);
  const worker = new JobWorker({
    context: { db, config, clock: { now: () => new Date() }, log: pino({ level: 'silent' }) },
    definitions: { tasks: { [IMPORT_WXR]: importWxrTask } },
    concurrency: 1,
  });
  const timer = setInterval(() => {
    void db.selectFrom('imports').select(['items_done', 'items_total', 'activity']).where('id', '=', importId).executeTakeFirst()
      .then((r) => r && progress(r.items_done, r.items_total, r.activity), () => {});
  }, 2000);
  try {
    await worker.runUntilIdle();
  } finally {
    clearInterval(timer);
  }
  const row = await db.selectFrom('imports').selectAll().where('id', '=', importId).executeTakeFirstOrThrow();
  progress(row.items_done, row.items_total, row.activity);
  if (row.status === 'failed') throw new Refused(row.error ?? 'The import failed.');
  if (row.status !== 'done') throw new Refused(`The import stopped before the end (${row.error ?? 'it will be retried by the site’s worker'}). Run the command again to resume it.`);
  for (const line of reportLines(row.report as ImportReport)) out(line);
  out(`The report stays readable at ${absoluteUrl(config.publicUrl, adminUrls.importReport(project.slug, importId))}`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out(HELP);
    return command ? 0 : 2;
  }
  const options = COMMANDS[command];
  if (!options) {
    err(`Unknown command “${command}”.\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(HELP);
    return 0;
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: rest, options, strict: true, allowPositionals: false }).values;
    if (command === 'user:add') {
      required(values, 'email');
      required(values, 'name');
    } else if (command === 'project:add') {
      required(values, 'slug');
      required(values, 'title');
    } else if (command === 'user:link') required(values, 'email');
    else if (command === 'import:wxr') {
      required(values, 'project');
      if (!Array.isArray(values.file) || values.file.length === 0) throw new UsageError('--file is required (it may be given several times).');
    }
  } catch (e) {
    err(`${command}: ${e instanceof Error ? e.message : String(e)}\nSee: npm run admin -- --help`);
    return 2;
  }

  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
  if (!process.env.PUBLIC_URL && command !== 'migrate' && command !== 'project:add') {
    err(`Note: PUBLIC_URL is not set, so links use ${config.publicUrl}. Set PUBLIC_URL to the site's public address.`);
  }

  let location: DatabaseLocation | undefined;
  let db: Db | undefined;
  try {
    // Beside a running site: its embedded server; otherwise one of our own, stopped when done.
    location = await openDatabase(config, (m) => err(m), { shareRunning: true });
    // Three: an import's batch transaction, its read of the staged file, and the connection holding its
    // run lock (server/import/jobs.ts).
    db = createDb(location.url, { max: 3 });
    const applied = await migrateToLatest(db);
    if (applied.length) err(`Applied migrations: ${applied.join(', ')}`);
    else if (command === 'migrate') err('The database is up to date.');
    await run(command, values, db, config);
    return 0;
  } catch (e) {
    if (e instanceof Refused) {
      err(`${command} refused:\n${e.message}`);
      return 1;
    }
    if (e instanceof UsageError) {
      err(`${command}: ${e.message}\nSee: npm run admin -- --help`);
      return 2;
    }
    err(`${command} failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await db?.destroy().catch(() => {});
    await location?.stop().catch((e) => err(`stopping PostgreSQL failed: ${String(e)}`));
  }
}

process.exitCode = await main(process.argv.slice(2));
