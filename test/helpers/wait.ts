// Waiting on a condition, never on the clock alone: poll `check` every `every` ms for at most `ms`.

/** True as soon as `check` holds; after `ms`, whether it holds then. */
export async function waitUntil(check: () => Promise<boolean> | boolean, ms: number, every = 100): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return check();
}
