/**
 * The shortest lifetime a hosted URL may be given (`presign_ttl_seconds`, `url_ttl_seconds`):
 * 15 minutes. A provider fetches the input image when the request leaves its queue, which can be
 * minutes after the submit; a URL that expires before then makes every fetch fail, and the one
 * retry is paid for again. The recipe schema, the user config and hosting itself all refuse less.
 */
export const MIN_URL_TTL_SECONDS = 900;
