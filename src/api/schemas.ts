import * as v from "valibot";
import type { ThingKind } from "../flattr/things.ts";
import { MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH } from "../flattr/things.ts";
import { MAX_URL_LENGTH } from "../flattr/url.ts";
import { refusal } from "../http/input.ts";
import { isPeriod } from "../periods/period.ts";
import type { PeriodStatus } from "../settlement/earnings.ts";
import { MAX_POST_LENGTH } from "../social/post-text.ts";

/*
 * The REST API's schemas (valibot, ADR 0007). Inputs are checked with them
 * (src/http/endpoint.ts); answers are not checked at run time, but the serializers
 * (serialize.ts) are typed by them and test/api checks every answer it sees against the
 * published document, which src/api/openapi.ts builds from these. `COMPONENTS` names the ones
 * the document lists under components/schemas.
 */

const str = (description: string) => v.pipe(v.string(), v.description(description));
const int = (description: string) => v.pipe(v.number(), v.integer(), v.description(description));
const uri = (description: string) => v.pipe(v.string(), v.url(), v.description(description));
const time = (description: string) =>
  v.pipe(v.string(), v.isoTimestamp(), v.description(description));
const bool = (description: string) => v.pipe(v.boolean(), v.description(description));

// --- shared values --------------------------------------------------------------------------

export const Amount = v.pipe(
  v.string(),
  v.regex(/^-?[0-9]+(\.[0-9]+)?$/),
  v.description(
    'A decimal amount in the `currency` of the enclosing object, e.g. "5.00". Never a number.',
  ),
);
const amount = (description: string) => v.pipe(Amount, v.description(description));

export const Currency = v.pipe(
  v.string(),
  v.regex(/^[A-Z]{3}$/),
  v.description("ISO 4217 currency code of every amount in the object."),
);

export const Period = refusal(
  v.pipe(
    v.string(),
    v.regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/),
    v.check(isPeriod),
    v.description("A settlement period: a calendar month in the instance time zone."),
    v.examples(["2026-03"]),
  ),
  { code: "invalid_period", mustBe: "a month like 2026-03 (YYYY-MM)" },
);

export const PeriodStatusSchema = v.pipe(
  v.picklist(["open", "closing", "closed"] satisfies PeriodStatus[]),
  v.description(
    "open: values are projections from the current budget and balance; closing: the month " +
      "close is running; closed: values are final (paid).",
  ),
);

const Kind = v.picklist(["page", "profile", "note"] satisfies ThingKind[]);

export const ErrorBody = v.pipe(
  v.strictObject({
    error: str("What went wrong, in words a person understands."),
    code: v.optional(
      str(
        "Machine-readable reason: unauthorized, invalid_token, insufficient_scope, not_found, " +
          "method_not_allowed, malformed_json, unsupported_media_type, body_too_large, " +
          "invalid_request, invalid_amount, invalid_period, or a flattr refusal: budget_too_low, " +
          "budget_too_high, invalid_url, invalid_title, invalid_description, thing_not_found, " +
          "own_thing, no_budget, already_flattred, not_flattred, period_closed, rate_limited, " +
          "period_limit; or a post refusal: invalid_content, invalid_reply, post_not_found, " +
          "not_author.",
      ),
    ),
  }),
  v.description("Every error: a message for people and, for refusals, a stable machine code."),
);

// --- inputs ---------------------------------------------------------------------------------

/** Path `{id}` of a thing: a positive whole number, else the path names nothing (404). */
export const ThingPath = v.object({
  id: refusal(
    v.pipe(
      v.string(),
      v.regex(/^[1-9][0-9]{0,15}$/),
      v.description("Thing id; anything but a positive whole number is a 404."),
      v.transform((id: string) => Number(id)),
      v.check((id: number) => Number.isSafeInteger(id)),
    ),
    { message: "No such thing: ids are positive whole numbers." },
  ),
});

const periodParam = v.optional(
  v.pipe(
    Period,
    v.description("YYYY-MM; default: the current period. Anything else is a 400 (invalid_period)."),
  ),
);

export const PeriodQuery = v.object({ period: periodParam });

export const StatementQuery = v.object({
  period: periodParam,
  format: v.optional(
    v.pipe(v.picklist(["json", "csv"]), v.description("json (default) or csv; overrides Accept.")),
  ),
});

export const BudgetInput = v.object({
  amount: refusal(
    v.pipe(
      v.string(),
      // The currency's own number of decimals is checked by the handler (it knows the currency).
      v.regex(/^\s*[0-9]{1,15}(\.[0-9]+)?\s*$/),
      v.description("The new monthly budget, a decimal string."),
    ),
    {
      code: "invalid_amount",
      mustBe: 'a decimal string such as "5.00" (no floats for money)',
    },
  ),
});

