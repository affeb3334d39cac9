-- Why: explain replays a run with the rules it used; a run made with `generate -r DIR` (and --ignore-default) records which folder, so explain needs no -r again.

alter table runs add column rules_dir varchar;        -- the -r/--rules folder, absolute; NULL without -r
alter table runs add column ignore_default boolean;   -- --ignore-default; NULL for runs made before it was recorded
