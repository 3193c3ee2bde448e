import postgres from "postgres";

/*
 * What a server's PostgreSQL sessions wait on during a load run (`--pg-waits`), and what the run
 * cost the WAL. A sampler inside PostgreSQL (one DO block on its own connection, so it costs no
 * round trip per sample) reads pg_stat_activity every few milliseconds for the sessions of the
 * database under test; pg_stat_wal, read before and after, gives the WAL written and the flushes
 * (their time only with track_wal_io_timing, which the bench turns on for the database under
 * test). A state held by N sessions on average is N × the run's length of session time, which
 * divided by the requests is per request (ms): that is where a request's time inside PostgreSQL
 * goes, including its wait for the commit's flush (issue 8, point 2).
 */

/** Mean number of the database's sessions in each state over the run. */
export interface PgWaitShares {
  /** Running a statement, not waiting (on a core, or ready for one). */
  running: number;
  /** In fdatasync of the WAL (IO WALSync). */
  walSync: number;
  /** Queued behind another session's WAL write or flush (LWLock WALWrite, IO WALWrite). */
  walQueued: number;
  /** Heavyweight locks (Lock/*: rows, advisory locks, relation extension). */
  locks: number;
  /** Every other wait inside a statement (buffer and other lightweight locks, data file I/O). */
  otherWaits: number;
  /** Waiting for the client: idle between statements, or for the rest of a message. */
  client: number;
  samples: number;
}

export interface PgWalFigures {
  records: number;
  bytes: number;
  /** WAL flushes (fdatasync or the configured method). */
  syncs: number;
  /** Mean time of one flush (ms); null without track_wal_io_timing. */
  syncMs: number | null;
}

export interface PgWaitFigures {
  shares: PgWaitShares;
  wal: PgWalFigures;
}

interface WalRow {
  wal_records: string;
  wal_bytes: string;
  wal_sync: string;
  wal_sync_time: number;
}

const readWal = async (sql: postgres.Sql): Promise<WalRow> => {
  const [row] = await sql<WalRow[]>`
    select wal_records::text, wal_bytes::text, wal_sync::text, wal_sync_time from pg_stat_wal`;
  if (!row) throw new Error("pg_stat_wal returned no row");
  return row;
};

/** Times the WAL flushes of the sessions that will connect to `dbUrl` (superuser only). */
export async function timeWalFlushes(dbUrl: string): Promise<void> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ db: string }[]>`select current_database() as db`;
    await sql.unsafe(`alter database "${row!.db}" set track_wal_io_timing = on`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Starts sampling the sessions of `dbUrl`'s database every `everyMs` for `seconds`; `done()`
 * waits for the sampler and answers the shares and the WAL since the start.
 */
export async function samplePgWaits(
  dbUrl: string,
  seconds: number,
  everyMs = 4,
): Promise<{ done: () => Promise<PgWaitFigures> }> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  await sql`create temporary table if not exists bench_waits (
              state text, wait_type text, wait_event text)`;
  await sql`truncate bench_waits`;
  const walBefore = await readWal(sql);
  // pg_stat_activity is a snapshot per transaction: each sample clears it first.
  const sampler = sql.unsafe(`do $$
    declare v_end timestamptz := clock_timestamp() + interval '${Number(seconds)} seconds';
    begin
      while clock_timestamp() < v_end loop
        perform pg_stat_clear_snapshot();
        insert into bench_waits
          select a.state, coalesce(a.wait_event_type, ''), coalesce(a.wait_event, '')
          from pg_stat_activity a
          where a.datname = current_database() and a.backend_type = 'client backend'
            and a.pid <> pg_backend_pid();
        -- A sample with no session would not show: one marker row per sample.
        insert into bench_waits values ('sample', '', '');
        perform pg_sleep(${Number(everyMs) / 1000});
      end loop;
    end $$`);
  // postgres.js sends a query when it is awaited or executed: start sampling now.
  sampler.execute();
  return {
    done: async () => {
      try {
        await sampler;
        const walAfter = await readWal(sql);
        const rows = await sql<
          { state: string; wait_type: string; wait_event: string; n: string }[]
        >`
          select state, wait_type, wait_event, count(*)::text as n from bench_waits
          group by 1, 2, 3`;
        const shares: PgWaitShares = {
          running: 0,
          walSync: 0,
          walQueued: 0,
          locks: 0,
          otherWaits: 0,
          client: 0,
          samples: 0,
        };
        for (const r of rows) {
          const n = Number(r.n);
          if (r.state === "sample") shares.samples += n;
          else if (r.state !== "active" || r.wait_type === "Client") shares.client += n;
          else if (r.wait_type === "") shares.running += n;
          else if (r.wait_event === "WALSync") shares.walSync += n;
          else if (r.wait_event === "WALWrite") shares.walQueued += n;
          else if (r.wait_type === "Lock") shares.locks += n;
          else shares.otherWaits += n;
        }
        const per = Math.max(1, shares.samples);
        for (const k of [
          "running",
          "walSync",
          "walQueued",
          "locks",
          "otherWaits",
          "client",
        ] as const)
          shares[k] /= per;
        const syncs = Number(walAfter.wal_sync) - Number(walBefore.wal_sync);
        const syncTime = walAfter.wal_sync_time - walBefore.wal_sync_time;
        return {
          shares,
          wal: {
            records: Number(walAfter.wal_records) - Number(walBefore.wal_records),
            bytes: Number(walAfter.wal_bytes) - Number(walBefore.wal_bytes),
            syncs,
            syncMs: syncs > 0 && syncTime > 0 ? syncTime / syncs : null,
          },
        };
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}