export const ThingInput = v.object({
  // Lengths and the URL's form are the domain's rules (registerThing: invalid_url,
  // invalid_title, invalid_description, in code points); published here, checked there.
  url: v.pipe(
    v.string(),
    v.description(
      "The page's http(s) URL, without user name or password; control characters (NUL, " +
        "line breaks) are refused (422 invalid_url).",
    ),
    v.metadata({ maxLength: MAX_URL_LENGTH }),
  ),
  title: v.pipe(
    v.string(),
    v.description(`Title, up to ${MAX_TITLE_LENGTH} characters.`),
    v.metadata({ maxLength: MAX_TITLE_LENGTH }),
  ),
  description: v.nullish(
    v.pipe(
      v.string(),
      v.description(`Optional description, up to ${MAX_DESCRIPTION_LENGTH} characters.`),
      v.metadata({ maxLength: MAX_DESCRIPTION_LENGTH }),
    ),
  ),
});

/** Path `{id}` of a post: an int8 as decimal digits (a string: it exceeds exact JSON numbers). */
export const PostPath = v.object({
  id: refusal(
    v.pipe(
      v.string(),
      v.regex(/^[1-9][0-9]{0,18}$/),
      v.description("Post id (decimal digits); anything else is a 404."),
      v.transform((id: string) => BigInt(id)),
      v.check((id: bigint) => id <= 9223372036854775807n),
    ),
    { message: "No such post: ids are positive whole numbers." },
  ),
});

export const PostInput = v.object({
  // Length, characters and the reply's form are the domain's rules (createPost: invalid_content,
  // invalid_reply, in code points); published here, checked there.
  content: v.pipe(
    v.string(),
    v.description(
      `Plain text, up to ${MAX_POST_LENGTH} characters (code points); links and @user@server ` +
        "mentions are found and rendered; control characters are refused (422 invalid_content).",
    ),
  ),
  in_reply_to: v.nullish(
    v.pipe(
      v.string(),
      v.description("The ActivityPub id (or page URL of a post here) this post answers."),
      v.metadata({ maxLength: 2048 }),
    ),
  ),
});

export const PostEditInput = v.object({
  content: v.pipe(v.string(), v.description("The new text; the same rules as when writing.")),
});

// --- answers --------------------------------------------------------------------------------

export const Me = v.strictObject({
  id: int("User id."),
  username: str("Local username."),
  display_name: str("Display name (may be empty)."),
  url: uri("Profile page."),
  currency: Currency,
  wallet_balance: amount("Prepaid balance."),
  budget: v.pipe(
    v.nullable(Amount),
    v.description("Monthly budget, or null when none is set (flattring needs one)."),
  ),
  period: Period,
  fee_bp: int("Instance fee in basis points, taken from the monthly amount before the split."),
  min_budget: amount("Smallest allowed budget."),
  max_budget: amount("Largest allowed budget."),
});

export const BudgetResult = v.strictObject({
  budget: amount("The budget now set."),
  currency: Currency,
  updated_at: time("When it was set."),
  wallet_balance: amount("Current wallet balance."),
  above_balance: bool("The budget is above the wallet balance."),
  warning: v.pipe(
    v.nullable(v.string()),
    v.description(
      "Set when the budget is above the balance: the close takes only what is in the wallet.",
    ),
  ),
});

export const Owner = v.strictObject({
  username: str("The owner's username."),
  display_name: str("The owner's display name."),
  url: uri("The owner's profile page."),
});

const thingEntries = {
  id: int("Thing id."),
  kind: Kind,
  url: uri(
    "The thing's URL in canonical form (percent-encoded, lowercase host, no fragment): " +
      "registering any spelling of it finds this thing.",
  ),
  title: str("Title."),
  description: str("Description (may be empty)."),
  owner: Owner,
  created_at: time("When it was registered."),
  period: Period,
  flattrs_this_period: int("Active flattrs in `period` (the current one)."),
  flattrs_all_time: int("Active flattrs over all periods."),
};

export const Thing = v.strictObject(thingEntries);

export const RegisteredThing = v.pipe(
  v.strictObject({ ...thingEntries, created: bool("false: you had registered it before.") }),
  v.description("The thing, and whether this call created it (false: it was registered before)."),
);

const flattrEntries = {
  id: int("Flattr id."),
  thing_id: int("The flattred thing."),
  period: Period,
  created_at: time("When it was made."),
};

export const Flattr = v.strictObject(flattrEntries);

export const WithdrawnFlattr = v.strictObject({ ...flattrEntries, withdrawn: v.literal(true) });

export const ThingRef = v.strictObject({
  id: int("Thing id."),
  kind: Kind,
  title: str("Title."),
  url: uri("URL."),
  owner: v.strictObject({
    username: str("Owner's username here, or user@host of a creator on another server."),
    url: uri("Owner's profile (on their own server for a remote creator)."),
  }),
});

