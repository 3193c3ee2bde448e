import { Hono } from "hono";
import { raw } from "hono/html";
import { resolveThing } from "../../flattr/resolve.ts";
import { MAX_RESOLVE_INPUT_LENGTH } from "../../flattr/resolve-input.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { searchPath, thingPath } from "../../http/urls.ts";
import { FormMessage } from "../layout.tsx";
import { moneyPage } from "../money-ui.tsx";
import { requireLogin } from "../session.ts";

/*
 * "Find something to flattr": paste a fediverse handle or the address of a profile or a post
 * (here or on any server) and land on its thing page, with its flattr button. The resolver
 * creates the thing on first use. Logged-in users only: a look-up makes this instance fetch
 * from other servers, which visitors should not be able to trigger at will. A GET, like any
 * search: it moves no money and changes nothing a person owns.
 */

const PLACEHOLDER = "@alice@example.org or https://…";

const CSS = `
form.search { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: 1rem 0; }
form.search input { flex: 1 1 16rem; min-width: 0; font: inherit; padding: 0.5rem;
  border: 1px solid var(--line); border-radius: 6px; background: transparent; color: inherit; }
ul.examples code { overflow-wrap: anywhere; }
`;

export function searchRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(searchPath(), requireLogin(), async (c) => {
    const q = (c.req.query("q") ?? "").slice(0, MAX_RESOLVE_INPUT_LENGTH * 2);
    let error: string | undefined;
    let status: 200 | ReturnType<typeof errorStatus> = 200;
    if (q.trim() !== "") {
      const r = await resolveThing(c.var.deps, c.var.remoteLookup, q);
      if (r.ok) return c.redirect(thingPath(r.value.thing.id), 303);
      error = r.error.message;
      status = errorStatus(r.error.code);
    }
    return moneyPage(
      c,
      { title: "Find something to flattr", status },
      <>
        <style>{raw(CSS)}</style>
        <FormMessage error={error} />
        <form method="get" action={searchPath()} class="search">
          <input
            type="search"
            name="q"
            value={q.slice(0, MAX_RESOLVE_INPUT_LENGTH)}
            required
            maxlength={MAX_RESOLVE_INPUT_LENGTH}
            placeholder={PLACEHOLDER}
            aria-label="Handle or address"
            autocomplete="off"
            spellcheck={false}
            autofocus
          />
          <button type="submit">Find</button>
        </form>
        <p>Paste any of these, from this instance or any other fediverse server:</p>
        <ul class="examples">
          <li>
            a handle: <code>@alice@example.org</code>
          </li>
          <li>
            the address of a profile: <code>https://example.org/@alice</code>
          </li>
          <li>
            the address of a post: <code>https://example.org/@alice/1234567890</code>
          </li>
        </ul>
        <p class="muted">
          You land on its page here, with its Flattr button. Creators on other Flattr servers are
          paid through their server; anyone else's share is held for them until they claim it.
        </p>
      </>,
    );
  });
  return app;
}
