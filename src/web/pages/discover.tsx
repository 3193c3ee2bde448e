import { Hono } from "hono";
import { raw } from "hono/html";
import { type DiscoveredCreator, type DiscoveredThing, discover } from "../../flattr/discover.ts";
import type { AppEnv } from "../../http/env.ts";
import { profilePath, thingPath } from "../../http/urls.ts";
import { renderPage } from "../layout.tsx";
import { periodLabel } from "../money-ui.tsx";

/*
 * Discovery: what people on this instance make, newest and most flattred this month. Public, like
 * the thing pages and profiles it links to; the lists come from flattr/discover.ts.
 */

const CSS = `
.discover { display: grid; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); gap: 0 1.5rem; }
ul.cards { list-style: none; padding: 0; margin: 0.5rem 0 1rem; }
ul.cards li { padding: 0.5rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
ul.cards .title { font-weight: 600; }
ul.cards .bio { color: var(--muted); font-size: 0.9rem; white-space: normal;
  display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
`;

const flattrCount = (n: number) => (n === 1 ? "1 flattr" : `${n} flattrs`);

function Things(props: { things: DiscoveredThing[]; empty: string; testId: string }) {
  if (props.things.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <ul class="cards" data-testid={props.testId}>
      {props.things.map((t) => (
        <li data-thing-id={t.id}>
          <a class="title" href={thingPath(t.id)}>
            <bdi>{t.title}</bdi>
          </a>{" "}
          <span class="muted">
            {t.kind === "note" ? "a post " : ""}by{" "}
            <a href={profilePath(t.owner.username)}>
              <bdi>{t.owner.displayName || `@${t.owner.username}`}</bdi>
            </a>
            {t.flattrs > 0 && <> · {flattrCount(t.flattrs)} this month</>}
          </span>
        </li>
      ))}
    </ul>
  );
}

function Creators(props: { creators: DiscoveredCreator[]; empty: string; testId: string }) {
  if (props.creators.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <ul class="cards" data-testid={props.testId}>
      {props.creators.map((u) => (
        <li data-username={u.username}>
          <a class="title" href={profilePath(u.username)}>
            <bdi>{u.displayName || u.username}</bdi>
          </a>{" "}
          <span class="muted">
            @<bdi>{u.username}</bdi>
            {u.flattrs > 0 && <> · {flattrCount(u.flattrs)} this month</>}
          </span>
          {u.bio && (
            <span class="bio" title="The start of their bio; the whole of it is on their profile">
              <bdi>{u.bio}</bdi>
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

export function discoverRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/discover", async (c) => {
    const { config, clock, database } = c.var.deps;
    const d = await discover(database.db, config, clock);
    const month = periodLabel(d.period);
    return renderPage(
      c,
      { title: "Discover", head: <style>{raw(CSS)}</style> },
      <>
        <p>What people on {config.origin.host} make. Flattr what you like.</p>
        <div class="discover">
          <section>
            <h2>Most flattred in {month}</h2>
            <Things
              things={d.mostFlattredThings}
              empty={`Nothing flattred in ${month} yet: be the first.`}
              testId="most-flattred-things"
            />
          </section>
          <section>
            <h2>New things</h2>
            <Things things={d.newestThings} empty="No things yet." testId="newest-things" />
          </section>
          <section>
            <h2>Most flattred creators in {month}</h2>
            <Creators
              creators={d.mostFlattredCreators}
              empty={`Nobody flattred in ${month} yet.`}
              testId="most-flattred-creators"
            />
          </section>
          <section>
            <h2>New here</h2>
            <Creators creators={d.newestCreators} empty="Nobody yet." testId="newest-creators" />
          </section>
        </div>
      </>,
    );
  });
  return app;
}