export const Creator = v.pipe(
  v.strictObject({
    kind: v.pipe(
      v.picklist(["local", "peer", "unclaimed"]),
      v.description(
        "local: a creator here (earnings); peer: a creator on another Fediflattr server " +
          "(paid through that server's settlement); unclaimed: anywhere else (held for the " +
          "creator until they claim it).",
      ),
    ),
    host: v.pipe(v.nullable(v.string()), v.description("The peer's host[:port], or null.")),
    frozen: bool("The route was fixed by the period's close; until then it may change."),
  }),
  v.description("Where the flattr's share goes."),
);

export const FlattrStatus = v.pipe(
  v.nullable(v.picklist(["paid", "in_transit", "awaiting", "held", "returned"])),
  v.description(
    "What became of the share, once the period is closed (null before, or when it was worth " +
      "nothing): paid (to a creator here, or settled with or claimed through the creator's " +
      "server), in_transit (owed to the creator's Fediflattr server, not settled yet), awaiting " +
      "(the creator's server is not admitted here yet), held (kept for an unclaimed creator " +
      "until they claim it, or `returns_at`), returned (the hold ended: back in your wallet).",
  ),
);

export const FlattrValue = v.strictObject({
  id: int("Flattr id."),
  thing: ThingRef,
  creator: Creator,
  status: FlattrStatus,
  returns_at: v.pipe(
    v.nullable(v.pipe(v.string(), v.isoTimestamp())),
    v.description("For a held share: when it returns to your wallet if not claimed by then."),
  ),
  created_at: time("When it was made."),
  value: amount("This flattr's share: projected while the period is open, final after the close."),
});

export const WithdrawnByInstance = v.strictObject({
  id: int("Flattr id."),
  thing: v.strictObject({ id: int("Thing id."), title: str("Title."), url: uri("URL.") }),
  created_at: time("When it was made."),
  withdrawn_at: time("When it was withdrawn."),
  withdrawn_reason: str(
    "Why: `domain_blocked` (the creator's server was blocked here), `own_thing` (the thing " +
      "turned out to be the payer's own), or another code.",
  ),
});

export const MyFlattrs = v.strictObject({
  period: Period,
  status: PeriodStatusSchema,
  final: bool("The values are what the close paid (or is paying)."),
  currency: Currency,
  amount: amount("min(budget, wallet balance): what the close takes (or took)."),
  fee: amount("The instance fee out of `amount`."),
  flattrs: v.array(FlattrValue),
  withdrawn: v.pipe(
    v.array(WithdrawnByInstance),
    v.description(
      "Flattrs of the period that this instance withdrew, not you (they are not in the split).",
    ),
  ),
});

export const ThingEarnings = v.strictObject({
  thing: v.strictObject({
    id: int("Thing id."),
    kind: Kind,
    title: str("Title."),
    url: uri("URL."),
  }),
  flattrs: int(
    "Active flattrs of the thing in the period, incoming flattrs from peers' users included.",
  ),
  remote_flattrs: int(
    "Of `flattrs`, those from other servers: paid by the payer's server through its settlement, not part of `amount` yet.",
  ),
  amount: amount("What they are worth to you."),
});

export const Earnings = v.strictObject({
  period: Period,
  status: PeriodStatusSchema,
  final: bool("Every payer of the period has been processed."),
  currency: Currency,
  total: amount("Sum over the things."),
  flattrs: int("Flattrs received in the period, incoming flattrs from peers' users included."),
  remote_flattrs: int("Of `flattrs`, those from users of other servers."),
  posted: amount("What the ledger credited to your earnings for this period so far."),
  things: v.array(ThingEarnings),
});

export const Movement = v.strictObject({
  entry_id: int("Ledger entry."),
  kind: str("deposit, close, reversal, ..."),
  created_at: time("When it was posted."),
  amount: amount("Signed: + into the wallet, − out of it."),
});

export const Statement = v.strictObject({
  period: Period,
  status: PeriodStatusSchema,
  final: bool("The payer side is final."),
  currency: Currency,
  payer: v.strictObject({
    budget: v.pipe(v.nullable(Amount), v.description("The budget as set now.")),
    opening_balance: amount("Wallet before the period's movements."),
    movements: v.pipe(
      v.array(Movement),
      v.description(
        "Wallet entries of the period: deposits made in it and its close (posted after it ended).",
      ),
    ),
    closing_balance: amount("opening_balance plus the movements."),
    spent: amount("Taken for the period's flattrs, fee included (projected until final)."),
    fee: amount("The instance fee."),
    to_creators: amount("spent − fee, split over the flattrs."),
    flattrs: v.array(FlattrValue),
  }),
  creator: v.strictObject({
    total: amount("Earnings of the period."),
    flattrs: int("Flattrs received, incoming ones from peers included."),
    remote_flattrs: int("Of `flattrs`, those from other servers."),
    posted: amount("What the ledger credited so far."),
    things: v.array(ThingEarnings),
  }),
});

