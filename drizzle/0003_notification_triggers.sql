-- Custom SQL migration file, put your code below! --
-- Notifications and the streaming API's events (docs/adr/0021-notifications-by-triggers.md).
-- A notification is written by a trigger on the table where its event is recorded, in the same
-- statement: flattrs (local flattrs of a local post), incoming_flattrs and favourites (remote
-- flattrs and plain favourites), followers (follows), status_mentions (mentions). So every writer
-- notifies, set-based statements included, and nothing is notified for a write that rolls back.
-- An undo (a withdrawn flattr or favourite, a removed follower) deletes the notification, as
-- Mastodon's does.
--
-- Events for the streaming API are NOTIFYs on the channel fediflattr_stream, sent at commit, so a
-- worker process's inbox writes reach the web process that holds the WebSocket (PGlite delivers
-- them in its one process the same way). Payloads carry ids only (NOTIFY payloads are small); the
-- web process reads the rows.
--
-- Functions made of lookups by key run with enable_seqscan off (docs/adr/0005: plans are kept per
-- session, also one made while a table was empty).

-- Notification ids sort by time like status ids (src/db/ids.ts: milliseconds << 16 | 16 bits);
-- the low bits come from a sequence, not chance, so two notifications in one millisecond (a
-- batch of flattrs) never collide on the primary key and abort the flattr.
CREATE SEQUENCE notifications_id_seq;
--> statement-breakpoint
CREATE FUNCTION notification_id(p_at timestamptz)
RETURNS int8
LANGUAGE sql
VOLATILE
AS $$
  SELECT (floor(extract(epoch FROM p_at) * 1000)::int8 << 16) | (nextval('notifications_id_seq') & 65535)
