// Every API call of the dashboard goes through here. When the daemon has bearer tokens
// (http.auth.tokens) and answers 401, the user enters a token once; it is kept in sessionStorage
// (this tab only, gone when the tab closes; never localStorage) and sent as `Authorization: Bearer`
// on every request, the live feed included. Without tokens configured nothing answers 401 and no
// token is ever asked for.

const STORAGE_KEY = 'tidecast.token';

/** Thrown by fetch() on a 401: the caller stops; the sign-in box is already showing. */
export class AuthRequired extends Error {
  constructor(message) {
    super(message);
    this.name = 'AuthRequired';
  }
}

export class ApiSession {
  /** @param {(message: string) => void} onUnauthorized  shows the sign-in box with this message ('' for none) */
  constructor(onUnauthorized) {
    this.onUnauthorized = onUnauthorized;
    this.token = readToken();
  }

  get signedIn() {
    return this.token !== null;
  }

  /** fetch() with the token; a 401 clears a token the server no longer accepts and asks for one. */
  async fetch(url, init = {}) {
    const sent = this.token;
    const res = await fetch(url, { cache: 'no-store', ...init, headers: withToken(init.headers, sent) });
    if (res.status !== 401) return res;
    if (sent !== null && sent === this.token) this.forget();
    this.onUnauthorized(sent === null ? '' : `The token saved in this tab was refused (${await reasonOf(res)}). Enter a valid one.`);
    throw new AuthRequired(`${url}: HTTP 401`);
  }

  async getJson(url) {
    const res = await this.fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return res.json();
  }

  /** Checks a token against the API and keeps it when accepted; resolves to an error message, or null. */
  async signIn(token) {
    const t = token.trim();
    if (t === '') return 'Enter a token.';
    if (/\s/.test(t)) return 'A token has no spaces.';
    let res;
    try {
      res = await fetch('/api/pipelines', { cache: 'no-store', headers: withToken(undefined, t) });
    } catch (err) {
      return `The server did not answer (${err.message}).`;
    }
    if (res.status === 401) return `This token was refused (${await reasonOf(res)}).`;
    if (!res.ok) return `The server answered HTTP ${res.status}.`;
    this.token = t;
    try {
      sessionStorage.setItem(STORAGE_KEY, t);
    } catch {
      /* storage off: the token lives until reload */
    }
    return null;
  }

  forget() {
    this.token = null;
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      /* storage off */
    }
  }
}

function readToken() {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function withToken(headers, token) {
  const h = new Headers(headers);
  if (token !== null) h.set('authorization', `Bearer ${token}`);
  return h;
}

/** The server's error code for a 401 (invalid_token, unauthorized), or the status. */
async function reasonOf(res) {
  try {
    const body = await res.json();
    return typeof body.error === 'string' ? body.error : 'HTTP 401';
  } catch {
    return 'HTTP 401';
  }
}