export const FollowInput = v.object({
  target: v.pipe(
    v.string(),
    v.maxLength(MAX_URL_LENGTH),
    v.description(
      "A handle (`@alice@example.org`, `acct:alice@example.org`) or the address of an actor or " +
        "profile, here or on any server.",
    ),
    v.examples(["@alice@example.org"]),
  ),
});

export const FollowQuery = v.object({
  actor: v.pipe(v.string(), v.maxLength(MAX_URL_LENGTH), v.description("The actor's address.")),
});

export const Following = v.strictObject({
  actor: uri("The followed actor's address (ActivityPub id)."),
  follow_id: uri("The Follow activity's id."),
  accepted: v.pipe(v.boolean(), v.description("Whether they accepted (at once for local users).")),
});

export const Unfollowed = v.strictObject({
  unfollowed: v.pipe(v.boolean(), v.description("Whether you followed them until now.")),
});

export const ResolveInput = v.object({
  uri: v.pipe(
    v.string(),
    v.maxLength(MAX_URL_LENGTH),
    v.description(
      "A handle (`@alice@example.org`, `acct:alice@example.org`) or the address of an actor, " +
        "a post or a page, here or on any server.",
    ),
    v.examples(["@alice@example.org"]),
  ),
});

export const ResolvedThing = v.pipe(
  v.strictObject({
    id: int("Thing id: flattr it with POST /things/{id}/flattr."),
    kind: v.pipe(
      Kind,
      v.description("profile for an actor, note for a post, page for a Page object."),
    ),
    url: uri("The HTML page people open (the post, the profile, the web page)."),
    uri: uri("The ActivityPub id of what is flattred."),
    title: str("Title (for a post: its first words)."),
    description: str("Description or excerpt (may be empty)."),
    owner: v.strictObject({
      kind: v.pipe(
        v.picklist(["local", "peer", "unclaimed"]),
        v.description(
          "local: a user here; peer: on a server that speaks our protocol in our currency " +
            "(paid through it); unclaimed: anywhere else (held until they claim it).",
        ),
      ),
      actor: uri("The owner's ActivityPub id."),
      handle: str("user@host."),
      name: str("Display name."),
      url: uri("The owner's profile page (on their own server if remote)."),
      host: str("The owner's server (host[:port])."),
    }),
    page: uri("The thing's page on this instance, with its flattr button."),
    deleted: bool("Deleted on its server: the thing and its flattrs stay."),
    created: bool("This call created the thing."),
  }),
  v.description("The thing for a handle or address, with its owner."),
);
const postEntries = {
  id: str("Post id: decimal digits of an int8 that sorts by publication time."),
  uri: uri("Its ActivityPub id (the Note)."),
  url: uri("Its HTML page."),
  thing_id: int("Its flattrable thing (kind note)."),
};

export const PostCreated = v.strictObject(postEntries);

export const Post = v.strictObject({
  ...postEntries,
  content: str("The text as written."),
  content_html: str("The HTML other servers and pages show."),
  in_reply_to: v.pipe(v.nullable(v.string()), v.description("What it answers, if anything.")),
  created_at: time("When it was written."),
  edited_at: v.pipe(
    v.nullable(v.pipe(v.string(), v.isoTimestamp())),
    v.description("When it was last edited."),
  ),
  author: v.strictObject({ username: str("The author."), url: uri("The author's profile.") }),
  mentions: v.array(
    v.strictObject({
      handle: str("@user@host"),
      actor: uri("Its ActivityPub id."),
      url: uri("Its profile page."),
    }),
  ),
});

export const DeletedPost = v.strictObject({
  id: str("Post id."),
  thing_id: int("Its thing, which stays with its flattrs."),
  deleted: v.literal(true),
});

/** The schemas the document names (components/schemas), referenced wherever they are used. */
export const COMPONENTS = {
  Error: ErrorBody,
  Amount,
  Currency,
  Period,
  PeriodStatus: PeriodStatusSchema,
  Me,
  BudgetInput,
  BudgetResult,
  ThingInput,
  Owner,
  Thing,
  RegisteredThing,
  Flattr,
  WithdrawnFlattr,
  ThingRef,
  Creator,
  FlattrValue,
  WithdrawnByInstance,
  MyFlattrs,
  ThingEarnings,
  Earnings,
  Movement,
  Statement,
  ResolveInput,
  ResolvedThing,
  PostInput,
  PostEditInput,
  PostCreated,
  Post,
  DeletedPost,
  FollowInput,
  Following,
  Unfollowed,
};

export type Out<S extends v.GenericSchema> = v.InferOutput<S>;
