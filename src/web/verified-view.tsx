import type { Thing } from "../flattr/things.ts";
import { thingPath } from "../http/urls.ts";
import { CsrfField } from "./layout.tsx";

/*
 * Whether a registered page is verified (it links back to its owner, src/flattr/verification.ts),
 * said the same way on the thing page, the flattr confirmation and the button's widget.
 */

/** "Verified" or "Not verified", with what it means; nothing for profiles and posts (they are ours). */
export function VerifiedMark(props: { thing: Pick<Thing, "kind" | "verified"> }) {
  if (props.thing.kind !== "page") return null;
  return props.thing.verified ? (
    <span class="verified" data-testid="verified" data-verified="yes">
      ✓ Verified: the page links back to its owner
    </span>
  ) : (
    <span class="muted" data-testid="verified" data-verified="no">
      Not verified: anyone can register any address; the page does not link back to this owner
    </span>
  );
}

/** For a superseded claim: the owner who verified the page took it over. */
export function TakenOver(props: { thing: Pick<Thing, "supersededBy"> }) {
  if (props.thing.supersededBy === null) return null;
  return (
    <p class="warning" data-testid="taken-over">
      The owner of this page verified it, so this unverified claim no longer takes flattrs.{" "}
      <a href={thingPath(props.thing.supersededBy)}>Flattr the verified thing</a>.
    </p>
  );
}

/** The owner's box on the thing page: how to verify, and the button that checks now. */
export function VerifyBox(props: {
  thing: Pick<Thing, "id" | "kind" | "verified" | "supersededBy">;
  profileUrl: string;
  handle: string;
  csrfToken: string;
}) {
  const { thing } = props;
  if (thing.kind !== "page" || thing.supersededBy !== null) return null;
  return (
    <section class="card" data-testid="verify-box">
      <h2>{thing.verified ? "Check the page again" : "Verify this page"}</h2>
      <p>
        Put one of these on the page, then let this instance check it. A verified page shows as
        yours on its button, and an unverified claim of the same address by someone else moves to
        you with this month's flattrs.
      </p>
      <pre style="white-space: pre-wrap; overflow-wrap: anywhere">
        <code>{`<link rel="payment" href="${props.profileUrl}">\n<meta name="fediflattr" content="${props.handle}">`}</code>
      </pre>
      <form method="post" action={`${thingPath(thing.id)}/verify`}>
        <CsrfField token={props.csrfToken} />
        <p>
          <button type="submit">Check the page now</button>
        </p>
      </form>
    </section>
  );
}
