import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession } from "../../src/accounts/sessions.ts";
import { createApp } from "../../src/app.ts";
import { systemClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { type Database, queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { csrfTokenForSession } from "../../src/web/csrf.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { deposit, makeUser } from "../helpers/flattr.ts";
import { csrfTokenOf, WebClient } from "../helpers/web-client.ts";

const ORIGIN = "http://localhost:8080";
const config = testConfig({ ORIGIN, FEE_BP: "1000" });
let database: Database;
let app: ReturnType<typeof createApp>;

let seq = 0;
const uniq = () => `${Date.now().toString(36)}${++seq}`;

async function user(name = `u_${uniq()}`, money = true) {
  const id = await makeUser(database.db, name);
  if (money) {
    await setBudget(database.db, systemClock, config, id, 500n);
    await deposit(database.db, config, id, 1000n);
  }
  return { id, name };
}

function visitor(): WebClient {
  return new WebClient(app.fetch, ORIGIN);
}

async function loggedIn(userId: number): Promise<WebClient> {
  const c = visitor();
  const { token } = await createSession(database.db, systemClock, userId);
  c.cookies.set("ff_session", token);
  return c;
}

async function thingOf(ownerId: number, title = "A post") {
  const url = `https://blog.example/${uniq()}`;
  const { thing } = await registerThing(database.db, systemClock, config, ownerId, { url, title });
  return thing;
}

/** Rows that any state change would touch. */
async function snapshot() {
  const [row] = await queryRows<{
    things: string;
    flattrs: string;
    active: string;
    entries: string;
  }>(
    database.db,
    sql`select (select count(*) from things)::text as things,
               (select count(*) from flattrs)::text as flattrs,
               (select count(*) from flattrs where withdrawn_at is null)::text as active,
               (select count(*) from ledger_entries)::text as entries`,
  );
  return row;
}

async function activeFlattrs(thingId: number): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    database.db,
    sql`select count(*)::text as n from flattrs where thing_id = ${thingId} and withdrawn_at is null`,
  );
  return Number(row!.n);
}

beforeAll(async () => {
  database = await createTestDatabase();
  app = createApp({ config, database, clock: systemClock });
});
afterAll(async () => {
  await database?.close();
});

describe("framing", () => {
  it("only the widget may be framed, and it sends no cookie and has no form or script", async () => {
    const owner = await user();
    const thing = await thingOf(owner.id, "Framed <post>");
    for (const path of [
      `/button/${thing.id}`,
      `/button/${thing.id}?compact=1`,
      `/button/users/${owner.name}`,
      `/button/submit?user=${owner.name}&url=https%3A%2F%2Fnew.example%2Fa&title=New`,
    ]) {
      const res = await visitor().get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("x-frame-options"), path).toBeNull();
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("frame-ancestors *");
      expect(csp, path).toContain("form-action 'none'");
      expect(csp, path).not.toContain("script-src");
      expect(res.headers.get("set-cookie"), path).toBeNull();
      expect(res.headers.get("cache-control"), path).toBe("no-cache");
      const html = await res.text();
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).not.toMatch(/<form|<script/i);
      expect(html).toMatch(/target="_blank"/);
      // rel=opener: the confirmation (ours) tells the host page's button.js (ADR 0022).
      expect(html).toMatch(/rel="opener"/);
    }
    const html = await (await visitor().get(`/button/${thing.id}`)).text();
    expect(html).toContain(`href="${ORIGIN}/things/${thing.id}/flattr"`);
    expect(html).toContain('data-count="0"');
    expect(html).toContain("Framed &lt;post&gt;");
    const submit = await (
      await visitor().get(
        `/button/submit?user=${owner.name}&url=https%3A%2F%2Fnew.example%2Fa&title=New`,
      )
    ).text();
    expect(submit).toContain(`href="${ORIGIN}/submit?user=${owner.name}&amp;url=https`);
  });

  it("every other page of the button refuses to be framed", async () => {
    const owner = await user();
    const payer = await user();
    const thing = await thingOf(owner.id);
    const c = await loggedIn(payer.id);
    for (const path of [
      `/things/${thing.id}/flattr`,
      `/things/${thing.id}/embed`,
      `/users/${owner.name}/flattr`,
      `/submit?user=${owner.name}&url=https%3A%2F%2Fx.example%2F&title=X`,
      `/badge/${thing.id}.svg`,
      "/button.js",
      "/login",
      "/button", // not the widget
    ]) {
      const res = await c.get(path);
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
    }
  });

  it("a broken widget shows a grey button that explains, still frameable", async () => {
    const res = await visitor().get("/button/999999");
    expect(res.status).toBe(404);
    expect(res.headers.get("x-frame-options")).toBeNull();
    expect(await res.text()).toContain("There is no thing 999999 here.");
    const bad = await visitor().get("/button/submit?user=nobody_here&url=x&title=y");
    expect(bad.status).toBe(404);
  });
});

