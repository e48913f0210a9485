/** `scheme://user:password@`: the password runs to the last `@` before the host (an unencoded `@` may be in it). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):[^\s/?#]*@/gi;

/** The text with the password of every URL in it replaced by `***`, so it can be printed or logged. */
export function redactUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, "$1:***@");
}
