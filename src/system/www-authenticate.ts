/**
 * `WWW-Authenticate` per RFC 7235 §4.1 / §2.1 (RFC 9110 §11.6.1 keeps the same grammar):
 *
 *   WWW-Authenticate = 1#challenge
 *   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *
 * Values may be quoted or not (`realm=https://…` is legal token syntax only in part, but real
 * registries send it), and one header may carry several challenges separated by commas, so a
 * comma is read as "next parameter" when `name=` follows and "next challenge" otherwise.
 * Hand-written: the npm parsers read one challenge only or only quoted values.
 */

/** One challenge: lower-cased scheme, lower-cased parameter names, and a token68 if sent instead. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
  token68?: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
// Unquoted values as servers really send them: anything up to the next comma or space (URLs included).
const LOOSE_VALUE = /^[^,\s"]+/;

/** Parse every challenge of one or more WWW-Authenticate field values. */
export function parseChallenges(header: string | string[]): Challenge[] {
  const text = Array.isArray(header) ? header.join(', ') : header;
  const out: Challenge[] = [];
  let i = 0;
  const skipWs = () => { while (i < text.length && /[ \t]/.test(text[i])) i++; };
  const skipSeparators = () => { while (i < text.length && /[ \t,]/.test(text[i])) i++; };

  /** At i: `name BWS =` (and not `==`, which ends a token68)? Returns the name, leaves i after "=". */
  const paramName = (): string | undefined => {
    const m = TOKEN.exec(text.slice(i));
    if (!m) return undefined;
    let j = i + m[0].length;
    while (j < text.length && /[ \t]/.test(text[j])) j++;
    if (text[j] !== '=' || text[j + 1] === '=') return undefined;
    // A parameter has a value (token = 1*tchar, or a quoted string): `abc=,` ends a token68.
    let k = j + 1;
    while (k < text.length && /[ \t]/.test(text[k])) k++;
    if (k >= text.length || text[k] === ',') return undefined;
    i = j + 1;
    return m[0].toLowerCase();
  };

  const value = (): string => {
    skipWs();
    if (text[i] === '"') {
      let v = '';
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\' && i + 1 < text.length) i++; // quoted-pair
        v += text[i];
      }
      i++; // closing quote
      return v;
    }
    const m = LOOSE_VALUE.exec(text.slice(i));
    i += m ? m[0].length : 0;
    return m?.[0] ?? '';
  };

  skipSeparators();
  while (i < text.length) {
    const scheme = TOKEN.exec(text.slice(i));
    if (!scheme) { i++; skipSeparators(); continue; } // garbage: skip a character, look for the next scheme
    i += scheme[0].length;
    const challenge: Challenge = { scheme: scheme[0].toLowerCase(), params: {} };
    out.push(challenge);
    skipWs();
    // token68 (`Basic dXNlcjpwYXNz`, `Negotiate abc==`): no "=" right after a token.
    const t68 = /^[A-Za-z0-9\-._~+/]+=*/.exec(text.slice(i));
    const start = i;
    if (t68 && paramName() === undefined) {
      challenge.token68 = t68[0];
      i = start + t68[0].length;
      skipSeparators();
      continue;
    }
    i = start;
    for (;;) {
      skipWs();
      const before = i;
      const name = paramName();
      if (name === undefined) { i = before; break; }
      challenge.params[name] = value();
      skipWs();
      if (text[i] !== ',') break;
      // A comma: another parameter if `name=` follows, else the next challenge begins.
      i++;
      skipSeparators();
      const probe = i;
      if (paramName() === undefined) { i = probe; break; }
      i = probe;
    }
    skipSeparators();
  }
  return out;
}

/** The challenge a registry client answers: Bearer when offered (token flow), else Basic, else the first. */
export function preferredChallenge(header: string | string[]): Challenge | undefined {
  const all = parseChallenges(header);
  return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic') ?? all[0];
}