describe("button.js and badges", () => {
  it("button.js: JavaScript, cacheable, revalidates with its ETag", async () => {
    const res = await visitor().get("/button.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("set-cookie")).toBeNull();
    const body = await res.text();
    expect(body).toContain("fediflattr-button");
    expect(() => new Function(body)).not.toThrow(); // it parses
    const etag = res.headers.get("etag")!;
    const again = await visitor().get("/button.js", { "if-none-match": etag });
    expect(again.status).toBe(304);
  });

  it("badge with the count, plain badge without, 404s", async () => {
    const owner = await user();
    const payer = await user();
    const thing = await thingOf(owner.id, `Tom & "Jerry"`);
    const c = await loggedIn(payer.id);
    const page = await (await c.get(`/things/${thing.id}/flattr`)).text();
    await c.post(`/things/${thing.id}/flattr?confirm`, { _csrf: csrfTokenOf(page) });

    const res = await visitor().get(`/badge/${thing.id}.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(res.headers.get("cache-control")).toMatch(/^public, max-age=\d+$/);
    const svg = await res.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain(">1</text>");
    expect(svg).toContain("Tom &#38; &#34;Jerry&#34;");
    expect(svg).not.toMatch(/<script/);
    // A short max-age, then revalidation by ETag; a new flattr changes the ETag.
    expect(res.headers.get("cache-control")).toBe("public, max-age=60");
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const same = await visitor().get(`/badge/${thing.id}.svg`, { "if-none-match": etag });
    expect(same.status).toBe(304);
    const other = await loggedIn((await user()).id);
    const page2 = await (await other.get(`/things/${thing.id}/flattr`)).text();
    await other.post(`/things/${thing.id}/flattr?confirm`, { _csrf: csrfTokenOf(page2) });
    const changed = await visitor().get(`/badge/${thing.id}.svg`, { "if-none-match": etag });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toContain(">2</text>");
    const plain = await (await visitor().get(`/badge/${thing.id}.svg?plain=1`)).text();
    expect(plain).not.toContain(">1</text>");
    expect(plain).toContain(">Flattr</text>");
    expect((await visitor().get("/badge/999999.svg")).status).toBe(404);
    expect((await visitor().get("/badge/abc.svg")).status).toBe(404);
    expect((await visitor().get(`/badge/${thing.id}.png`)).status).toBe(404);
  });

  it("embed page shows every snippet, escaped, with a rel=payment link", async () => {
    const owner = await user();
    const thing = await thingOf(owner.id, "<b>bold</b>");
    const res = await (await loggedIn(owner.id)).get(`/things/${thing.id}/embed`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const confirm = `${ORIGIN}/things/${thing.id}/flattr`;
    expect(html).toContain(`<link rel="payment" href="${confirm}"`);
    expect(html).toContain(`&lt;script async src=&quot;${ORIGIN}/button.js&quot;&gt;`);
    expect(html).toContain(`&lt;a class=&quot;fediflattr-button&quot; href=&quot;${confirm}&quot;`);
    expect(html).toContain(`${ORIGIN}/badge/${thing.id}.svg`);
    expect(html).toContain(`${ORIGIN}/button/${thing.id}?compact=1`);
    expect(html).toContain(`/submit?user=${owner.name}`); // the owner sees the auto-submit link
    expect(html).not.toContain("<b>bold</b>");
    const other = await (await visitor().get(`/things/${thing.id}/embed`)).text();
    expect(other).not.toContain("/submit?user=");
  });
});

describe("confirmation", () => {
  it("visitors log in first and come back; GET shows the money facts and changes nothing", async () => {
    const owner = await user();
    const payer = await user();
    const thing = await thingOf(owner.id, "Nice post");
    const anon = await visitor().get(`/things/${thing.id}/flattr`);
    expect(anon.status).toBe(303);
    expect(anon.headers.get("location")).toBe(
      `/login?next=${encodeURIComponent(`/things/${thing.id}/flattr`)}`,
    );

    const c = await loggedIn(payer.id);
    const before = await snapshot();
    const res = await c.get(`/things/${thing.id}/flattr`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Flattr “Nice post”?");
    expect(html).toContain(`@${owner.name}`);
    expect(html).toContain(thing.url);
    expect(html).toContain('Your monthly budget is <span class="amount">€5.00</span>');
    expect(html).toContain("€10.00"); // wallet
    expect(html).toContain("fee of 10%");
    expect(html).toContain(`action="/things/${thing.id}/flattr?confirm"`);
    expect(await snapshot()).toEqual(before);
  });

  it("POST flattrs, the result page offers undo, undo withdraws; counts follow", async () => {
    const owner = await user();
    const payer = await user();
    const thing = await thingOf(owner.id, "Counted");
    const c = await loggedIn(payer.id);
    const token = csrfTokenOf(await (await c.get(`/things/${thing.id}/flattr`)).text());

    const res = await c.post(`/things/${thing.id}/flattr?confirm`, { _csrf: token });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/things/${thing.id}/flattr?done`);
    expect(await activeFlattrs(thing.id)).toBe(1);
    const done = await (await c.get(`/things/${thing.id}/flattr?done`)).text();
    expect(done).toContain('"type":"fediflattr:flattred"');
    const result = await (await c.get(`/things/${thing.id}/flattr`)).text();
    expect(result).not.toContain("fediflattr:flattred");
    expect(result).toContain("You flattred “Counted”");
    expect(result).toContain(`action="/things/${thing.id}/flattr/undo"`);
    expect(result).toContain("€4.50"); // €5.00 budget − 10% fee, one flattr
    expect(await (await visitor().get(`/button/${thing.id}`)).text()).toContain('data-count="1"');

    // A second click of the same (stale) form flattrs nothing more.
    const twice = await c.post(`/things/${thing.id}/flattr?confirm`, { _csrf: token });
    expect(twice.status).toBe(303);
    expect(await activeFlattrs(thing.id)).toBe(1);

    const undo = await c.post(`/things/${thing.id}/flattr/undo`, { _csrf: token });
    expect(undo.status).toBe(303);
    expect(undo.headers.get("location")).toBe(`/things/${thing.id}/flattr?undone`);
    expect(await activeFlattrs(thing.id)).toBe(0);
    const after = await (await c.get(`/things/${thing.id}/flattr?undone`)).text();
    expect(after).toContain("Your flattr was withdrawn.");
    expect(after).toContain(`action="/things/${thing.id}/flattr?confirm"`);
  });

  it("own thing: no form, a clear refusal, and a forced POST is refused too", async () => {
    const owner = await user();
    const thing = await thingOf(owner.id);
    const c = await loggedIn(owner.id);
    const res = await c.get(`/things/${thing.id}/flattr`);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("you cannot flattr your own things");
    expect(html).not.toContain("?confirm");
    const post = await c.post(`/things/${thing.id}/flattr?confirm`, { _csrf: csrfTokenOf(html) });
    expect(post.status).toBe(422);
    expect(await post.text()).toContain("You cannot flattr your own thing.");
    expect(await activeFlattrs(thing.id)).toBe(0);
  });

  it("without a budget: the page says so and offers no form; a POST is refused", async () => {
    const owner = await user();
    const poor = await user(undefined, false);
    const thing = await thingOf(owner.id);
    const c = await loggedIn(poor.id);
    const html = await (await c.get(`/things/${thing.id}/flattr`)).text();
    expect(html).toContain("You have no monthly budget yet");
    expect(html).not.toContain("?confirm");
    const post = await c.post(`/things/${thing.id}/flattr?confirm`, { _csrf: csrfTokenOf(html) });
    expect(post.status).toBe(422);
    expect(await activeFlattrs(thing.id)).toBe(0);
  });

  it("unknown or malformed thing ids are 404, never 500", async () => {
    const c = await loggedIn((await user()).id);
    for (const id of ["999999", "0", "abc", "1e3", "99999999999999999999"]) {
      expect((await c.get(`/things/${id}/flattr`)).status, id).toBe(404);
      expect((await c.get(`/things/${id}/embed`)).status, id).toBe(404);
    }
  });
});

describe("CSRF and provenance", () => {
  it("POSTs without, with a wrong or with another session's token are 403 and change nothing", async () => {
    const owner = await user();
    const payer = await user();
    const other = await user();
    const thing = await thingOf(owner.id);
    const c = await loggedIn(payer.id);
    const otherToken = csrfTokenOf(
      await (await (await loggedIn(other.id)).get(`/things/${thing.id}/flattr`)).text(),
    );
    const before = await snapshot();
    const submit = { user: owner.name, url: "https://csrf.example/x", title: "X" };
    for (const [path, fields] of [
      [`/things/${thing.id}/flattr?confirm`, {}],
      [`/things/${thing.id}/flattr/undo`, {}],
      ["/submit", submit],
      [`/users/${owner.name}/flattr`, {}],
    ] as const) {
      for (const token of [undefined, "", "x".repeat(43), otherToken]) {
        const body: Record<string, string> = { ...fields };
        if (token !== undefined) body._csrf = token;
        const res = await c.post(path, body);
        expect(res.status, `${path} ${token}`).toBe(403);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it("cross-origin POSTs are refused even with a valid token", async () => {
    const owner = await user();
    const payer = await user();
    const thing = await thingOf(owner.id);
    const c = await loggedIn(payer.id);
    const token = csrfTokenOf(await (await c.get(`/things/${thing.id}/flattr`)).text());
    const before = await snapshot();
    const path = `/things/${thing.id}/flattr?confirm`;
    const fields = { _csrf: token };
    const refused: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null", "sec-fetch-site": "cross-site" },
      { origin: "null", referer: "https://evil.example/page" },
      { origin: ORIGIN, "sec-fetch-site": "cross-site" },
      { origin: "", referer: "https://evil.example/" },
    ];
    for (const headers of refused) {
      const res = await c.request(path, {
        method: "POST",
        headers,
        body: new URLSearchParams(fields),
      });
      expect(res.status, JSON.stringify(headers)).toBe(403);
    }
    // A request that says nothing about where it came from is not trusted with money either.
    const bare = await c.request(path, { method: "POST", body: new URLSearchParams(fields) });
    expect(bare.status).toBe(403);
    expect(await snapshot()).toEqual(before);

    // Our own page, as a browser sends it: Referer (or Sec-Fetch-Site) without Origin is fine.
    const ok = await c.request(path, {
      method: "POST",
      headers: { referer: `${ORIGIN}/things/${thing.id}/flattr`, "sec-fetch-site": "same-origin" },
      body: new URLSearchParams(fields),
    });
    expect(ok.status).toBe(303);
    expect(await activeFlattrs(thing.id)).toBe(1);
  });

  it("a logged-out POST is refused", async () => {
    const owner = await user();
    const thing = await thingOf(owner.id);
    const anon = visitor();
    const token = csrfTokenOf(await (await anon.get("/login")).text());
    const res = await anon.post(`/things/${thing.id}/flattr?confirm`, { _csrf: token });
    expect(res.status).toBe(401);
    expect(await activeFlattrs(thing.id)).toBe(0);
  });

  it("a POST without ?confirm (the thing page's form) is left to that page's handler", async () => {
    const owner = await user();
    const payer = await user();
    const thing = await thingOf(owner.id);
    const c = await loggedIn(payer.id);
    const token = csrfTokenOf(await (await c.get(`/things/${thing.id}/flattr`)).text());
    const res = await c.post(`/things/${thing.id}/flattr`, { _csrf: token });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).not.toBe(`/things/${thing.id}/flattr`);
    expect(await activeFlattrs(thing.id)).toBe(1);
  });
});

describe("auto-submit", () => {
  it("validates every parameter: 400 / 404, never 500, and writes nothing", async () => {
    const owner = await user();
    const c = await loggedIn((await user()).id);
    const long = "x".repeat(201);
    const cases: [string, Record<string, string>, number, string][] = [
      ["no user", { url: "https://a.example/", title: "T" }, 400, "names no user"],
      ["empty user", { user: "", url: "https://a.example/", title: "T" }, 400, "names no user"],
      ["unknown user", { user: "nobody_x", url: "https://a.example/", title: "T" }, 404, "no user"],
      ["bad username", { user: "../etc", url: "https://a.example/", title: "T" }, 404, "no user"],
      ["no url", { user: owner.name, title: "T" }, 400, "A URL is required"],
      ["bad url", { user: owner.name, url: "not a url", title: "T" }, 400, "not a valid URL"],
      ["ftp url", { user: owner.name, url: "ftp://a.example/", title: "T" }, 400, "http"],
      ["js url", { user: owner.name, url: "javascript:alert(1)", title: "T" }, 400, "http"],
      [
        "credentials",
        { user: owner.name, url: "https://u:p@a.example/", title: "T" },
        400,
        "password",
      ],
      ["own origin", { user: owner.name, url: `${ORIGIN}/@x`, title: "T" }, 400, "this instance"],
      ["no title", { user: owner.name, url: "https://a.example/" }, 400, "no title"],
      [
        "blank title",
        { user: owner.name, url: "https://a.example/", title: "  " },
        400,
        "no title",
      ],
      ["long title", { user: owner.name, url: "https://a.example/", title: long }, 400, "longer"],
      [
        "control",
        { user: owner.name, url: "https://a.example/", title: "a\u0007b" },
        400,
        "control",
      ],
      [
        "long description",
        { user: owner.name, url: "https://a.example/", title: "T", description: "d".repeat(2001) },
        400,
        "description",
      ],
    ];
    const before = await snapshot();
    for (const [name, params, status, message] of cases) {
      for (const path of ["/submit", "/button/submit"]) {
        const res = await c.get(`${path}?${new URLSearchParams(params)}`);
        expect(res.status, `${name} ${path}`).toBe(status);
        expect(await res.text(), `${name} ${path}`).toContain(message);
      }
      // The POST validates the same way.
      const token = csrfTokenForSession(c.cookies.get("ff_session")!);
      const post = await c.post("/submit", { _csrf: token, ...params });
      expect(post.status, `${name} POST`).toBe(status);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("self-flattr is refused with a message", async () => {
    const owner = await user();
    const c = await loggedIn(owner.id);
    const q = new URLSearchParams({ user: owner.name, url: "https://self.example/", title: "Me" });
    const res = await c.get(`/submit?${q}`);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("you cannot flattr your own things");
    const post = await c.post("/submit", { _csrf: csrfTokenOf(html), ...Object.fromEntries(q) });
    expect(post.status).toBe(422);
    const [row] = await queryRows<{ n: string }>(
      database.db,
      sql`select count(*)::text as n from things where url = 'https://self.example/'`,
    );
    expect(row!.n).toBe("0");
  });

  it("login first, confirm creates the thing with the first flattr; later links find it", async () => {
    const owner = await user();
    const payer = await user();
    const url = `https://site.example/${uniq()}?a=1&b=2`;
    const q = new URLSearchParams({ user: owner.name, url, title: "Site post", description: "Hi" });
    const anon = await visitor().get(`/submit?${q}`);
    expect(anon.status).toBe(303);
    expect(anon.headers.get("location")).toBe(`/login?next=${encodeURIComponent(`/submit?${q}`)}`);

    const c = await loggedIn(payer.id);
    const before = await snapshot();
    const page = await c.get(`/submit?${q}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Site post");
    expect(html).toContain("not registered here yet");
    expect(html).toContain("fee of 10%");
    expect(await snapshot()).toEqual(before); // GET created nothing

    const res = await c.post("/submit", { _csrf: csrfTokenOf(html), ...Object.fromEntries(q) });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    const id = Number(/^\/things\/(\d+)\/flattr\?done$/.exec(location)![1]);
    expect(await activeFlattrs(id)).toBe(1);
    const [thing] = await queryRows<{ owner_id: string; title: string; description: string }>(
      database.db,
      sql`select owner_id::text, title, description from things where id = ${id}`,
    );
    expect(thing).toEqual({ owner_id: String(owner.id), title: "Site post", description: "Hi" });

    // The same link again (any visitor) goes to the existing thing, and the widget counts it.
    const again = await visitor().get(`/submit?${q}`);
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe(`/things/${id}/flattr`);
    const widget = await (await visitor().get(`/button/submit?${q}`)).text();
    expect(widget).toContain('data-count="1"');
    expect(widget).toContain(`href="${ORIGIN}/things/${id}/flattr"`);
  });

  it("a refused first flattr (no budget) registers nothing", async () => {
    const owner = await user();
    const poor = await user(undefined, false);
    const c = await loggedIn(poor.id);
    const url = `https://nobudget.example/${uniq()}`;
    const q = new URLSearchParams({ user: owner.name, url, title: "T" });
    const html = await (await c.get(`/submit?${q}`)).text();
    const res = await c.post("/submit", { _csrf: csrfTokenOf(html), ...Object.fromEntries(q) });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("Set a monthly budget");
    const [row] = await queryRows<{ n: string }>(
      database.db,
      sql`select count(*)::text as n from things where url = ${url}`,
    );
    expect(row!.n).toBe("0");
  });
});

describe("profile payment link", () => {
  it("the actor's FEP-0ea0 link leads to a confirmation; the POST creates the profile thing", async () => {
    const owner = await user(`prof_${uniq()}`);
    const payer = await user();
    const actor = await visitor().get(`/users/${owner.name}`, {
      accept: "application/activity+json",
    });
    expect(actor.status).toBe(200);
    const json = (await actor.json()) as { attachment?: unknown };
    const links = [json.attachment].flat() as { rel?: unknown; href?: string }[];
    const payment = links.find((l) => [l?.rel].flat().includes("payment"));
    expect(payment?.href).toBe(`${ORIGIN}/users/${owner.name}/flattr`);
    const path = new URL(payment!.href!).pathname;

    expect((await visitor().get(path)).headers.get("location")).toBe(
      `/login?next=${encodeURIComponent(path)}`,
    );
    const c = await loggedIn(payer.id);
    const before = await snapshot();
    const page = await c.get(path);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`action="/users/${owner.name}/flattr"`);
    expect(await snapshot()).toEqual(before);

    const res = await c.post(path, { _csrf: csrfTokenOf(html) });
    expect(res.status).toBe(303);
    const id = Number(/^\/things\/(\d+)\/flattr\?done$/.exec(res.headers.get("location")!)![1]);
    expect(await activeFlattrs(id)).toBe(1);
    // From now on the payment link forwards to the thing.
    expect((await c.get(path)).headers.get("location")).toBe(`/things/${id}/flattr`);
    expect(await (await visitor().get(`/button/users/${owner.name}`)).text()).toContain(
      'data-count="1"',
    );
    expect((await c.get("/users/nobody_zz/flattr")).status).toBe(404);
  });

  it("self: refused", async () => {
    const owner = await user();
    const c = await loggedIn(owner.id);
    const res = await c.get(`/users/${owner.name}/flattr`);
    expect(res.status).toBe(422);
    const post = await c.post(`/users/${owner.name}/flattr`, {
      _csrf: csrfTokenOf(await res.text()),
    });
    expect(post.status).toBe(422);
  });
});
