// The social web's addresses and how pages declare them: the webmention endpoint (Link header and
// <link rel="webmention"> on every public post) and the WebSub hub a feed names.
import type { Config } from '../config.js';

export const WEBMENTION_PATH = '/webmention';
export const WEBSUB_PATH = '/websub';

export const webmentionStatusPath = (token: string) => `${WEBMENTION_PATH}/status/${encodeURIComponent(token)}`;

export function webmentionEndpoint(config: Config): string {
  return `${config.publicUrl}${WEBMENTION_PATH}`;
}

/** The HTTP Link header value that advertises the endpoint (W3C Webmention §3.1.2). */
export function webmentionLinkHeader(config: Config): string {
  return `<${webmentionEndpoint(config)}>; rel="webmention"`;
}

/** The hub every feed declares: the external one when WEBSUB_HUB_URL is set, else the built-in one. */
export function websubHub(config: Config): string {
  return config.websubHubUrl ?? `${config.publicUrl}${WEBSUB_PATH}`;
}
