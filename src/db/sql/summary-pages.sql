-- A summary's pages (settlement_pages_out) are ~1 MB texts written once when the summary is built
-- and read when the peer fetches them: compressing them with pglz cost about as much CPU as
-- writing them (90 ms against ~20 ms for 100,000 lines, bench/README.md, "Fourth pass, sender
-- side"), and PGlite has no lz4, so they are stored out of line uncompressed.
ALTER TABLE settlement_pages_out ALTER COLUMN lines SET STORAGE EXTERNAL;
