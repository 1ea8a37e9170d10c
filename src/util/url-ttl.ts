/**
 * The shortest lifetime kontext gives a URL it signs (`presign_ttl_seconds`): 15 minutes. A
 * provider fetches the input image when the request leaves its queue, which can be minutes after
 * the submit; a URL that expires before then makes every fetch fail, and the one retry is paid
 * for again. The recipe schema, the user config and hosting itself all refuse less. A hosting
 * command's `url_ttl_seconds` has no floor: it states how long the command's own URLs live
 * (0: never reuse one), which a floor would not lengthen, only make kontext reuse them expired.
 */
export const MIN_URL_TTL_SECONDS = 900;
