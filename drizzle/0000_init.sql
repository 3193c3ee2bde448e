CREATE TABLE "invites" (
	"code" text PRIMARY KEY NOT NULL,
	"created_by" bigint,
	"used_by" bigint,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "password_resets" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"count" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"user_agent" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_preferences" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"default_sensitive" boolean DEFAULT false NOT NULL,
	"default_language" text,
	"expand_media" text DEFAULT 'default' NOT NULL,
	"expand_spoilers" boolean DEFAULT false NOT NULL,
	CONSTRAINT "user_preferences_language" CHECK ("user_preferences"."default_language" ~ '^[a-z]{2,3}$'),
	CONSTRAINT "user_preferences_expand_media" CHECK ("user_preferences"."expand_media" in ('default', 'show_all', 'hide_all'))
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "users_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"username" text NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"display_name" text DEFAULT '' NOT NULL,
	"bio" text DEFAULT '' NOT NULL,
	"is_admin" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "actor_keys" (
	"actor" text NOT NULL,
	"type" text NOT NULL,
	"private_key" jsonb NOT NULL,
	"public_key" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fedify_kv" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "fedify_queue" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "fedify_queue_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"channel" text DEFAULT 'default' NOT NULL,
	"message" text NOT NULL,
	"ordering_key" text,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "budgets_amount_positive" CHECK ("budgets"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "close_payers" (
	"period" text NOT NULL,
	"user_id" bigint NOT NULL,
	"budget" bigint,
	"amount" bigint NOT NULL,
	"fee" bigint NOT NULL,
	"flattrs" integer NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "close_payers_period_user_id_pk" PRIMARY KEY("period","user_id"),
	CONSTRAINT "close_payers_amounts" CHECK ("close_payers"."amount" >= 0 and "close_payers"."fee" >= 0 and "close_payers"."fee" <= "close_payers"."amount"),
	CONSTRAINT "close_payers_flattrs" CHECK ("close_payers"."flattrs" > 0)
);
--> statement-breakpoint
CREATE TABLE "closed_periods" (
	"period" text PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"stats" jsonb
);
--> statement-breakpoint
CREATE TABLE "flattrs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "flattrs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"thing_id" bigint NOT NULL,
	"payer_id" bigint NOT NULL,
	"period" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"withdrawn_at" timestamp with time zone,
	"withdrawn_reason" text,
	"like_id" text DEFAULT replace(gen_random_uuid()::text, '-', '') NOT NULL,
	"app_id" bigint,
	CONSTRAINT "flattrs_period_format" CHECK ("flattrs"."period" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')
);
--> statement-breakpoint
CREATE TABLE "things" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "things_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"owner_kind" text DEFAULT 'local' NOT NULL,
	"owner_id" bigint,
	"remote_owner_id" bigint,
	"kind" text NOT NULL,
	"url" text NOT NULL,
	"url_normalized" text NOT NULL,
	"object_uri" text,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"verified_at" timestamp with time zone,
	"superseded_by" bigint,
	CONSTRAINT "things_kind" CHECK ("things"."kind" in ('page', 'profile', 'note')),
	CONSTRAINT "things_owner_kind" CHECK ("things"."owner_kind" in ('local', 'remote')),
	CONSTRAINT "things_one_owner" CHECK (("things"."owner_kind" = 'local' and "things"."owner_id" is not null and "things"."remote_owner_id" is null)
          or ("things"."owner_kind" = 'remote' and "things"."remote_owner_id" is not null and "things"."owner_id" is null))
);
--> statement-breakpoint
CREATE TABLE "followers" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "followers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"actor_uri" text NOT NULL,
	"follower_user_id" bigint,
	"remote_actor_id" bigint,
	"inbox_url" text NOT NULL,
	"shared_inbox_url" text,
	"follow_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "followers_one_follower" CHECK (("followers"."follower_user_id" is null) <> ("followers"."remote_actor_id" is null))
);
--> statement-breakpoint
CREATE TABLE "following" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "following_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"actor_uri" text NOT NULL,
	"target_user_id" bigint,
	"remote_actor_id" bigint,
	"inbox_url" text NOT NULL,
	"shared_inbox_url" text,
	"follow_id" text NOT NULL,
	"accepted_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "following_one_target" CHECK (("following"."target_user_id" is null) <> ("following"."remote_actor_id" is null))
);
--> statement-breakpoint
CREATE TABLE "favourites" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "favourites_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"activity_id" text NOT NULL,
	"remote_actor_id" bigint NOT NULL,
	"thing_id" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"withdrawn_at" timestamp with time zone,
	"undo_activity_id" text
);
--> statement-breakpoint
CREATE TABLE "incoming_flattrs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "incoming_flattrs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"activity_id" text NOT NULL,
	"peer_host" text NOT NULL,
	"remote_actor_id" bigint NOT NULL,
	"thing_id" bigint NOT NULL,
	"period" text NOT NULL,
	"currency" text NOT NULL,
	"payer_instance" text NOT NULL,
	"protocol_version" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"withdrawn_at" timestamp with time zone,
	"undo_activity_id" text,
	CONSTRAINT "incoming_flattrs_period" CHECK ("incoming_flattrs"."period" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
	CONSTRAINT "incoming_flattrs_currency" CHECK ("incoming_flattrs"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "incoming_undos" (
	"like_activity_id" text NOT NULL,
	"actor_uri" text NOT NULL,
	"undo_activity_id" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "incoming_undos_like_activity_id_actor_uri_pk" PRIMARY KEY("like_activity_id","actor_uri")
);
--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"name" text NOT NULL,
	"currency" text NOT NULL,
	"may_go_negative" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_accounts_name_currency_pk" PRIMARY KEY("name","currency"),
	CONSTRAINT "ledger_accounts_currency" CHECK ("ledger_accounts"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "ledger_accounts_name" CHECK ("ledger_accounts"."name" ~ '^(wallet|earnings):[1-9][0-9]*$' or "ledger_accounts"."name" in ('fees', 'pledges', 'deposits', 'payouts', 'pending_payouts') or "ledger_accounts"."name" ~ '^clearing:[a-z0-9.:\[\]-]+$'),
	CONSTRAINT "ledger_accounts_may_go_negative" CHECK ("ledger_accounts"."may_go_negative" = ("ledger_accounts"."name" in ('deposits', 'payouts') or "ledger_accounts"."name" like 'clearing:%'))
);
--> statement-breakpoint
CREATE TABLE "ledger_balances" (
	"account" text NOT NULL,
	"currency" text NOT NULL,
	"balance" bigint NOT NULL,
	CONSTRAINT "ledger_balances_account_currency_pk" PRIMARY KEY("account","currency"),
	CONSTRAINT "ledger_balances_non_negative" CHECK ("ledger_balances"."balance" >= 0 or ("ledger_balances"."account" in ('deposits', 'payouts') or "ledger_balances"."account" like 'clearing:%'))
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ledger_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"idempotency_key" text NOT NULL,
	"kind" text NOT NULL,
	"period" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"payload_hash" text NOT NULL,
	"reverses_entry_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_txid" bigint DEFAULT (pg_current_xact_id()::text::bigint) NOT NULL,
	CONSTRAINT "ledger_entries_kind" CHECK ("ledger_entries"."kind" ~ '^[a-z][a-z0-9_]*$'),
	CONSTRAINT "ledger_entries_period" CHECK ("ledger_entries"."period" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
	CONSTRAINT "ledger_entries_key" CHECK (length("ledger_entries"."idempotency_key") between 1 and 500)
);
--> statement-breakpoint
CREATE TABLE "ledger_postings" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ledger_postings_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"entry_id" bigint NOT NULL,
	"account" text NOT NULL,
	"currency" text NOT NULL,
	"amount" bigint NOT NULL,
	CONSTRAINT "ledger_postings_amount_nonzero" CHECK ("ledger_postings"."amount" <> 0)
);
--> statement-breakpoint
CREATE TABLE "markers" (
	"user_id" bigint NOT NULL,
	"timeline" text NOT NULL,
	"last_read_id" text NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "markers_user_id_timeline_pk" PRIMARY KEY("user_id","timeline"),
	CONSTRAINT "markers_timeline" CHECK ("markers"."timeline" in ('home', 'notifications')),
	CONSTRAINT "markers_last_read_id" CHECK ("markers"."last_read_id" ~ '^[0-9]{1,19}$')
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" bigint PRIMARY KEY NOT NULL,
	"user_id" bigint NOT NULL,
	"type" text NOT NULL,
	"source_key" text NOT NULL,
	"from_user_id" bigint,
	"from_remote_actor_id" bigint,
	"status_id" bigint,
	"flattr" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"dismissed_at" timestamp with time zone,
	CONSTRAINT "notifications_type" CHECK ("notifications"."type" in ('favourite', 'follow', 'mention')),
	CONSTRAINT "notifications_one_actor" CHECK (("notifications"."from_user_id" is null) <> ("notifications"."from_remote_actor_id" is null))
);
--> statement-breakpoint
CREATE TABLE "oauth_apps" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "oauth_apps_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"client_id" text NOT NULL,
	"client_secret_hash" text NOT NULL,
	"name" text NOT NULL,
	"website" text,
	"redirect_uris" text[] NOT NULL,
	"scopes" text[] NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "oauth_apps_name" CHECK (length("oauth_apps"."name") between 1 and 200),
	CONSTRAINT "oauth_apps_redirect_uris" CHECK (cardinality("oauth_apps"."redirect_uris") between 1 and 20),
	CONSTRAINT "oauth_apps_scopes" CHECK (cardinality("oauth_apps"."scopes") > 0)
);
--> statement-breakpoint
CREATE TABLE "oauth_codes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "oauth_codes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"code_hash" text NOT NULL,
	"app_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"redirect_uri" text NOT NULL,
	"redirect_uri_given" boolean NOT NULL,
	"scopes" text[] NOT NULL,
	"code_challenge" text,
	"code_challenge_method" text,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"token_id" bigint,
	CONSTRAINT "oauth_codes_pkce" CHECK (("oauth_codes"."code_challenge" is null) = ("oauth_codes"."code_challenge_method" is null)
          and ("oauth_codes"."code_challenge_method" is null or "oauth_codes"."code_challenge_method" in ('S256', 'plain')))
);
--> statement-breakpoint
CREATE TABLE "outbox_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "outbox_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"flattr_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	CONSTRAINT "outbox_events_kind" CHECK ("outbox_events"."kind" in ('like', 'undo'))
);
--> statement-breakpoint
CREATE TABLE "payout_batches" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payout_batches_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"currency" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"approved_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payout_details" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"iban" text NOT NULL,
	"bic" text DEFAULT '' NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payouts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payouts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"source" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"holder" text NOT NULL,
	"iban" text NOT NULL,
	"bic" text NOT NULL,
	"batch_id" bigint,
	"requested_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	"note" text,
	CONSTRAINT "payouts_source" CHECK ("payouts"."source" in ('earnings', 'wallet')),
	CONSTRAINT "payouts_status" CHECK ("payouts"."status" in ('requested', 'approved', 'paid', 'failed', 'cancelled')),
	CONSTRAINT "payouts_amount" CHECK ("payouts"."amount" > 0),
	CONSTRAINT "payouts_batch" CHECK (("payouts"."batch_id" is null) = ("payouts"."status" in ('requested', 'cancelled')))
);
--> statement-breakpoint
CREATE TABLE "claim_announcements" (
	"claim_id" bigint NOT NULL,
	"host" text NOT NULL,
	"queued_at" timestamp with time zone NOT NULL,
	CONSTRAINT "claim_announcements_claim_id_host_pk" PRIMARY KEY("claim_id","host")
);
--> statement-breakpoint
CREATE TABLE "pledge_claims" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "pledge_claims_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"remote_actor_id" bigint NOT NULL,
	"user_id" bigint,
	"claimant_uri" text NOT NULL,
	"claiming_host" text,
	"code" text NOT NULL,
	"proof_url" text,
	"state" text DEFAULT 'pending' NOT NULL,
	"problem" text,
	"announcement_id" text,
	"created_at" timestamp with time zone NOT NULL,
	"verified_at" timestamp with time zone,
	CONSTRAINT "pledge_claims_state" CHECK ("pledge_claims"."state" in ('pending', 'won', 'rival', 'failed')),
	CONSTRAINT "pledge_claims_claimant" CHECK (("pledge_claims"."claiming_host" is null and "pledge_claims"."user_id" is not null) or ("pledge_claims"."claiming_host" is not null and "pledge_claims"."user_id" is null and "pledge_claims"."announcement_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "pledge_notices" (
	"remote_actor_id" bigint NOT NULL,
	"period" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "blocked_domains" (
	"host" text PRIMARY KEY NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "blocked_domains_host" CHECK ("blocked_domains"."host" ~ '^[a-z0-9.:\[\]-]+$' and length("blocked_domains"."host") <= 255)
);
--> statement-breakpoint
CREATE TABLE "linked_actors" (
	"remote_actor_id" bigint PRIMARY KEY NOT NULL,
	"user_id" bigint NOT NULL,
	"linked_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "peers" (
	"host" text PRIMARY KEY NOT NULL,
	"software" text,
	"version" text,
	"protocol_version" text,
	"currency" text,
	"fee_bp" integer,
	"time_zone" text,
	"settlement_day" integer,
	"instance_actor" text,
	"instance_inbox" text,
	"speaks_flattr" boolean DEFAULT false NOT NULL,
	"first_seen" timestamp with time zone,
	"last_seen" timestamp with time zone,
	"checked_at" timestamp with time zone,
	"last_error" text,
	"admitted_at" timestamp with time zone,
	"suspended_at" timestamp with time zone,
	"credit_limit" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "peers_host" CHECK ("peers"."host" ~ '^[a-z0-9.:\[\]-]+$' and length("peers"."host") <= 255),
	CONSTRAINT "peers_credit_limit" CHECK ("peers"."credit_limit" >= 0)
);
--> statement-breakpoint
CREATE TABLE "remote_actors" (
	"id" bigint PRIMARY KEY NOT NULL,
	"uri" text NOT NULL,
	"host" text NOT NULL,
	"handle" text,
	"type" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"summary_html" text DEFAULT '' NOT NULL,
	"url" text,
	"icon_url" text,
	"inbox_url" text,
	"shared_inbox_url" text,
	"followers_url" text,
	"payment_url" text,
	"followers_count" integer,
	"following_count" integer,
	"statuses_count" integer,
	"fetched_at" timestamp with time zone NOT NULL,
	"gone_at" timestamp with time zone,
	CONSTRAINT "remote_actors_host" CHECK ("remote_actors"."host" ~ '^[a-z0-9.:\[\]-]+$' and length("remote_actors"."host") <= 255),
	CONSTRAINT "remote_actors_counts" CHECK ("remote_actors"."followers_count" >= 0 and "remote_actors"."following_count" >= 0 and "remote_actors"."statuses_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "close_routes" (
	"period" text NOT NULL,
	"remote_actor_id" bigint NOT NULL,
	"route" text NOT NULL,
	"peer_host" text,
	"frozen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "close_routes_period_remote_actor_id_pk" PRIMARY KEY("period","remote_actor_id"),
	CONSTRAINT "close_routes_route" CHECK (("close_routes"."route" = 'peer' and "close_routes"."peer_host" is not null) or ("close_routes"."route" = 'unclaimed' and "close_routes"."peer_host" is null))
);
--> statement-breakpoint
CREATE TABLE "remote_shares" (
	"period" text NOT NULL,
	"remote_actor_id" bigint NOT NULL,
	"payer_id" bigint NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"flattrs" integer NOT NULL,
	"like_ids" text[] NOT NULL,
	"route" text NOT NULL,
	"peer_host" text,
	"state" text DEFAULT 'open' NOT NULL,
	"claim_id" bigint,
	"claimed_by_host" text,
	"carried_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "remote_shares_period_remote_actor_id_payer_id_pk" PRIMARY KEY("period","remote_actor_id","payer_id"),
	CONSTRAINT "remote_shares_amount" CHECK ("remote_shares"."amount" > 0 and "remote_shares"."flattrs" > 0),
	CONSTRAINT "remote_shares_route" CHECK (("remote_shares"."route" = 'peer' and "remote_shares"."peer_host" is not null) or ("remote_shares"."route" = 'unclaimed' and "remote_shares"."peer_host" is null)),
	CONSTRAINT "remote_shares_state" CHECK ("remote_shares"."state" in ('open', 'settled', 'claimed', 'returned')),
	CONSTRAINT "remote_shares_claim" CHECK (("remote_shares"."state" = 'claimed') = ("remote_shares"."claim_id" is not null) or "remote_shares"."state" = 'settled')
);
--> statement-breakpoint
CREATE TABLE "setup_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "status_idempotency_keys" (
	"user_id" bigint NOT NULL,
	"key" text NOT NULL,
	"status_id" bigint,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "status_idempotency_keys_user_id_key_pk" PRIMARY KEY("user_id","key")
);
--> statement-breakpoint
CREATE TABLE "status_mentions" (
	"status_id" bigint NOT NULL,
	"actor_uri" text NOT NULL,
	"user_id" bigint
);
--> statement-breakpoint
CREATE TABLE "statuses" (
	"id" bigint PRIMARY KEY NOT NULL,
	"uri" text NOT NULL,
	"url" text,
	"user_id" bigint,
	"remote_actor_id" bigint,
	"content_source" text,
	"content_html" text NOT NULL,
	"summary" text DEFAULT '' NOT NULL,
	"in_reply_to_uri" text,
	"in_reply_to_id" bigint,
	"visibility" text DEFAULT 'public' NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"edited_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"fetched_at" timestamp with time zone,
	"thing_id" bigint,
	CONSTRAINT "statuses_one_author" CHECK (("statuses"."user_id" is null) <> ("statuses"."remote_actor_id" is null)),
	CONSTRAINT "statuses_visibility" CHECK ("statuses"."visibility" in ('public', 'unlisted', 'private', 'direct'))
);
--> statement-breakpoint
CREATE TABLE "subscription_runs" (
	"subscription_id" bigint NOT NULL,
	"period" text NOT NULL,
	"outcome" text NOT NULL,
	"message" text,
	"flattr_id" bigint,
	"ran_at" timestamp with time zone NOT NULL,
	CONSTRAINT "subscription_runs_subscription_id_period_pk" PRIMARY KEY("subscription_id","period")
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "subscriptions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"thing_id" bigint NOT NULL,
	"months" integer NOT NULL,
	"first_period" text NOT NULL,
	"last_period" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"cancelled_at" timestamp with time zone,
	CONSTRAINT "subscriptions_months" CHECK ("subscriptions"."months" in (3, 6, 12)),
	CONSTRAINT "subscriptions_periods" CHECK ("subscriptions"."first_period" <= "subscriptions"."last_period")
);
--> statement-breakpoint
CREATE TABLE "clearing_transfers" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "clearing_transfers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"peer_host" text NOT NULL,
	"direction" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"reference" text NOT NULL,
	"source" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	"notified_at" timestamp with time zone,
	"notice_due_at" timestamp with time zone,
	"notice_attempts" integer DEFAULT 0 NOT NULL,
	"notice_error" text,
	"raw" text,
	CONSTRAINT "clearing_transfers_direction" CHECK ("clearing_transfers"."direction" in ('sent', 'received')),
	CONSTRAINT "clearing_transfers_source" CHECK ("clearing_transfers"."source" in ('ours', 'notice')),
	CONSTRAINT "clearing_transfers_amount" CHECK ("clearing_transfers"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "settlement_summaries_in" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "settlement_summaries_in_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"peer_host" text NOT NULL,
	"activity_id" text NOT NULL,
	"actor_uri" text NOT NULL,
	"period" text NOT NULL,
	"sequence" integer NOT NULL,
	"prev_hash" text,
	"hash" text NOT NULL,
	"currency" text NOT NULL,
	"total" bigint NOT NULL,
	"line_count" integer NOT NULL,
	"flattr_count" integer NOT NULL,
	"lines_hash" text NOT NULL,
	"lines_url" text NOT NULL,
	"raw" text NOT NULL,
	"state" text DEFAULT 'received' NOT NULL,
	"reason" text,
	"final" boolean,
	"message" text,
	"received_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	"answer_due_at" timestamp with time zone,
	"answer_attempts" integer DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	CONSTRAINT "settlement_summaries_in_state" CHECK (state in ('received', 'parked', 'accepted', 'rejected', 'conflict', 'withdrawn'))
);
--> statement-breakpoint
CREATE TABLE "settlement_summaries_out" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "settlement_summaries_out_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"peer_host" text NOT NULL,
	"period" text NOT NULL,
	"sequence" integer NOT NULL,
	"prev_hash" text,
	"hash" text NOT NULL,
	"currency" text NOT NULL,
	"total" bigint NOT NULL,
	"line_count" integer NOT NULL,
	"flattr_count" integer NOT NULL,
	"lines_hash" text NOT NULL,
	"state" text DEFAULT 'sent' NOT NULL,
	"reason" text,
	"final" boolean,
	"message" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"answered_at" timestamp with time zone,
	"refunded_at" timestamp with time zone,
	CONSTRAINT "settlement_summaries_out_state" CHECK (state in ('sent', 'accepted', 'rejected', 'withdrawing', 'withdrawn', 'conflict')),
	CONSTRAINT "settlement_summaries_out_sequence" CHECK ("settlement_summaries_out"."sequence" >= 1)
);
--> statement-breakpoint
CREATE TABLE "settlement_lines_in" (
	"summary_id" bigint NOT NULL,
	"idx" integer NOT NULL,
	"creator_uri" text NOT NULL,
	"user_id" bigint,
	"amount" bigint NOT NULL,
	"flattrs" integer NOT NULL,
	"like_ids" text[],
	"claim" text,
	CONSTRAINT "settlement_lines_in_summary_id_idx_pk" PRIMARY KEY("summary_id","idx")
);
--> statement-breakpoint
CREATE TABLE "settlement_lines_out" (
	"summary_id" bigint NOT NULL,
	"idx" integer NOT NULL,
	"creator_uri" text NOT NULL,
	"amount" bigint NOT NULL,
	"flattrs" integer NOT NULL,
	"like_ids" text[],
	"claim" text,
	CONSTRAINT "settlement_lines_out_summary_id_idx_pk" PRIMARY KEY("summary_id","idx"),
	CONSTRAINT "settlement_lines_out_amount" CHECK ("settlement_lines_out"."amount" > 0 and "settlement_lines_out"."flattrs" > 0),
	CONSTRAINT "settlement_lines_out_kind" CHECK (("settlement_lines_out"."like_ids" is null) <> ("settlement_lines_out"."claim" is null))
);
--> statement-breakpoint
CREATE TABLE "settlement_pages_out" (
	"summary_id" bigint NOT NULL,
	"page" integer NOT NULL,
	"lines" text NOT NULL,
	CONSTRAINT "settlement_pages_out_summary_id_page_pk" PRIMARY KEY("summary_id","page")
);
--> statement-breakpoint
CREATE TABLE "access_tokens" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "access_tokens_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint,
	"app_id" bigint,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "access_tokens_scopes" CHECK (cardinality("access_tokens"."scopes") > 0 and "access_tokens"."scopes" <@ array['read', 'read:accounts', 'read:blocks', 'read:bookmarks', 'read:favourites', 'read:filters', 'read:follows', 'read:lists', 'read:mutes', 'read:notifications', 'read:search', 'read:statuses', 'write', 'write:accounts', 'write:blocks', 'write:bookmarks', 'write:conversations', 'write:favourites', 'write:filters', 'write:follows', 'write:lists', 'write:media', 'write:mutes', 'write:notifications', 'write:reports', 'write:statuses', 'follow', 'push', 'profile']::text[]),
	CONSTRAINT "access_tokens_name" CHECK (length("access_tokens"."name") between 1 and 100),
	CONSTRAINT "access_tokens_owner" CHECK ("access_tokens"."user_id" is not null or "access_tokens"."app_id" is not null),
	CONSTRAINT "access_tokens_app_only_reads" CHECK ("access_tokens"."user_id" is not null
          or array_to_string("access_tokens"."scopes", ' ') !~ '(^| )(write|follow|push)')
);
--> statement-breakpoint
ALTER TABLE "invites" ADD CONSTRAINT "invites_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invites" ADD CONSTRAINT "invites_used_by_users_id_fk" FOREIGN KEY ("used_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "password_resets" ADD CONSTRAINT "password_resets_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_preferences" ADD CONSTRAINT "user_preferences_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "close_payers" ADD CONSTRAINT "close_payers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flattrs" ADD CONSTRAINT "flattrs_thing_id_things_id_fk" FOREIGN KEY ("thing_id") REFERENCES "public"."things"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flattrs" ADD CONSTRAINT "flattrs_payer_id_users_id_fk" FOREIGN KEY ("payer_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flattrs" ADD CONSTRAINT "flattrs_app_id_oauth_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."oauth_apps"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "things" ADD CONSTRAINT "things_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "things" ADD CONSTRAINT "things_remote_owner_id_remote_actors_id_fk" FOREIGN KEY ("remote_owner_id") REFERENCES "public"."remote_actors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "followers" ADD CONSTRAINT "followers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "followers" ADD CONSTRAINT "followers_follower_user_id_users_id_fk" FOREIGN KEY ("follower_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "followers" ADD CONSTRAINT "followers_remote_actor_id_remote_actors_id_fk" FOREIGN KEY ("remote_actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "following" ADD CONSTRAINT "following_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "following" ADD CONSTRAINT "following_target_user_id_users_id_fk" FOREIGN KEY ("target_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "following" ADD CONSTRAINT "following_remote_actor_id_remote_actors_id_fk" FOREIGN KEY ("remote_actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "favourites" ADD CONSTRAINT "favourites_remote_actor_id_remote_actors_id_fk" FOREIGN KEY ("remote_actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "favourites" ADD CONSTRAINT "favourites_thing_id_things_id_fk" FOREIGN KEY ("thing_id") REFERENCES "public"."things"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incoming_flattrs" ADD CONSTRAINT "incoming_flattrs_remote_actor_id_remote_actors_id_fk" FOREIGN KEY ("remote_actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incoming_flattrs" ADD CONSTRAINT "incoming_flattrs_thing_id_things_id_fk" FOREIGN KEY ("thing_id") REFERENCES "public"."things"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_reverses_entry_id_ledger_entries_id_fk" FOREIGN KEY ("reverses_entry_id") REFERENCES "public"."ledger_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "markers" ADD CONSTRAINT "markers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_from_user_id_users_id_fk" FOREIGN KEY ("from_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_from_remote_actor_id_remote_actors_id_fk" FOREIGN KEY ("from_remote_actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_status_id_statuses_id_fk" FOREIGN KEY ("status_id") REFERENCES "public"."statuses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_codes" ADD CONSTRAINT "oauth_codes_app_id_oauth_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."oauth_apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_codes" ADD CONSTRAINT "oauth_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_codes" ADD CONSTRAINT "oauth_codes_token_id_access_tokens_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."access_tokens"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbox_events" ADD CONSTRAINT "outbox_events_flattr_id_flattrs_id_fk" FOREIGN KEY ("flattr_id") REFERENCES "public"."flattrs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_details" ADD CONSTRAINT "payout_details_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_batch_id_payout_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."payout_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claim_announcements" ADD CONSTRAINT "claim_announcements_claim_id_pledge_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."pledge_claims"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pledge_claims" ADD CONSTRAINT "pledge_claims_remote_actor_id_remote_actors_id_fk" FOREIGN KEY ("remote_actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pledge_claims" ADD CONSTRAINT "pledge_claims_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pledge_notices" ADD CONSTRAINT "pledge_notices_remote_actor_id_remote_actors_id_fk" FOREIGN KEY ("remote_actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "linked_actors" ADD CONSTRAINT "linked_actors_remote_actor_id_remote_actors_id_fk" FOREIGN KEY ("remote_actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "linked_actors" ADD CONSTRAINT "linked_actors_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "close_routes" ADD CONSTRAINT "close_routes_remote_actor_id_remote_actors_id_fk" FOREIGN KEY ("remote_actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remote_shares" ADD CONSTRAINT "remote_shares_remote_actor_id_remote_actors_id_fk" FOREIGN KEY ("remote_actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remote_shares" ADD CONSTRAINT "remote_shares_payer_id_users_id_fk" FOREIGN KEY ("payer_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remote_shares" ADD CONSTRAINT "remote_shares_claim_id_pledge_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."pledge_claims"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remote_shares" ADD CONSTRAINT "remote_shares_carried_by_settlement_summaries_out_id_fk" FOREIGN KEY ("carried_by") REFERENCES "public"."settlement_summaries_out"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "status_idempotency_keys" ADD CONSTRAINT "status_idempotency_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "status_idempotency_keys" ADD CONSTRAINT "status_idempotency_keys_status_id_statuses_id_fk" FOREIGN KEY ("status_id") REFERENCES "public"."statuses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "status_mentions" ADD CONSTRAINT "status_mentions_status_id_statuses_id_fk" FOREIGN KEY ("status_id") REFERENCES "public"."statuses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "status_mentions" ADD CONSTRAINT "status_mentions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statuses" ADD CONSTRAINT "statuses_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statuses" ADD CONSTRAINT "statuses_remote_actor_id_remote_actors_id_fk" FOREIGN KEY ("remote_actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statuses" ADD CONSTRAINT "statuses_in_reply_to_id_statuses_id_fk" FOREIGN KEY ("in_reply_to_id") REFERENCES "public"."statuses"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statuses" ADD CONSTRAINT "statuses_thing_id_things_id_fk" FOREIGN KEY ("thing_id") REFERENCES "public"."things"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscription_runs" ADD CONSTRAINT "subscription_runs_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscription_runs" ADD CONSTRAINT "subscription_runs_flattr_id_flattrs_id_fk" FOREIGN KEY ("flattr_id") REFERENCES "public"."flattrs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_thing_id_things_id_fk" FOREIGN KEY ("thing_id") REFERENCES "public"."things"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_tokens" ADD CONSTRAINT "access_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_tokens" ADD CONSTRAINT "access_tokens_app_id_oauth_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."oauth_apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "invites_created_by" ON "invites" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "password_resets_user" ON "password_resets" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "rate_limits_window_start" ON "rate_limits" USING btree ("window_start");--> statement-breakpoint
CREATE INDEX "sessions_user" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_lower" ON "users" USING btree (lower("username"));--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "actor_keys_actor" ON "actor_keys" USING btree ("actor","type");--> statement-breakpoint
CREATE INDEX "fedify_kv_expires" ON "fedify_kv" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "fedify_queue_available" ON "fedify_queue" USING btree ("channel","available_at","id");--> statement-breakpoint
CREATE INDEX "fedify_queue_ordering" ON "fedify_queue" USING btree ("channel","ordering_key","id");--> statement-breakpoint
CREATE UNIQUE INDEX "flattrs_active_unique" ON "flattrs" USING btree ("thing_id","payer_id","period") WHERE "flattrs"."withdrawn_at" is null;--> statement-breakpoint
CREATE INDEX "flattrs_period_payer" ON "flattrs" USING btree ("period","payer_id","id") WHERE "flattrs"."withdrawn_at" is null;--> statement-breakpoint
CREATE INDEX "flattrs_thing_period" ON "flattrs" USING btree ("thing_id","period");--> statement-breakpoint
CREATE INDEX "flattrs_payer_created" ON "flattrs" USING btree ("payer_id","created_at");--> statement-breakpoint
CREATE INDEX "flattrs_app" ON "flattrs" USING btree ("app_id") WHERE "flattrs"."app_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "flattrs_like_id" ON "flattrs" USING btree ("like_id");--> statement-breakpoint
CREATE UNIQUE INDEX "things_owner_url" ON "things" USING btree ("owner_id","url_normalized");--> statement-breakpoint
CREATE UNIQUE INDEX "things_owner_profile" ON "things" USING btree ("owner_id") WHERE "things"."kind" = 'profile';--> statement-breakpoint
CREATE UNIQUE INDEX "things_remote_owner_profile" ON "things" USING btree ("remote_owner_id") WHERE "things"."kind" = 'profile';--> statement-breakpoint
CREATE UNIQUE INDEX "things_object_uri" ON "things" USING btree ("object_uri");--> statement-breakpoint
CREATE INDEX "things_remote_owner" ON "things" USING btree ("remote_owner_id");--> statement-breakpoint
CREATE UNIQUE INDEX "followers_user_actor" ON "followers" USING btree ("user_id","actor_uri");--> statement-breakpoint
CREATE INDEX "followers_actor" ON "followers" USING btree ("actor_uri");--> statement-breakpoint
CREATE INDEX "followers_remote_actor" ON "followers" USING btree ("remote_actor_id");--> statement-breakpoint
CREATE UNIQUE INDEX "following_user_actor" ON "following" USING btree ("user_id","actor_uri");--> statement-breakpoint
CREATE UNIQUE INDEX "following_follow_id" ON "following" USING btree ("follow_id");--> statement-breakpoint
CREATE INDEX "following_remote_actor" ON "following" USING btree ("remote_actor_id");--> statement-breakpoint
CREATE INDEX "following_target_user" ON "following" USING btree ("target_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "favourites_activity" ON "favourites" USING btree ("activity_id");--> statement-breakpoint
CREATE INDEX "favourites_thing" ON "favourites" USING btree ("thing_id");--> statement-breakpoint
CREATE UNIQUE INDEX "incoming_flattrs_activity" ON "incoming_flattrs" USING btree ("activity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "incoming_flattrs_active" ON "incoming_flattrs" USING btree ("remote_actor_id","thing_id","period") WHERE "incoming_flattrs"."withdrawn_at" is null;--> statement-breakpoint
CREATE INDEX "incoming_flattrs_thing_period" ON "incoming_flattrs" USING btree ("thing_id","period");--> statement-breakpoint
CREATE INDEX "incoming_flattrs_peer_period" ON "incoming_flattrs" USING btree ("peer_host","period");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_idempotency_key" ON "ledger_entries" USING btree ("idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_reverses" ON "ledger_entries" USING btree ("reverses_entry_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_period_kind" ON "ledger_entries" USING btree ("period","kind");--> statement-breakpoint
CREATE INDEX "ledger_entries_deposit_reference" ON "ledger_entries" USING btree (translate("metadata"->>'reference', ' -‐‑‒–—―−', '')) WHERE "ledger_entries"."kind" = 'deposit';--> statement-breakpoint
CREATE INDEX "ledger_postings_entry" ON "ledger_postings" USING btree ("entry_id");--> statement-breakpoint
CREATE INDEX "ledger_postings_account" ON "ledger_postings" USING btree ("account","currency","entry_id");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_source" ON "notifications" USING btree ("user_id","source_key");--> statement-breakpoint
CREATE INDEX "notifications_user" ON "notifications" USING btree ("user_id","id") WHERE "notifications"."dismissed_at" is null;--> statement-breakpoint
CREATE INDEX "notifications_status" ON "notifications" USING btree ("status_id");--> statement-breakpoint
CREATE UNIQUE INDEX "oauth_apps_client_id" ON "oauth_apps" USING btree ("client_id");--> statement-breakpoint
CREATE UNIQUE INDEX "oauth_codes_hash" ON "oauth_codes" USING btree ("code_hash");--> statement-breakpoint
CREATE INDEX "oauth_codes_expires" ON "oauth_codes" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "outbox_events_available" ON "outbox_events" USING btree ("available_at","id");--> statement-breakpoint
CREATE INDEX "outbox_events_flattr" ON "outbox_events" USING btree ("flattr_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "payouts_one_open" ON "payouts" USING btree ("user_id","source") WHERE "payouts"."status" = 'requested';--> statement-breakpoint
CREATE INDEX "payouts_user" ON "payouts" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "payouts_status" ON "payouts" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "payouts_batch" ON "payouts" USING btree ("batch_id");--> statement-breakpoint
CREATE UNIQUE INDEX "pledge_claims_winner" ON "pledge_claims" USING btree ("remote_actor_id") WHERE "pledge_claims"."state" = 'won';--> statement-breakpoint
CREATE UNIQUE INDEX "pledge_claims_announcement" ON "pledge_claims" USING btree ("announcement_id");--> statement-breakpoint
CREATE INDEX "pledge_claims_user" ON "pledge_claims" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "pledge_notices_key" ON "pledge_notices" USING btree ("remote_actor_id","period");--> statement-breakpoint
CREATE INDEX "linked_actors_user" ON "linked_actors" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "remote_actors_uri" ON "remote_actors" USING btree ("uri");--> statement-breakpoint
CREATE INDEX "remote_actors_host" ON "remote_actors" USING btree ("host");--> statement-breakpoint
CREATE UNIQUE INDEX "remote_actors_handle" ON "remote_actors" USING btree (lower("handle"));--> statement-breakpoint
CREATE INDEX "remote_shares_peer" ON "remote_shares" USING btree ("peer_host","period","state") WHERE "remote_shares"."route" = 'peer';--> statement-breakpoint
CREATE INDEX "remote_shares_payer" ON "remote_shares" USING btree ("payer_id","period");--> statement-breakpoint
CREATE INDEX "remote_shares_claimed_by" ON "remote_shares" USING btree ("claimed_by_host","state");--> statement-breakpoint
CREATE INDEX "remote_shares_carried_by" ON "remote_shares" USING btree ("carried_by");--> statement-breakpoint
CREATE UNIQUE INDEX "status_mentions_pk" ON "status_mentions" USING btree ("status_id","actor_uri");--> statement-breakpoint
CREATE INDEX "status_mentions_user" ON "status_mentions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "statuses_uri" ON "statuses" USING btree ("uri");--> statement-breakpoint
CREATE UNIQUE INDEX "statuses_thing" ON "statuses" USING btree ("thing_id");--> statement-breakpoint
CREATE INDEX "statuses_user" ON "statuses" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "statuses_remote_actor" ON "statuses" USING btree ("remote_actor_id","id");--> statement-breakpoint
CREATE INDEX "statuses_in_reply_to" ON "statuses" USING btree ("in_reply_to_uri");--> statement-breakpoint
CREATE INDEX "subscriptions_live" ON "subscriptions" USING btree ("last_period","first_period") WHERE "subscriptions"."cancelled_at" is null;--> statement-breakpoint
CREATE INDEX "subscriptions_user_thing" ON "subscriptions" USING btree ("user_id","thing_id");--> statement-breakpoint
CREATE UNIQUE INDEX "clearing_transfers_ref" ON "clearing_transfers" USING btree ("peer_host","source","direction","reference");--> statement-breakpoint
CREATE INDEX "clearing_transfers_notice_due" ON "clearing_transfers" USING btree ("notice_due_at") WHERE "clearing_transfers"."notice_due_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_summaries_in_hash" ON "settlement_summaries_in" USING btree ("peer_host","hash");--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_summaries_in_accepted" ON "settlement_summaries_in" USING btree ("peer_host","period") WHERE "settlement_summaries_in"."state" = 'accepted';--> statement-breakpoint
CREATE INDEX "settlement_summaries_in_state" ON "settlement_summaries_in" USING btree ("state");--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_summaries_out_period" ON "settlement_summaries_out" USING btree ("peer_host","period");--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_summaries_out_sequence" ON "settlement_summaries_out" USING btree ("peer_host","sequence");--> statement-breakpoint
CREATE INDEX "settlement_summaries_out_due" ON "settlement_summaries_out" USING btree ("state","next_attempt_at");--> statement-breakpoint
CREATE UNIQUE INDEX "access_tokens_hash" ON "access_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "access_tokens_user" ON "access_tokens" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "access_tokens_app" ON "access_tokens" USING btree ("app_id");