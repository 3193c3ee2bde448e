import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { FlattrError } from "../../flattr/errors.ts";
import { listOwnedThings } from "../../flattr/owner-things.ts";
import { MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH, registerThing } from "../../flattr/things.ts";
import { MAX_URL_LENGTH } from "../../flattr/url.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { thingPath } from "../../http/urls.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage } from "../layout.tsx";
import { moneyPage, periodLabel } from "../money-ui.tsx";
import { requireLogin, requireUser } from "../session.ts";

interface ThingInput {
  url: string;
  title: string;
  description: string;
}

function NewThingForm(props: { csrfToken: string; input: ThingInput; error?: string }) {
  return (
    <form method="post" action="/things" class="stack">
      <FormMessage error={props.error} />
      <CsrfField token={props.csrfToken} />
      <label>
        Address (URL)
        <input
          type="url"
          name="url"
          value={props.input.url}
          required
          maxlength={MAX_URL_LENGTH}
          placeholder="https://example.org/my-article"
          inputmode="url"
        />
        <small>The web page people will flattr: an article, a song, a project.</small>
      </label>
      <label>
        Title
        <input
          type="text"
          name="title"
          value={props.input.title}
          required
          maxlength={MAX_TITLE_LENGTH}
        />
      </label>
      <label>
        Description <small>(optional)</small>
        <textarea name="description" maxlength={MAX_DESCRIPTION_LENGTH}>
          {props.input.description}
        </textarea>
      </label>
      <button type="submit">Register</button>
    </form>
  );
}

function newThingPage(
  c: Context<AppEnv>,
  input: ThingInput,
  status: ContentfulStatusCode = 200,
  error?: string,
) {
  return moneyPage(
    c,
    { title: "Register a thing", status, section: "things" },
    <>
      <p>
        Register a page you made, and people can flattr it from its page here or from a Flattr
        button on your site.
      </p>
      <NewThingForm csrfToken={c.var.csrfToken} input={input} error={error} />
    </>,
  );
}

export function thingsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/things", requireLogin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const user = requireUser(c);
    const { period, things } = await listOwnedThings(database.db, clock, config, user.id);
    return moneyPage(
      c,
      { title: "My things", section: "things" },
      <>
        <p>
          <a href="/things/new">Register a thing</a>
        </p>
        {things.length === 0 ? (
          <p class="muted">You have not registered anything yet.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Thing</th>
                  <th class="num">{periodLabel(period)}</th>
                  <th class="num">All time</th>
                </tr>
              </thead>
              <tbody>
                {things.map((t) => (
                  <tr data-thing-id={t.id}>
                    <td>
                      <a href={thingPath(t.id)}>{t.title}</a>
                      {t.kind === "profile" && <span class="muted"> (your profile)</span>}
                    </td>
                    <td class="num">{t.flattrsThisPeriod}</td>
                    <td class="num">{t.flattrsAllTime}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p class="muted">Counts are flattrs; see what they earned on your earnings page.</p>
      </>,
    );
  });

  app.get("/things/new", requireLogin(), (c) =>
    newThingPage(c, {
      url: (c.req.query("url") ?? "").slice(0, MAX_URL_LENGTH),
      title: (c.req.query("title") ?? "").slice(0, MAX_TITLE_LENGTH),
      description: "",
    }),
  );

  app.post("/things", formGuard(), requireLogin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const user = requireUser(c);
    const form = await readForm(c);
    const input = {
      url: form.get("url"),
      title: form.get("title"),
      description: form.get("description"),
    };
    try {
      const { thing, created } = await registerThing(database.db, clock, config, user.id, input);
      return c.redirect(`${thingPath(thing.id)}?done=${created ? "registered" : "existing"}`, 303);
    } catch (e) {
      if (!(e instanceof FlattrError)) throw e;
      // Refill the form, but never echo back more than a form field can hold.
      const clip = (s: string, n: number) => s.slice(0, n);
      return newThingPage(
        c,
        {
          url: clip(input.url, MAX_URL_LENGTH),
          title: clip(input.title, MAX_TITLE_LENGTH * 2),
          description: clip(input.description, MAX_DESCRIPTION_LENGTH * 2),
        },
        errorStatus(e.code),
        e.message,
      );
    }
  });

  return app;
}
