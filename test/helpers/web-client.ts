/**
 * A tiny cookie-keeping client for HTTP-level tests of the pages, against `createApp(deps).fetch`
 * or a real URL. It sends the Origin a browser on the instance's own pages would send.
 */
export class WebClient {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly fetch: (request: Request) => Promise<Response>,
    readonly origin: string,
    readonly headers: Record<string, string> = {},
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) if (!headers.has(k)) headers.set(k, v);
    if (this.cookies.size > 0 && !headers.has("cookie")) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const response = await this.fetch(
      new Request(new URL(path, this.origin), { redirect: "manual", ...init, headers }),
    );
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === "" || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { headers });
  }

  /** Loads `formPage`, takes its CSRF token, and posts `fields` to `action`. */
  async submit(
    formPage: string,
    action: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const page = await this.get(formPage);
    const token = csrfTokenOf(await page.text());
    return this.post(action, { _csrf: token, ...fields }, headers);
  }

  post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return this.request(path, {
      method: "POST",
      headers: { origin: this.origin, ...headers },
      body: new URLSearchParams(fields),
    });
  }
}

export function csrfTokenOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error("no CSRF field on the page");
  return m[1]!;
}
