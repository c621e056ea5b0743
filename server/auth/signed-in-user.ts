// Who is signed in, as every domain sees them: set on the request by the auth plugin (auth/plugin.ts)
// from the session cookie. Its own small module so that any domain can name the type without importing
// the view plugin or the session code.

export interface SignedInUser {
  id: number;
  handle: string;
  displayName: string;
  email: string;
  isSiteAdmin: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in person, set by the auth plugin; undefined for the public. */
    user?: SignedInUser;
  }
}