$$;
--> statement-breakpoint
-- One notification for p_user unless it is about their own action; announced at commit.
CREATE FUNCTION notify_user(
  p_user int8,
  p_type text,
  p_source text,
  p_from_user int8,
  p_from_remote int8,
  p_status int8,
  p_flattr boolean,
  p_at timestamptz
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_id int8;
BEGIN
  IF p_user IS NULL OR p_user IS NOT DISTINCT FROM p_from_user THEN
    RETURN;
  END IF;
  INSERT INTO notifications AS n
    (id, user_id, type, source_key, from_user_id, from_remote_actor_id, status_id, flattr, created_at)
  VALUES
    (notification_id(p_at), p_user, p_type, p_source, p_from_user, p_from_remote, p_status, p_flattr, p_at)
  ON CONFLICT (user_id, source_key) DO NOTHING
  RETURNING n.id INTO v_id;
  IF v_id IS NOT NULL THEN
    PERFORM pg_notify('fediflattr_stream',
      json_build_object('kind', 'notification', 'id', v_id::text, 'user', p_user)::text);
  END IF;
END;
$$;
--> statement-breakpoint
-- A flattr, remote flattr or plain favourite of a thing that is a local post. p_source is the
-- notification's source key; p_active whether the row is (still) active.
CREATE FUNCTION notify_favourite(
  p_thing int8,
  p_source text,
  p_from_user int8,
  p_from_remote int8,
  p_flattr boolean,
  p_at timestamptz,
  p_active boolean,
  p_was_active boolean
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_status int8;
  v_owner int8;
BEGIN
  IF p_active = p_was_active THEN
    RETURN;
  END IF;
  SELECT s.id, s.user_id INTO v_status, v_owner
    FROM statuses s WHERE s.thing_id = p_thing AND s.user_id IS NOT NULL;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF p_active THEN
    PERFORM notify_user(v_owner, 'favourite', p_source, p_from_user, p_from_remote, v_status,
                        p_flattr, p_at);
  ELSE
    DELETE FROM notifications n WHERE n.user_id = v_owner AND n.source_key = p_source;
  END IF;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION notifications_on_flattr()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM notify_favourite(NEW.thing_id, 'flattr:' || NEW.id, NEW.payer_id, NULL, true,
    NEW.created_at, NEW.withdrawn_at IS NULL,
    TG_OP = 'UPDATE' AND OLD.withdrawn_at IS NULL);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER flattrs_notify
AFTER INSERT OR UPDATE OF withdrawn_at ON flattrs
FOR EACH ROW EXECUTE FUNCTION notifications_on_flattr();
--> statement-breakpoint
CREATE FUNCTION notifications_on_incoming_flattr()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM notify_favourite(NEW.thing_id, 'incoming_flattr:' || NEW.id, NULL, NEW.remote_actor_id,
    true, NEW.received_at, NEW.withdrawn_at IS NULL,
    TG_OP = 'UPDATE' AND OLD.withdrawn_at IS NULL);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER incoming_flattrs_notify
AFTER INSERT OR UPDATE OF withdrawn_at ON incoming_flattrs
FOR EACH ROW EXECUTE FUNCTION notifications_on_incoming_flattr();
--> statement-breakpoint
CREATE FUNCTION notifications_on_favourite()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM notify_favourite(NEW.thing_id, 'favourite:' || NEW.id, NULL, NEW.remote_actor_id,
    false, NEW.created_at, NEW.withdrawn_at IS NULL,
    TG_OP = 'UPDATE' AND OLD.withdrawn_at IS NULL);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER favourites_notify
AFTER INSERT OR UPDATE OF withdrawn_at ON favourites
FOR EACH ROW EXECUTE FUNCTION notifications_on_favourite();
--> statement-breakpoint
CREATE FUNCTION notifications_on_follower()
RETURNS trigger
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM notify_user(NEW.user_id, 'follow', 'follow:' || NEW.id, NEW.follower_user_id,
                        NEW.remote_actor_id, NULL, false, NEW.created_at);
  ELSE
    DELETE FROM notifications n WHERE n.user_id = OLD.user_id AND n.source_key = 'follow:' || OLD.id;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER followers_notify
AFTER INSERT OR DELETE ON followers
FOR EACH ROW EXECUTE FUNCTION notifications_on_follower();
--> statement-breakpoint
-- A mention of a local user by someone else. A remote note's mentions are rewritten on every
-- Update; the source key (one per status) keeps that from notifying twice, or again after a
-- dismissal.
CREATE FUNCTION notifications_on_mention()
RETURNS trigger
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
DECLARE
  v_user int8;
  v_remote int8;
  v_at timestamptz;
  v_deleted timestamptz;
BEGIN
  IF NEW.user_id IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT s.user_id, s.remote_actor_id, coalesce(s.fetched_at, s.published_at), s.deleted_at
    INTO v_user, v_remote, v_at, v_deleted
    FROM statuses s WHERE s.id = NEW.status_id;
  IF NOT FOUND OR v_deleted IS NOT NULL THEN
    RETURN NULL;
  END IF;
  PERFORM notify_user(NEW.user_id, 'mention', 'mention:' || NEW.status_id, v_user, v_remote,
                      NEW.status_id, false, v_at);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER status_mentions_notify
AFTER INSERT ON status_mentions
FOR EACH ROW EXECUTE FUNCTION notifications_on_mention();
--> statement-breakpoint
-- New and deleted statuses, for the streaming API's update and delete events.
CREATE FUNCTION statuses_stream_event()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.deleted_at IS NULL THEN
      PERFORM pg_notify('fediflattr_stream',
        json_build_object('kind', 'status', 'id', NEW.id::text)::text);
    END IF;
  ELSIF NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN
    PERFORM pg_notify('fediflattr_stream',
      json_build_object('kind', 'delete', 'id', NEW.id::text)::text);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER statuses_stream
AFTER INSERT OR UPDATE OF deleted_at ON statuses
FOR EACH ROW EXECUTE FUNCTION statuses_stream_event();
